"""VGG16's layers: which ones a loss reads, how much each one weighs, and how they pool.

Layers are named as in `keras.applications.VGG16`; a spec is a comma-separated
string (`"block1_conv1,block2_conv1:0.5"`), a sequence of names or
`(name, weight)` pairs, or a mapping. Layers without a weight get
1 / number-of-layers, so the default is an average over layers. This module does
not import TensorFlow: the CLI checks flags with it before loading the model.
"""

import math
from collections.abc import Mapping

from kstyle.errors import UsageError

# `max` as VGG16 was trained; `avg`, which Gatys et al. found gives smoother gradients.
POOLINGS = ("max", "avg")

VGG16_LAYERS = (
    "block1_conv1", "block1_conv2", "block1_pool",
    "block2_conv1", "block2_conv2", "block2_pool",
    "block3_conv1", "block3_conv2", "block3_conv3", "block3_pool",
    "block4_conv1", "block4_conv2", "block4_conv3", "block4_pool",
    "block5_conv1", "block5_conv2", "block5_conv3", "block5_pool",
)


def parse_layer_weights(spec, option="layers"):
    """Returns `((name, weight), ...)` in the order given.

    Args:
        spec: see the module docstring.
        option: the option's name, for error messages.

    Raises:
        UsageError: an unknown or repeated layer, a weight that is not a
            non-negative number, no layers, or all weights zero.
    """
    entries = _entries(spec, option)
    if not entries:
        raise UsageError(f"{option}: name at least one VGG16 layer")
    default = 1.0 / len(entries)
    parsed = []
    for name, weight in entries:
        if name not in VGG16_LAYERS:
            raise UsageError(f"{option}: unknown VGG16 layer {name!r}; "
                             f"the layers are {', '.join(VGG16_LAYERS)}")
        if name in dict(parsed):
            raise UsageError(f"{option}: layer {name!r} is given twice")
        parsed.append((name, default if weight is None else _weight(weight, name, option)))
    if not any(weight > 0 for _, weight in parsed):
        raise UsageError(f"{option}: at least one layer needs a weight above zero")
    return tuple(parsed)


def deepest(*specs):
    """Returns the deepest layer named in any of the parsed `specs`."""
    names = {name for spec in specs for name, _ in spec}
    return max(names, key=VGG16_LAYERS.index)


def min_side(*specs):
    """Returns the smallest image side that keeps the deepest layer at least 1 pixel."""
    return stride(deepest(*specs))


def stride(layer):
    """How many input pixels one position of `layer` spans (2 per pooling before it)."""
    return 2 ** sum(1 for name in VGG16_LAYERS[:VGG16_LAYERS.index(layer) + 1] if name.endswith("_pool"))


def geometry(layers):
    """Returns `(alignment, halo)` in pixels for tiles that reproduce `layers` exactly.

    Alignment is the deepest layer's stride, so tiles share the whole image's
    pooling grid; the halo is the receptive-field radius rounded up to it.
    """
    deepest_layer = max(layers, key=VGG16_LAYERS.index)
    step, radius = 1, 0
    for name in VGG16_LAYERS[:VGG16_LAYERS.index(deepest_layer) + 1]:
        radius += step  # a 3x3 conv reaches one position further each side, a 2x2 pool one to the right
        if name.endswith("_pool"):
            step *= 2
    return step, math.ceil(radius / step) * step


def format_layer_weights(layers):
    """The inverse of `parse_layer_weights`, for logs and configs."""
    return ",".join(f"{name}:{weight:g}" for name, weight in layers)


def _entries(spec, option):
    if isinstance(spec, str):
        items = [item.strip() for item in spec.split(",") if item.strip()]
        return [tuple(item.split(":", 1)) if ":" in item else (item, None) for item in items]
    if isinstance(spec, Mapping):
        return list(spec.items())
    try:
        items = list(spec)
    except TypeError:
        raise UsageError(f"{option}: expected layer names, got {spec!r}") from None
    entries = []
    for item in items:
        if isinstance(item, str):
            entries.extend(_entries(item, option))
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            entries.append((str(item[0]).strip(), item[1]))
        else:
            raise UsageError(f"{option}: expected a layer name or (name, weight), got {item!r}")
    return entries


def _weight(value, name, option):
    try:
        weight = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{option}: the weight of {name} must be a number, got {value!r}") from None
    if not math.isfinite(weight) or weight < 0:
        raise UsageError(f"{option}: the weight of {name} must be a non-negative number, got {value!r}")
    return weight
