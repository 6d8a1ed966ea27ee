"""Every option of a training run, checked in one place for the API and the CLI.

TensorFlow is not imported, so `kstyle train` refuses a bad flag before loading it.
"""

import dataclasses

from kstyle import checks
from kstyle.errors import UsageError
from kstyle.feedforward.sizes import SHRINKS, max_dilation
from kstyle.images import MAX_SIDE
from kstyle.perceptual.options import EngineOptions, PerceptualOptions

# `default` (one device), `mirrored` (all local GPUs or devices), `multiworker` (TF_CONFIG's cluster);
# kstyle.feedforward.training makes the tf.distribute strategy for each.
STRATEGIES = ("default", "mirrored", "multiworker")

# Johnson et al. (2016): style on relu1_2, relu2_2, relu3_3, relu4_3, content on relu2_2, with the
# hw-normalized Gram loss; what the network is trained with unless told otherwise.
JOHNSON_PERCEPTUAL = dict(style_layers="block1_conv2,block2_conv2,block3_conv3,block4_conv3",
                          content_layers="block2_conv2", style_weight=1e-3, tv_weight=1e-3,
                          gram_normalization="hw", tv_normalization="sum")


def johnson_perceptual():
    """The perceptual options a network is trained with by default (see `JOHNSON_PERCEPTUAL`)."""
    return PerceptualOptions(**JOHNSON_PERCEPTUAL)


