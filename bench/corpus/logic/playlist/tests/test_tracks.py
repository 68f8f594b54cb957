from tracks import Track, artists, clock, longest, running_time, total_seconds

MIX = [
    Track("Teardrop", "Massive Attack", 330),
    Track("Glory Box", "Portishead", 306),
    Track("Angel", "Massive Attack", 379),
]


def test_empty_playlist_runs_for_no_time():
    assert total_seconds([]) == 0
    assert running_time([]) == "0:00"


def test_total_adds_every_track():
    assert total_seconds(MIX) == 1015


def test_clock_past_an_hour():
    assert clock(4060) == "1:07:40"
    assert clock(59) == "0:59"


def test_artists_in_first_appearance_order():
    assert artists(MIX) == ["Massive Attack", "Portishead"]


def test_longest_track():
    assert longest(MIX) == MIX[2]
    assert longest([]) is None
