from teams.members import first_admin

print(first_admin([{"name": "ana", "admin": False}]))
