from running import grand_total, running_totals


def test_running_totals_accumulate():
    assert running_totals([3, 4, 5]) == [3, 7, 12]


def test_no_payments_no_totals():
    assert running_totals([]) == []


def test_grand_total():
    assert grand_total([3, 4, 5]) == 12
