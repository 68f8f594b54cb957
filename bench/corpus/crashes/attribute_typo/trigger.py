from bank.accounts import account_summary

print(account_summary("bob", -5))
