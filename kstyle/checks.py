"""Checks of option values, each raising a `UsageError` that names the option.

Every options class (`PerceptualOptions`, `StylizeOptions`, `TrainOptions`) and
the presets use these, so a bad value reads the same wherever it came from: a
flag, a flagfile or a Python keyword. Strings are accepted where a number is
expected, because flagfiles and presets carry text. TensorFlow is not imported.
"""

import math

from kstyle.errors import UsageError


def integer(name, value, low, high):
    """Returns `value` as an int in [low, high]."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise UsageError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise UsageError(f"{name} must be between {low} and {high}, got {value}")
    return int(value)


def integers(name, value, low, high):
    """Returns `value`, comma-separated text or a sequence, as a tuple of ints in [low, high]."""
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    try:
        items = list(value)
    except TypeError:
        raise UsageError(f"{name} must be whole numbers, got {value!r}") from None
    return tuple(integer(name, item, low, high) for item in items)


def number(name, value, positive=False):
    """Returns `value` as a finite, non-negative (or positive) float."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(result) or result < 0 or (positive and result == 0):
        raise UsageError(f"{name} must be a {'positive' if positive else 'non-negative'} number, got {value!r}")
    return result


def numbers(name, value, positive=False):
    """Returns `value`, comma-separated text or a sequence, as a non-empty tuple of floats (see `number`)."""
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    try:
        listed = list(value)
    except TypeError:
        raise UsageError(f"{name} must be numbers, got {value!r}") from None
    if not listed:
        raise UsageError(f"{name}: give at least one number")
    return tuple(number(name, item, positive) for item in listed)


def choice(name, value, choices):
    """Returns `value` if it is one of `choices`."""
    if value not in choices:
        raise UsageError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def boolean(name, value):
    """Returns `value` as a bool; flagfiles may say true/false or 1/0."""
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
        return value.strip().lower() in ("true", "1")
    if not isinstance(value, bool):
        raise UsageError(f"{name} must be True or False, got {value!r}")
    return value


def items(name, values):
    """A comma-separated string or a sequence, as a list of non-empty items."""
    if isinstance(values, str):
        result = [item.strip() for item in values.split(",") if item.strip()]
    else:
        try:
            result = list(values)
        except TypeError:
            raise UsageError(f"{name}: expected a list, got {values!r}") from None
    if not result:
        raise UsageError(f"{name}: the list is empty")
    return result