@dataclasses.dataclass
class TrainOptions(EngineOptions):
    """Options of `kstyle.feedforward.training.train`; the flags of `kstyle train` have the same names.

    Defaults are Johnson et al.'s (2016) where the paper gives them: the
    perceptual loss above, Adam at 1e-3, batches of 4 crops of 256 px, 40k
    steps (two epochs of COCO), a 32-filter network with 5 residual blocks.

    Attributes:
        style_size: the style image's longest side when its Grams are taken.
        width, residual_blocks: the network's size (see `StyleNetwork`).
        antialias: blur around the network's resampling stages (see `StyleNetwork`).
        downsamplings: the network's stride-2 stages (see `StyleNetwork`).
        dilations: the residual blocks' dilations, in turn (see `StyleNetwork`).
        shrink: paint the photo shrunk by this factor and enlarge the picture
            (see `StyleNetwork`): 2 costs a quarter and paints strokes twice
            as large.
        widths, decoder_widths: the channels of each encoder and decoder stage
            (see `StyleNetwork`); empty, `width` doubled at each downsampling
            and mirrored.
        style_scales: 1, then coarser scales at which the output is also
            judged against the painting shrunk alike (see
            `kstyle.feedforward.perceptual_loss`): 0.5 asks for strokes twice
            the size of those the full-size Grams see.
        style_scale_weights: how much each of `style_scales` counts, in the
            same order; empty for 1 each. A full-size weight below 1 (e.g.
            0.2,1) rewards strokes over the finest texture (it did not rid
            the quarter-resolution candidate of its hatching: BENCHMARKS.md);
            a loss weight, so a resumed run may change it.
        lattice_weight: the weight of the charge for what the network paints
            locked to its stride-2 grid (see `StyleTrainer`); 0 for none.
        colour_weight: the weight of the painting's colours (see
            `kstyle.perceptual.palette`); 0 for none. A loss weight, so a
            resumed run may change it.
        periodic_weight: the weight of the charge for spectral peaks the
            output has and its photo has not (a regular grating, see
            `kstyle.perceptual.peaks`); 0 for none. A loss weight, so a
            resumed run may change it.
        learning_rate, batch_size, crop_size, steps: the optimization; the
            batch is global (split across replicas).
        checkpoint_every: steps between checkpoints (and `.keras` exports).
        summary_every: steps between TensorBoard summaries.
        strategy: one of `STRATEGIES`.
        perceptual: the loss and the VGG16 that measures it (`seed` there also
            seeds initialization, shuffling and augmentation).
    """
    style_size: int = 512
    width: int = 32
    residual_blocks: int = 5
    antialias: bool = False
    downsamplings: int = 2
    dilations: tuple = ()
    shrink: int = 1
    widths: tuple = ()
    decoder_widths: tuple = ()
    style_scales: tuple = (1.0,)
    style_scale_weights: tuple = ()
    lattice_weight: float = 0.0
    colour_weight: float = 0.0
    periodic_weight: float = 0.0
    learning_rate: float = 1e-3
    batch_size: int = 4
    crop_size: int = 256
    steps: int = 40000
    checkpoint_every: int = 500
    summary_every: int = 100
    strategy: str = "default"
    perceptual: PerceptualOptions = dataclasses.field(default_factory=johnson_perceptual)

    def __post_init__(self):
        if not isinstance(self.perceptual, PerceptualOptions):
            raise UsageError(f"perceptual must be PerceptualOptions, got {type(self.perceptual).__name__}")
        self.learning_rate = checks.number("learning_rate", self.learning_rate, positive=True)
        self.strategy = checks.choice("strategy", self.strategy, STRATEGIES)
        self.style_size = checks.integer("style_size", self.style_size, 32, MAX_SIDE)
        self.width = checks.integer("width", self.width, 1, 256)
        self.residual_blocks = checks.integer("residual_blocks", self.residual_blocks, 0, 32)
        self.antialias = checks.boolean("antialias", self.antialias)
        self.downsamplings = checks.integer("downsamplings", self.downsamplings, 0, 4)
        self.shrink = checks.integer("shrink", self.shrink, min(SHRINKS), max(SHRINKS))
        if max_dilation(self.downsamplings, self.shrink) < 1:
            raise UsageError(f"shrink {self.shrink} with {self.downsamplings} downsamplings leaves images of the "
                             "smallest size too few pixels to pad; use fewer downsamplings")
        self.dilations = checks.integers("dilations", self.dilations, 1,
                                         max_dilation(self.downsamplings, self.shrink))
        self.widths = checks.integers("widths", self.widths, 1, 1024)
        self.decoder_widths = checks.integers("decoder_widths", self.decoder_widths, 1, 1024)
        if self.widths and len(self.widths) != self.downsamplings + 1:
            raise UsageError(f"widths needs {self.downsamplings + 1} numbers with {self.downsamplings} downsamplings "
                             f"(the input convolution's, then each stride-2 stage's), got {len(self.widths)}")
        if self.decoder_widths and len(self.decoder_widths) != self.downsamplings:
            raise UsageError(f"decoder_widths needs {self.downsamplings} numbers with {self.downsamplings} "
                             f"downsamplings (one per upsampling), got {len(self.decoder_widths)}")
        self.style_scales = checks.numbers("style_scales", self.style_scales)
        if self.style_scales[0] != 1 or any(not 0 < scale < 1 for scale in self.style_scales[1:]):
            raise UsageError(f"style_scales must be 1, then coarser scales between 0 and 1 (e.g. 1,0.5), "
                             f"got {','.join(f'{scale:g}' for scale in self.style_scales)}")
        self.style_scale_weights = (checks.numbers("style_scale_weights", self.style_scale_weights)
                                    if self.style_scale_weights not in ((), "", None) else ())
        if self.style_scale_weights and (len(self.style_scale_weights) != len(self.style_scales)
                                         or min(self.style_scale_weights) < 0):
            raise UsageError(f"style_scale_weights needs {len(self.style_scales)} numbers of 0 or more, one per "
                             f"style scale ({','.join(f'{scale:g}' for scale in self.style_scales)}), got "
                             f"{','.join(f'{weight:g}' for weight in self.style_scale_weights)}")
        self.lattice_weight = checks.number("lattice_weight", self.lattice_weight)
        self.colour_weight = checks.number("colour_weight", self.colour_weight)
        self.periodic_weight = checks.number("periodic_weight", self.periodic_weight)
        self.batch_size = checks.integer("batch_size", self.batch_size, 1, 4096)
        self.crop_size = checks.integer("crop_size", self.crop_size, 32, 4096)
        self.steps = checks.integer("steps", self.steps, 1, 10**9)
        self.checkpoint_every = checks.integer("checkpoint_every", self.checkpoint_every, 1, 10**9)
        self.summary_every = checks.integer("summary_every", self.summary_every, 1, 10**9)
        if self.crop_size < self.perceptual.min_side():
            raise UsageError(f"crop_size {self.crop_size} is too small for {self.perceptual.deepest_layer()}")
