"""Exporting report rows."""


def export(rows, pretty):
    if pretty:
        return json.dumps(rows, indent=2)
    return ";".join(str(row) for row in rows)
