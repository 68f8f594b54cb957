from timing import Lap, best_laps, standings

LAPS = [
    Lap("Ayrton", 61.2),
    Lap("Ayrton", 59.8),
    Lap("Alain", 60.1),
    Lap("Nigel", 60.1),
]


def test_single_lap_driver():
    assert best_laps([Lap("Nigel", 60.5)]) == {"Nigel": 60.5}


def test_best_lap_is_the_fastest():
    assert best_laps(LAPS)["Ayrton"] == 59.8


def test_standings_order_by_best_lap_then_name():
    assert standings(LAPS) == ["Ayrton", "Alain", "Nigel"]


def test_no_laps_no_standings():
    assert standings([]) == []
