"""Bank accounts and their statements."""


class Account:
    def __init__(self, owner, balance):
        self.owner = owner
        self.balance = balance

    def summary(self):
        if self.balance < 0:
            return f"{self.owner} owes {-self.balanse}"
        return f"{self.owner} has {self.balance}"


def account_summary(owner, balance):
    return Account(owner, balance).summary()
