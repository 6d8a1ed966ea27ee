"""Every option of a stylization, checked in one place for the API and the CLI.

`StylizeOptions` refuses values that can never work with a `UsageError` naming
the option, before any image is read or model built. TensorFlow is not imported.
"""

import dataclasses
import math
import os

from kstyle.errors import UsageError
from kstyle.layer_spec import deepest, min_side, parse_layer_weights

MAX_SIZE_LIMIT = 16384
INITS = ("content", "noise", "style")
COLOR_MODES = ("none", "luminance", "histogram")
WEIGHT_SOURCES = ("auto", "imagenet", "hed", "none")
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")

DEFAULT_STYLE_LAYERS = "block1_conv1,block2_conv1,block3_conv1,block4_conv1,block5_conv1"
DEFAULT_CONTENT_LAYERS = "block4_conv2"


@dataclasses.dataclass
class StylizeOptions:
    """Options of `kstyle.stylize`; the CLI flags of `kstyle stylize` have the same names.

    Attributes:
        max_size: the longest side of the output in pixels; the style image is
            resized to the same longest side.
        iterations: optimizer iterations.
        optimizer: `lbfgs` (better results sooner) or `adam`.
        learning_rate: Adam's step in [0, 1] pixel units (unused by L-BFGS).
        init: the starting image: `content`, `noise`, `style`, or a path.
        seed: seeds noise and random weights; same seed, same output.
        style_layers, content_layers: VGG16 layers as `name[:weight],...`;
            unweighted layers get 1 / number of layers.
        style_weight, content_weight, tv_weight: the weights of the terms.
        gram_normalization: `gatys` (the paper) or `hw` (the TF tutorial).
        pooling: VGG16's pooling, `max` or `avg`.
        vgg_weights: `auto`, `imagenet`, `hed`, `none`, or a weights file.
        precision: `auto` (bfloat16 where the hardware has native bfloat16
            matrix units, float32 elsewhere; see `kstyle.precision`),
            `float32`, `mixed_bfloat16`, or `mixed_float16` (for tensor-core
            GPUs). Losses, Gram matrices and the image stay float32.
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
            every scale.
        tile_size: evaluate the loss in tiles of this many pixels, exactly (see
            `kstyle.tiling`), so large outputs fit in memory: None tiles
            automatically above 2048x2048 pixels, 0 never.
    """
    max_size: int = 512
    iterations: int = 300
    optimizer: str = "lbfgs"
    learning_rate: float = 0.02
    init: str = "content"
    seed: int = 0
    style_layers: object = DEFAULT_STYLE_LAYERS
    content_layers: object = DEFAULT_CONTENT_LAYERS
    style_weight: float = 10.0
    content_weight: float = 1.0
    tv_weight: float = 0.01
    gram_normalization: str = "gatys"
    pooling: str = "max"
    vgg_weights: str = "auto"
    precision: str = "auto"
    jit_compile: bool = False
    style_blend_weights: object = None
    style_scale: float = 1.0
    preserve_colors: str = "none"
    style_masks: object = None
    scales: object = 1
    tile_size: object = None

    def __post_init__(self):
        self.max_size = _integer("max_size", self.max_size, 1, MAX_SIZE_LIMIT)
        self.iterations = _integer("iterations", self.iterations, 1, 1_000_000)
        self.optimizer = _choice("optimizer", self.optimizer, ("lbfgs", "adam"))
        self.learning_rate = _number("learning_rate", self.learning_rate, positive=True)
        self.seed = _integer("seed", self.seed, 0, 2**31 - 1)
        self.style_layers = parse_layer_weights(self.style_layers, "style_layers")
        self.content_layers = parse_layer_weights(self.content_layers, "content_layers")
        for name in ("style_weight", "content_weight", "tv_weight"):
            setattr(self, name, _number(name, getattr(self, name)))
        self.gram_normalization = _choice("gram_normalization", self.gram_normalization, ("gatys", "hw"))
        self.pooling = _choice("pooling", self.pooling, ("max", "avg"))
        self.precision = _choice("precision", self.precision, PRECISIONS)
        if not isinstance(self.jit_compile, bool):
            raise UsageError(f"jit_compile must be True or False, got {self.jit_compile!r}")
        if self.style_blend_weights is not None:
            self.style_blend_weights = tuple(
                _number("style_blend_weights", w) for w in _split(self.style_blend_weights, "style_blend_weights"))
            if not any(self.style_blend_weights):
                raise UsageError("style_blend_weights: at least one weight must be above zero")
        self.style_scale = _number("style_scale", self.style_scale, positive=True)
        self.preserve_colors = _choice("preserve_colors", self.preserve_colors, COLOR_MODES)
        if self.style_masks is not None:
            self.style_masks = tuple(_split(self.style_masks, "style_masks"))
        self.scales = self._scale_sizes()
        if self.tile_size is not None:
            self.tile_size = _integer("tile_size", self.tile_size, 0, MAX_SIZE_LIMIT)
            if 0 < self.tile_size < 128:
                raise UsageError(f"tile_size must be 0 (off) or at least 128, got {self.tile_size}")
        if not isinstance(self.init, str) or not self.init:
            raise UsageError("init: expected content, noise, style or an image path")
        if self.init not in INITS and not os.path.exists(self.init) and not self.init.startswith("sample:"):
            raise UsageError(f"init: {self.init!r} is neither one of {', '.join(INITS)} nor an existing image")
        self.vgg_weights = _weights_source(self.vgg_weights)

    def check_style_count(self, count):
        """Raises unless the per-style options have one entry per style image."""
        for name in ("style_blend_weights", "style_masks"):
            values = getattr(self, name)
            if values is not None and len(values) != count:
                raise UsageError(f"{name}: {len(values)} given for {count} style image{'s' * (count != 1)}")

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
            count = _integer("scales", scales, 1, 12)
            sizes = [round(self.max_size / 2 ** (count - 1 - i)) for i in range(count)]
        else:
            sizes = [_integer("scales", size, 1, MAX_SIZE_LIMIT) for size in _split(scales, "scales")]
            if sizes != sorted(set(sizes)):
                raise UsageError(f"scales: sizes must increase, got {','.join(map(str, sizes))}")
            if sizes[-1] > self.max_size:
                raise UsageError(f"scales: {sizes[-1]} is larger than max_size {self.max_size}")
            if sizes[-1] != self.max_size:
                sizes.append(self.max_size)
        smallest = min_side(self.style_layers, self.content_layers)
        if len(sizes) > 1 and sizes[0] < smallest:
            raise UsageError(f"scales: the first scale would be {sizes[0]} px; with max_size {self.max_size} use "
                             f"fewer scales ({deepest(self.style_layers, self.content_layers)} needs at least "
                             f"{smallest} px)")
        return tuple(sizes)

    @classmethod
    def from_kwargs(cls, **kwargs):
        """Like the constructor, but an unknown option is a `UsageError`, not a TypeError."""
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise UsageError(f"unknown option(s) {', '.join(unknown)}; the options are {', '.join(sorted(known))}")
        return cls(**kwargs)


