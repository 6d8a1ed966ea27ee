"""How much memory a stylization needs, worked out before TensorFlow loads, so a run that cannot fit is refused.

The optimizer's state grows with the image: L-BFGS keeps `history` pairs of
image-sized vectors (capped at `LBFGS_MEMORY` bytes, never fewer than
`MIN_HISTORY` pairs), and about 16 more image-sized float32 buffers (the image,
its gradient, the search direction, the line search's trial points, colour
conversions). VGG16's activations do not: above the tile threshold the loss is
evaluated in tiles (`kstyle.gatys.tiling`), so they are one tile's. The
constants come from measured peaks (BENCHMARKS.md, "Print size": 1.1 GiB at
512 px, 6.0 GiB at 2048x1536 untiled, 11.2 GiB at 4096x3072 tiled with a
20-pair history); the estimate errs high, and a run is refused only when it
exceeds what the machine has available.
"""

import os

from kstyle.perceptual.layers import VGG16_LAYERS, geometry

LBFGS_HISTORY = 100  # (step, gradient change) pairs L-BFGS remembers
MIN_HISTORY = 5
LBFGS_MEMORY = 2 * 2**30  # bytes of those pairs: matters at print sizes
BASE_BYTES = int(0.8 * 2**30)  # TensorFlow, VGG16's weights, the process
VGG_BYTES_PER_PIXEL = 1800  # activations and their gradients per evaluated pixel, float32
WORKING_VECTORS = 16  # image-sized float32 buffers besides the history
# Tile above this many pixels (2048x2048), in tiles of this side (see kstyle.gatys.tiling).
AUTO_TILE_PIXELS = 2048 * 2048
AUTO_TILE_SIZE = 1024


def history_pairs(pixels, history=LBFGS_HISTORY):
    """L-BFGS history length for an image of `pixels` (h*w) RGB pixels."""
    vector = 4 * 3 * pixels
    return int(min(history, max(MIN_HISTORY, LBFGS_MEMORY // (2 * vector))))


def tile_size_for(height, width, tile_size):
    """Returns the tile size to use, or None for one pass: `tile_size` None means automatic."""
    if tile_size is None:
        return AUTO_TILE_SIZE if height * width > AUTO_TILE_PIXELS else None
    if tile_size == 0 or max(height, width) <= tile_size:
        return None
    return tile_size


def estimate(height, width, optimizer="lbfgs", tile_size=None, layers=VGG16_LAYERS, history=LBFGS_HISTORY):
    """Bytes a run at `height` x `width` is expected to need at its peak (an upper estimate).

    `layers` are those the loss reads: the deepest sets the halo around each tile; `history` the
    L-BFGS pairs asked for (`history_pairs` caps them).
    """
    pixels = height * width
    tile = tile_size_for(height, width, tile_size)
    evaluated = pixels if tile is None else min(pixels, (tile + 2 * geometry(layers)[1]) ** 2)
    vectors = WORKING_VECTORS + (2 * history_pairs(pixels, history) if optimizer == "lbfgs" else 2)
    return BASE_BYTES + VGG_BYTES_PER_PIXEL * evaluated + 4 * 3 * pixels * vectors


def available():
    """Bytes the system can give a new process now (`MemAvailable`), or None where it cannot tell."""
    try:
        with open("/proc/meminfo") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def gib(count):
    return f"{count / 2**30:.1f} GiB"


def largest_side(need, longest, budget):
    """The largest longest side up to `longest` whose `need(side)` fits `budget` bytes (64 at least)."""
    low, high = 64, longest
    while low < high:
        middle = (low + high + 1) // 2
        if need(middle) <= budget:
            low = middle
        else:
            high = middle - 1
    return low
