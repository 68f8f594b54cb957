from features import Flag, User, is_enabled


def test_full_rollout_enables_everyone():
    assert is_enabled(Flag("search", rollout_percent=100), User("u1"))


def test_zero_rollout_enables_nobody():
    assert not is_enabled(Flag("search"), User("u1"))


def test_blocked_user_never_gets_the_flag():
    flag = Flag("search", rollout_percent=100, blocked_users={"u1"})
    assert not is_enabled(flag, User("u1"))


def test_beta_flag_is_for_beta_testers_only():
    flag = Flag("new-editor", beta_only=True)
    assert is_enabled(flag, User("u1", is_beta=True))
    assert not is_enabled(flag, User("u2"))