def _split(values, name):
    """A comma-separated string or a sequence, as a list of non-empty items."""
    if isinstance(values, str):
        items = [item.strip() for item in values.split(",") if item.strip()]
    else:
        try:
            items = list(values)
        except TypeError:
            raise UsageError(f"{name}: expected a list, got {values!r}") from None
    if not items:
        raise UsageError(f"{name}: the list is empty")
    return items


def _weights_source(value):
    if not isinstance(value, str) or (value not in WEIGHT_SOURCES and not os.path.isfile(value)):
        raise UsageError(f"vgg_weights: {value!r} is neither one of {', '.join(WEIGHT_SOURCES)} "
                         "nor an existing weights file")
    return value


def _integer(name, value, low, high):
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise UsageError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise UsageError(f"{name} must be between {low} and {high}, got {value}")
    return int(value)


def _number(name, value, positive=False):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        raise UsageError(f"{name} must be a {'positive' if positive else 'non-negative'} number, got {value!r}")
    return number


def _choice(name, value, choices):
    if value not in choices:
        raise UsageError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


STRATEGIES = ("default", "mirrored", "multiworker")


@dataclasses.dataclass
class TrainOptions:
    """Options of `kstyle.train.train`; the flags of `kstyle train` have the same names.

    Defaults are Johnson et al.'s (2016) where the paper gives them: style on
    relu1_2, relu2_2, relu3_3, relu4_3, content on relu2_2, Adam at 1e-3, batches
    of 4 crops of 256 px, 40k steps (two epochs of COCO), 32-filter network with
    5 residual blocks.

    Attributes:
        style_layers, content_layers, style_weight, content_weight, tv_weight,
        gram_normalization, vgg_weights, pooling, precision: as for `StylizeOptions`.
        style_size: the style image's longest side when its Grams are taken.
        width, residual_blocks: the network's size (see `StyleNetwork`).
        learning_rate, batch_size, crop_size, steps: the optimization; the
            batch is global (split across replicas).
        checkpoint_every: steps between checkpoints (and `.keras` exports).
        summary_every: steps between TensorBoard summaries.
        strategy: `default` (one device), `mirrored` (all local GPUs or
            devices) or `multiworker` (TF_CONFIG's cluster).
        seed: seeds initialization, shuffling and augmentation.
    """
    style_layers: object = "block1_conv2,block2_conv2,block3_conv3,block4_conv3"
    content_layers: object = "block2_conv2"
    style_weight: float = 1e-3
    content_weight: float = 1.0
    tv_weight: float = 1e-3
    gram_normalization: str = "hw"
    style_size: int = 512
    width: int = 32
    residual_blocks: int = 5
    learning_rate: float = 1e-3
    batch_size: int = 4
    crop_size: int = 256
    steps: int = 40000
    checkpoint_every: int = 500
    summary_every: int = 100
    strategy: str = "default"
    precision: str = "auto"
    vgg_weights: str = "auto"
    pooling: str = "max"
    seed: int = 0

    def __post_init__(self):
        self.style_layers = parse_layer_weights(self.style_layers, "style_layers")
        self.content_layers = parse_layer_weights(self.content_layers, "content_layers")
        for name in ("style_weight", "content_weight", "tv_weight"):
            setattr(self, name, _number(name, getattr(self, name)))
        self.learning_rate = _number("learning_rate", self.learning_rate, positive=True)
        self.gram_normalization = _choice("gram_normalization", self.gram_normalization, ("gatys", "hw"))
        self.pooling = _choice("pooling", self.pooling, ("max", "avg"))
        self.precision = _choice("precision", self.precision, PRECISIONS)
        self.strategy = _choice("strategy", self.strategy, STRATEGIES)
        self.style_size = _integer("style_size", self.style_size, 32, MAX_SIZE_LIMIT)
        self.width = _integer("width", self.width, 1, 256)
        self.residual_blocks = _integer("residual_blocks", self.residual_blocks, 0, 32)
        self.batch_size = _integer("batch_size", self.batch_size, 1, 4096)
        self.crop_size = _integer("crop_size", self.crop_size, 32, 4096)
        self.steps = _integer("steps", self.steps, 1, 10**9)
        self.checkpoint_every = _integer("checkpoint_every", self.checkpoint_every, 1, 10**9)
        self.summary_every = _integer("summary_every", self.summary_every, 1, 10**9)
        self.seed = _integer("seed", self.seed, 0, 2**31 - 1)
        self.vgg_weights = _weights_source(self.vgg_weights)
        if self.crop_size < min_side(self.style_layers, self.content_layers):
            raise UsageError(f"crop_size {self.crop_size} is too small for "
                             f"{deepest(self.style_layers, self.content_layers)}")
