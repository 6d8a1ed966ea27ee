"""Every option of a stylization, checked in one place for the API and the CLI.

`StylizeOptions` refuses values that can never work with a `UsageError` naming
the option, before any image is read or model built. TensorFlow is not imported.
"""

import dataclasses
import os

from kstyle import checks
from kstyle.errors import UsageError
from kstyle.gatys.colors import MODES as COLOR_MODES
from kstyle.gatys.memory import LBFGS_HISTORY
from kstyle.gatys.plan import INITS
from kstyle.images import MAX_SIDE, SAMPLE_PREFIX
from kstyle.perceptual.options import EngineOptions, PerceptualOptions

# `lbfgs` (kstyle.gatys.lbfgs, better results sooner) or `adam` (the TensorFlow tutorial's).
OPTIMIZERS = ("lbfgs", "adam")


@dataclasses.dataclass
class StylizeOptions(EngineOptions):
    """Options of `kstyle.stylize`; the CLI flags of `kstyle stylize` have the same names.

    Keywords and flags name them flat (`style_weight=5`); the objective's lives
    in `perceptual` (see `PerceptualOptions`, whose defaults are this engine's).

    Attributes:
        max_size: the longest side of the output in pixels; the style image is
            resized to the same longest side.
        iterations: the most optimizer iterations at each scale: one number
            for every scale, or one per scale (`200,60` with two scales).
        tolerance: stop a scale sooner, as converged, once its last 10
            iterations lowered the loss by less than this fraction of it
            (`kstyle.gatys.lbfgs.Convergence`); 0, the default, never does.
        min_change: stop a scale sooner, as settled, once the image's mean
            absolute pixel change per iteration, averaged over its last 10
            iterations, is below this many 0-255 levels
            (`kstyle.gatys.lbfgs.Settling`); 0 never does.
        optimizer: `lbfgs` (better results sooner) or `adam`.
        lbfgs_history: the (step, gradient change) pairs L-BFGS remembers:
            more shape each step better at a little more memory; fewer are kept
            where they would not fit (`kstyle.gatys.memory.history_pairs`).
        learning_rate: Adam's step in [0, 1] pixel units (unused by L-BFGS).
        init: the starting image: `content`, `recolored` (the photo in the
            painting's colours, `kstyle.gatys.colors.match_colors`), `noise`,
            `style`, or a path.
        jit_compile: compile the loss and gradient with XLA (often faster on
            GPUs; on a CPU mostly a longer start).
        style_blend_weights: with several style images, how much each counts
            (normalized to sum to 1); equal if omitted.
        style_scale: the style image's longest side is `max_size * style_scale`
            at every scale: below 1 gives finer brush strokes, above 1 bolder.
        preserve_colors: `none`, `luminance` (transfer the luminance only and
            keep the content's colours) or `histogram` (move the style's colours
            onto the content's before stylizing).
        style_masks: one mask per style image (greyscale, white = this style
            here), resized to the output; the regions take different styles.
        scales: a number of scales, each twice the size of the one before and
            the last at `max_size`, or the sizes themselves (`256,512`); each
            scale starts from the one before, upsampled. Runs `iterations` at
            each scale.
        tile_size: evaluate the loss in tiles of this many pixels, exactly (see
            `kstyle.gatys.tiling`), so large outputs fit in memory: None tiles
            automatically above 2048x2048 pixels, 0 never.
        perceptual: the objective and the VGG16 that measures it.
    """
    max_size: int = 512
    iterations: object = 150
    tolerance: float = 0.0
    min_change: float = 0.0
    optimizer: str = "lbfgs"
    lbfgs_history: int = LBFGS_HISTORY
    learning_rate: float = 0.02
    init: str = "recolored"
    jit_compile: bool = False
    style_blend_weights: object = None
    style_scale: float = 1.0
    preserve_colors: str = "none"
    style_masks: object = None
    scales: object = 1
    tile_size: object = None
    perceptual: PerceptualOptions = dataclasses.field(default_factory=PerceptualOptions)

    def __post_init__(self):
        if not isinstance(self.perceptual, PerceptualOptions):
            raise UsageError(f"perceptual must be PerceptualOptions, got {type(self.perceptual).__name__}")
        self.max_size = checks.integer("max_size", self.max_size, 1, MAX_SIDE)
        self.tolerance = checks.number("tolerance", self.tolerance)
        if self.tolerance >= 1:
            raise UsageError(f"tolerance must be a fraction below 1 (e.g. 1e-3), got {self.tolerance:g}")
        self.min_change = checks.number("min_change", self.min_change)
        self.optimizer = checks.choice("optimizer", self.optimizer, OPTIMIZERS)
        self.lbfgs_history = checks.integer("lbfgs_history", self.lbfgs_history, 1, 1000)
        self.learning_rate = checks.number("learning_rate", self.learning_rate, positive=True)
        self.jit_compile = checks.boolean("jit_compile", self.jit_compile)
        if self.style_blend_weights is not None:
            self.style_blend_weights = tuple(
                checks.number("style_blend_weights", w) for w in checks.items("style_blend_weights",
                                                                             self.style_blend_weights))
            if not any(self.style_blend_weights):
                raise UsageError("style_blend_weights: at least one weight must be above zero")
        self.style_scale = checks.number("style_scale", self.style_scale, positive=True)
        self.preserve_colors = checks.choice("preserve_colors", self.preserve_colors, COLOR_MODES)
        if self.style_masks is not None:
            self.style_masks = tuple(checks.items("style_masks", self.style_masks))
        self.scales = self._scale_sizes()
        self.iterations = self._iteration_counts()
        if self.tile_size is not None:
            self.tile_size = checks.integer("tile_size", self.tile_size, 0, MAX_SIDE)
            if 0 < self.tile_size < 128:
                raise UsageError(f"tile_size must be 0 (off) or at least 128, got {self.tile_size}")
        if not isinstance(self.init, str) or not self.init:
            raise UsageError(f"init: expected {', '.join(INITS)} or an image path")
        if self.init not in INITS and not os.path.exists(self.init) and not self.init.startswith(SAMPLE_PREFIX):
            raise UsageError(f"init: {self.init!r} is neither one of {', '.join(INITS)} nor an existing image")

    def check_style_count(self, count):
        """Raises unless the per-style options have one entry per style image."""
        for name in ("style_blend_weights", "style_masks"):
            values = getattr(self, name)
            if values is not None and len(values) != count:
                raise UsageError(f"{name}: {len(values)} given for {count} style image{'s' * (count != 1)}")

    def restated(self):
        """`flat()`, with `scales` as a number of scales when its sizes are the ones that number gives."""
        values = self.flat()
        count = len(self.scales)
        if list(self.scales) == [round(self.max_size / 2 ** (count - 1 - i)) for i in range(count)]:
            values["scales"] = count
        return values

    def iterations_at(self, index):
        """The most iterations of the scale at `index` (0 the first)."""
        return self.iterations if isinstance(self.iterations, int) else self.iterations[index]

    def _iteration_counts(self):
        """One number for every scale (an int), or one per scale (a tuple)."""
        counts = checks.integers("iterations", self.iterations, 1, 1_000_000)
        if not counts:
            raise UsageError("iterations: give a number, or one per scale")
        if len(counts) == 1:
            return counts[0]
        if len(counts) != len(self.scales):
            raise UsageError(f"iterations: {len(counts)} counts given for {len(self.scales)} "
                             f"scale{'s' * (len(self.scales) != 1)}; give one number, or one per scale")
        return counts

    def _scale_sizes(self):
        """Normalizes `scales` to the ascending longest sides, ending at `max_size`."""
        scales = self.scales
        if isinstance(scales, str) and "," not in scales:
            scales = scales.strip()
            scales = int(scales) if scales.isdigit() else scales
        if isinstance(scales, (int, float)) and not isinstance(scales, bool):
            if scales > 12:
                raise UsageError(f"scales: {scales} scales is too many; give a number of scales (1 to 12) "
                                 "or a list of sizes such as 256,512")
            count = checks.integer("scales", scales, 1, 12)
            sizes = [round(self.max_size / 2 ** (count - 1 - i)) for i in range(count)]
        else:
            sizes = [checks.integer("scales", size, 1, MAX_SIDE) for size in checks.items("scales", scales)]
            if sizes != sorted(set(sizes)):
                raise UsageError(f"scales: sizes must increase, got {','.join(map(str, sizes))}")
            if sizes[-1] > self.max_size:
                raise UsageError(f"scales: {sizes[-1]} is larger than max_size {self.max_size}")
            if sizes[-1] != self.max_size:
                sizes.append(self.max_size)
        smallest = self.perceptual.min_side()
        if len(sizes) > 1 and sizes[0] < smallest:
            raise UsageError(f"scales: the first scale would be {sizes[0]} px; with max_size {self.max_size} use "
                             f"fewer scales ({self.perceptual.deepest_layer()} needs at least {smallest} px)")
        return tuple(sizes)
