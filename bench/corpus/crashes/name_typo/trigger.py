from orders.labels import describe

print(describe(7, 15))
