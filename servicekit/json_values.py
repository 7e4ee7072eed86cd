"""Free-form JSON that crosses a service boundary (directory attributes, county setting values):
what every such value must keep to, whatever its schema, so that it can travel as a protobuf
Struct or as JSON text and be stored and read back unchanged."""
from __future__ import annotations

import math

# Objects and arrays inside one another. protobuf's decoder stops at 100 message levels, and one
# level of JSON object costs three in a Struct (Struct, its field, Value), so a value deeper than
# about 30 levels reaches a service as bytes it cannot decode; nothing we keep needs more than a few.
DEPTH_MAX = 10
# Objects, arrays, texts, numbers, booleans and nulls in one value, counted together.
VALUES_MAX = 1000
KEY_SHOWN_CHARS = 40
# A Struct's numbers are doubles: a larger integer would arrive as a different one.
EXACT_INTEGER_MAX = 2**53


def problem_with(value: object, name: str = "") -> str | None:
    """What makes `value` (as json.loads gives it) unfit to carry, saying where in it the value
    called `name` it is ("attributes.a.0: ..."), or None if it is fit. Walks the value without
    recursion, so any depth is safe to ask about."""
    pending: list[tuple[object, tuple[str, ...]]] = [(value, (name,) if name else ())]
    seen = 0
    while pending:
        item, path = pending.pop()
        seen += 1
        if seen > VALUES_MAX:
            return f"{name}: at most {VALUES_MAX} values in all" if name else f"at most {VALUES_MAX} values in all"
        problem = _problem_with_one(item, len(path) - bool(name))
        if problem:
            return f"{'.'.join(path)}: {problem}" if path else problem
        if isinstance(item, dict):
            # A key is named as far as it reads: a caller's key may be long, or hold what it should not.
            pending.extend((child, (*path, str(key)[:KEY_SHOWN_CHARS])) for key, child in item.items())
        elif isinstance(item, list):
            pending.extend((child, (*path, str(index))) for index, child in enumerate(item))
    return None


def _problem_with_one(item: object, depth: int) -> str | None:
    if isinstance(item, bool | str) or item is None:
        return None
    if isinstance(item, float) and not math.isfinite(item):
        return "numbers must be finite (no NaN, Infinity, or beyond ±1.8e308)"
    if isinstance(item, int) and abs(item) > EXACT_INTEGER_MAX:
        return f"integers must be within ±2^53 ({EXACT_INTEGER_MAX}) to keep every digit"
    if isinstance(item, int | float):
        return None
    if isinstance(item, dict | list):
        return f"objects and arrays may be nested at most {DEPTH_MAX} deep" if depth == DEPTH_MAX else None
    return f"{type(item).__name__} is not a JSON value"
