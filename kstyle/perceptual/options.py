"""What both engines measure with: the perceptual options, checked once, TensorFlow-free.

`PerceptualOptions` is the instrument's setting: which VGG16 layers the style
and content losses read and how much each term weighs, the Gram normalization,
VGG16's pooling, weights and precision, and the seed. The optimization engine's
`StylizeOptions` and the feed-forward `TrainOptions` each hold one (composed,
not copied), and `EngineOptions` lets them be built from the flat keywords
that flags, presets and `kstyle.stylize(..., style_weight=5)` use. Its defaults
are the Gatys et al. objective that `kstyle stylize` minimizes; `kstyle train`
starts from Johnson et al.'s (see `kstyle.feedforward.options`).
"""

import dataclasses

from kstyle import checks
from kstyle.errors import UsageError
from kstyle.perceptual import weights
from kstyle.perceptual.layers import POOLINGS, deepest, format_layer_weights, min_side, parse_layer_weights
from kstyle.perceptual.precision import PRECISIONS

# `gatys`: G = F^T F, E = sum((G - A)^2) / (4 N^2 M^2) (the paper); `hw`: G = F^T F / (h*w),
# E = mean((G - A)^2) (the TensorFlow tutorial). `kstyle.perceptual.losses` implements both.
NORMALIZATIONS = ("gatys", "hw")
# Total variation `sum(|neighbour differences|)` of the [0, 1] image: `pixels` divides it by the
# number of pixels, so a weight means the same at every size; `sum` leaves it a sum, as the
# TensorFlow tutorial and Johnson et al. define it (its pull grows with the image).
TV_NORMALIZATIONS = ("pixels", "sum")


@dataclasses.dataclass
class PerceptualOptions:
    """The perceptual objective and the VGG16 that measures it.

    Attributes:
        style_layers, content_layers: VGG16 layers as `name[:weight],...`;
            unweighted layers get 1 / number of layers. Stored parsed, as
            `((name, weight), ...)`.
        style_weight, content_weight, tv_weight: the weights of the terms.
        gram_normalization: `gatys` (the paper) or `hw` (the TF tutorial).
        tv_normalization: `pixels` (total variation per pixel: the same look
            at every size) or `sum` (the TF tutorial's and Johnson et al.'s).
        pooling: VGG16's pooling, `max` or `avg`.
        vgg_weights: `auto`, `imagenet`, `hed`, `none`, or a weights file.
        precision: `auto` (bfloat16 where the hardware has native bfloat16
            matrix units, float32 elsewhere; see `kstyle.perceptual.precision`),
            `float32`, `mixed_bfloat16`, or `mixed_float16` (for tensor-core
            GPUs). Losses, Gram matrices and images stay float32.
        seed: seeds random weights, noise and shuffling; same seed, same output.
    """
    style_layers: object = "block1_conv1,block2_conv1,block3_conv1,block4_conv1,block5_conv1"
    content_layers: object = "block4_conv2"
    style_weight: float = 10.0
    content_weight: float = 1.0
    tv_weight: float = 10.0
    gram_normalization: str = "gatys"
    tv_normalization: str = "pixels"
    pooling: str = "max"
    vgg_weights: str = "auto"
    precision: str = "auto"
    seed: int = 0

    def __post_init__(self):
        self.style_layers = parse_layer_weights(self.style_layers, "style_layers")
        self.content_layers = parse_layer_weights(self.content_layers, "content_layers")
        for name in ("style_weight", "content_weight", "tv_weight"):
            setattr(self, name, checks.number(name, getattr(self, name)))
        self.gram_normalization = checks.choice("gram_normalization", self.gram_normalization, NORMALIZATIONS)
        self.tv_normalization = checks.choice("tv_normalization", self.tv_normalization, TV_NORMALIZATIONS)
        self.pooling = checks.choice("pooling", self.pooling, POOLINGS)
        self.vgg_weights = weights.check_source(self.vgg_weights)
        self.precision = checks.choice("precision", self.precision, PRECISIONS)
        self.seed = checks.integer("seed", self.seed, 0, 2**31 - 1)

    @property
    def style_names(self):
        return [name for name, _ in self.style_layers]

    @property
    def content_names(self):
        return [name for name, _ in self.content_layers]

    @property
    def layer_names(self):
        """Every layer either loss reads, each once, style layers first."""
        return list(dict.fromkeys(self.style_names + self.content_names))

    def deepest_layer(self):
        return deepest(self.style_layers, self.content_layers)

    def min_side(self):
        """The smallest image side that keeps the deepest layer at least 1 pixel."""
        return min_side(self.style_layers, self.content_layers)

    def to_config(self):
        """Plain values (layers as `name:weight` strings) that rebuild these options, for configs and JSON."""
        config = dataclasses.asdict(self)
        config["style_layers"] = format_layer_weights(self.style_layers)
        config["content_layers"] = format_layer_weights(self.content_layers)
        return config


FIELDS = tuple(field.name for field in dataclasses.fields(PerceptualOptions))


class EngineOptions:
    """For an engine's options dataclass with a `perceptual: PerceptualOptions` field.

    Flags, presets and Python keywords name every option flat (`style_weight`,
    `max_size`); this sorts them into the engine's own fields and its
    perceptual ones, starting from the engine's default perceptual options.
    """

    @classmethod
    def own_fields(cls):
        return tuple(field.name for field in dataclasses.fields(cls) if field.name != "perceptual")

    @classmethod
    def names(cls):
        """Every option's flat name: the engine's own, then the perceptual ones."""
        return cls.own_fields() + FIELDS

    @classmethod
    def from_kwargs(cls, **kwargs):
        """Builds the options from flat keywords; an unknown one is a `UsageError`, not a TypeError."""
        unknown = sorted(set(kwargs) - set(cls.names()) - {"perceptual"})
        if unknown:
            raise UsageError(f"unknown option(s) {', '.join(unknown)}; "
                             f"the options are {', '.join(sorted(cls.names()))}")
        perceptual = kwargs.pop("perceptual", None)
        if perceptual is None:
            perceptual = cls.default_perceptual()
        changes = {name: kwargs.pop(name) for name in FIELDS if name in kwargs}
        if changes:
            perceptual = dataclasses.replace(perceptual, **changes)
        return cls(perceptual=perceptual, **kwargs)

    @classmethod
    def default_perceptual(cls):
        (field,) = [field for field in dataclasses.fields(cls) if field.name == "perceptual"]
        return field.default_factory()

    def flat(self):
        """`{name: value}` of every option, as `names()` lists them."""
        own = {name: getattr(self, name) for name in self.own_fields()}
        return {**own, **{name: getattr(self.perceptual, name) for name in FIELDS}}

    def replace(self, **keywords):
        """These options with `keywords` (named flat, like `from_kwargs`) changed, checked anew.

        What people write is a preset plus a change or two
        (`stylize(..., options=preset, max_size=64)`); the rest is restated as
        given, so a value derived from another (`StylizeOptions.scales` from
        `max_size`) follows the change.
        """
        given = self.restated()
        if "perceptual" in keywords:
            given = {name: value for name, value in given.items() if name not in FIELDS}
        return type(self).from_kwargs(**{**given, **keywords})

    def restated(self):
        """`flat()`, with any value derived from another stated as it was given; engines override it."""
        return self.flat()
