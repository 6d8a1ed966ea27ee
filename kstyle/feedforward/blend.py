"""Which styles of a network to paint with: `--blend=starry_night:0.7,wave:0.3` and `--strength`.

TensorFlow is not imported, so a bad blend is refused before a network loads.
A blend's weights are normalized to sum to 1: the conditional normalizations
then stay among the values the network was trained with, and `wave:3,udnie:1`
means the same as `wave:0.75,udnie:0.25`.
"""

import math

from kstyle.errors import UsageError


def parse(text):
    """Returns `[(name, weight)]` from `NAME[:WEIGHT],...` (a missing weight is 1).

    Raises:
        UsageError: an empty blend, a repeated name, or a weight that is not a
            non-negative number.
    """
    parts = [part.strip() for part in str(text).split(",") if part.strip()]
    if not parts:
        raise UsageError("blend: give style names, e.g. starry_night:0.7,wave:0.3")
    blend = []
    for part in parts:
        name, _, weight = part.partition(":")
        name = name.strip()
        try:
            value = float(weight) if weight.strip() else 1.0
        except ValueError:
            raise UsageError(f"blend: {part!r} is not NAME:WEIGHT with a number for WEIGHT") from None
        if not math.isfinite(value) or value < 0:
            raise UsageError(f"blend: the weight of {name} must be a non-negative number, got {weight.strip()}")
        if name in (known for known, _ in blend):
            raise UsageError(f"blend: {name} is given twice")
        blend.append((name, value))
    return blend


def weights(blend, styles):
    """Returns one weight per style of `styles`, summing to 1, for a blend (text or `parse`'s list).

    Raises:
        UsageError: a name the network does not paint, or weights that are all 0.
    """
    pairs = parse(blend) if isinstance(blend, str) else list(blend)
    unknown = [name for name, _ in pairs if name not in styles]
    if unknown:
        raise UsageError(f"blend: the network paints {', '.join(styles) or 'no named styles'}, "
                         f"not {', '.join(unknown)}")
    total = sum(weight for _, weight in pairs)
    if total <= 0:
        raise UsageError("blend: the weights add up to 0; give at least one style a positive weight")
    given = dict(pairs)
    return [given.get(name, 0.0) / total for name in styles]


def strength(value):
    """Returns `value` as a float in [0, 1] (0: the photo, 1: the full style), or refuses it."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"strength must be a number from 0 to 1, got {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise UsageError(f"strength must be from 0 (the photo) to 1 (the full style), got {value}")
    return number


def choose(styles, blend=None, style=None, model="the network"):
    """Returns the per-style weights a run paints with, or None for a network without named styles.

    Args:
        styles: the network's style names (`StyleNetwork.styles`).
        blend: `--blend`, text or `parse`'s list; wins over `style`.
        style: the shipped style `--model` named, if it did.
        model: how to name the network in errors.

    Raises:
        UsageError: a blend for a network without named styles, or a network of
            several styles and nothing saying which.
    """
    if not styles:
        if blend:
            raise UsageError(f"--blend: {model} paints one style without a name; a blend needs a network of "
                             "several named styles")
        return None
    if blend:
        return weights(blend, styles)
    if style is not None:
        return weights([(style, 1.0)], styles)
    if len(styles) == 1:
        return [1.0]
    raise UsageError(f"{model} paints {len(styles)} styles ({', '.join(styles)}); say which with --blend=NAME "
                     "or mix them, e.g. --blend=" + ",".join(f"{name}:{1 / len(styles):.2g}" for name in styles[:2]))
