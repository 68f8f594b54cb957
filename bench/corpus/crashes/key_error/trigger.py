from logistics.parcels import price

print(price({"weight": 2}))
