import pytest

from accounts import Account, InsufficientFunds, transfer


def test_transfer_moves_money():
    alice, bob = Account("A", 10_000), Account("B", 500)
    transfer(alice, bob, 2_500)
    assert (alice.balance, bob.balance) == (7_500, 3_000)


def test_transfer_is_recorded_on_both_sides():
    alice, bob = Account("A", 10_000), Account("B")
    transfer(alice, bob, 100)
    assert alice.history == [("B", -100)]
    assert bob.history == [("A", 100)]


def test_overdraft_is_refused():
    with pytest.raises(InsufficientFunds):
        transfer(Account("A", 50), Account("B"), 100)


def test_non_positive_amounts_are_refused():
    with pytest.raises(ValueError):
        transfer(Account("A", 50), Account("B"), 0)
