"""Weights and prices of parcels."""

RATE_PER_KG = 4


def gross_weight(parcel):
    return parcel["weight"] + parcel["packaging"]


def price(parcel):
    return gross_weight(parcel) * RATE_PER_KG
