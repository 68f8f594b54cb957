from undo import History


def test_fresh_history_shows_the_initial_text():
    history = History("draft")
    assert history.current() == "draft"
    assert not history.can_undo()
    assert not history.can_redo()


def test_current_is_the_latest_snapshot():
    history = History()
    history.record("a")
    history.record("ab")
    assert history.current() == "ab"


def test_undo_then_redo():
    history = History()
    for text in ("a", "ab", "abc"):
        history.record(text)
    assert history.undo() == "ab"
    assert history.undo() == "a"
    assert history.redo() == "ab"
    assert history.can_redo()


def test_nothing_to_undo_past_the_start():
    history = History("x")
    assert history.undo() == "x"


def test_recording_forgets_undone_snapshots():
    history = History()
    history.record("a")
    history.record("ab")
    history.undo()
    history.record("ax")
    assert not history.can_redo()
    assert history.can_undo()
