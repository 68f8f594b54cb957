"""Monthly sales report from a CSV export."""

import csv
import io
from collections import Counter


def read_rows(text: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text))
    rows = list(reader)
    header = rows.pop(0)
    if header[:2] != ["region", "amount"]:
        raise ValueError(f"unexpected header {header}")
    rows.pop(0)
    return [row for row in rows if row]


def totals_by_region(text: str) -> dict[str, float]:
    totals: Counter[str] = Counter()
    for region, amount, *_ in read_rows(text):
        totals[region] += float(amount)
    return dict(totals)
