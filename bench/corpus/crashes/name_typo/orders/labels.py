"""Human-readable labels for orders."""


def describe(order_id, discount):
    label = f"order {order_id}"
    if discount:
        label += f" with {discont}% off"
    return label
