"""Small helpers for what arrives in requests."""
import re


def digits(values):
    """The values that are ids (up to 18 ASCII digits), as ints; the rest left out. Not
    str.isdigit(): it accepts "²", which int() refuses."""
    return [int(value) for value in values if re.fullmatch(r"[0-9]{1,18}", str(value))]


def plain_text(value, limit):
    """A raw POST value (not through a form) for a query: at most `limit` characters, NUL bytes
    dropped (PostgreSQL refuses text that holds one: a 500 in whatever query it reached)."""
    return (value or "").replace("\x00", "")[:limit]
