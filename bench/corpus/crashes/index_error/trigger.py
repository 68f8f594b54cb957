from releases.versions import latest

print(latest([]))
