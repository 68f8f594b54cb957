from accounts.directory import user_email

print(user_email([{"name": "ana", "email": "ana@example.org"}], "bob"))
