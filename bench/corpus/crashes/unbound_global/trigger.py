from cache.lookup import lookup

print(lookup({}, "b"))
