from bank.accounts import account_summary


def test_positive_balance():
    assert account_summary("ana", 10) == "ana has 10"
