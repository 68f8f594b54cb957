from settings.merge import deep_merge

print(deep_merge({"db": {"host": "a"}}, {"db": {"port": 5}}))
