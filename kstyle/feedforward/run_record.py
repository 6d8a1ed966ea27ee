"""A training run's record (`config.json` in its directory), and the check of a new run against it.

TensorFlow-free, so `kstyle train` refuses a `--model_dir` trained with other
settings before the model loads. `kstyle.feedforward.training` writes the record
and resumes by it.
"""

import hashlib
import json
import os

from kstyle import images
from kstyle.errors import Error, UsageError, first_line
from kstyle.feedforward.sizes import stage_widths

CONFIG_FILE = "config.json"

# Every option of a run, by what resuming it with another value does (tests hold the three against TrainOptions):
# refused: the checkpoints are tied to them (the network's shape), or the loss would measure something else;
SETTINGS = ("width", "residual_blocks", "antialias", "downsamplings", "dilations", "shrink", "widths", "decoder_widths",
            "style_scales", "style_layers", "content_layers", "style_size", "vgg_weights", "gram_normalization",
            "pooling")
# said before training on: the loss's weights and scale, its data and the rate (fine-tuning may change them);
TUNABLES = ("style_weight", "content_weight", "tv_weight", "tv_normalization", "style_scale_weights",
            "lattice_weight", "colour_weight", "periodic_weight",
            "learning_rate", "crop_size", "batch_size", "precision", "seed")
# free: how long, how often it saves and logs, and where it runs (a distributed run follows a single one).
FREE = ("steps", "checkpoint_every", "summary_every", "strategy")


def read_config(model_dir):
    """Returns the settings recorded in `model_dir` (a dict), or None for a new run.

    Raises:
        Error: the record cannot be read, or is not a JSON object.
    """
    path = os.path.join(model_dir, CONFIG_FILE)
    if not os.path.exists(path):  # a new run, or a worker before the chief recorded it
        return None
    try:
        with open(path) as file:
            record = json.load(file)
    except (OSError, ValueError) as error:
        record = first_line(error)
    if not isinstance(record, dict):
        raise Error(f"{path} is damaged ({record if isinstance(record, str) else 'not a JSON object'}); the run "
                    "cannot be checked against it, use another --model_dir")
    return record


def settings(options, styles):
    """What a run's checkpoints are tied to (`SETTINGS`), and the paintings."""
    values = {**options.flat(), **options.perceptual.to_config()}  # layers as `name:weight` text
    widths, decoder_widths = stage_widths(options.width, options.downsamplings, options.widths,
                                          options.decoder_widths)
    values.update(width=widths[0], widths=widths, decoder_widths=decoder_widths)
    return {"style": style_digest(styles), "styles": list(styles),
            **{name: list(values[name]) if isinstance(values[name], tuple) else values[name] for name in SETTINGS}}


def tunables(options):
    """What a resumed run may change, and says it changed (`TUNABLES`)."""
    values = options.flat()
    return {name: list(values[name]) if isinstance(values[name], tuple) else values[name] for name in TUNABLES}


def changed_tunables(options, previous):
    """Returns `["style_weight 0.01 -> 0.03", ...]`: what `options` change against a run's record (or None)."""
    previous = previous or {}
    return [f"{key} {_show(previous[key])} -> {_show(value)}" for key, value in tunables(options).items()
            if key in previous and previous[key] != value]


def _show(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def check_settings(settings, previous, model_dir):
    """Refuses to resume a run whose network, paintings or loss differ from `previous`'s record."""
    if previous is None:
        return
    # A key the record lacks came later, with that run's behaviour as its default.
    changed = {key: (previous[key], value) for key, value in settings.items()
               if key in previous and previous[key] != value}
    if changed:
        details = ", ".join(f"{key} {old} -> {new}" for key, (old, new) in changed.items())
        raise UsageError(f"{model_dir} holds a run with other settings ({details}); "
                         "use another --model_dir or the same settings to resume")


def style_digest(styles):
    """A fingerprint of the paintings' pixels, so a run is not resumed with other ones."""
    digests = []
    for painting in styles.values():
        pixels = images.to_uint8(painting)
        digests.append(hashlib.sha256(pixels.tobytes() + str(pixels.shape).encode()).hexdigest()[:16])
    return ",".join(digests)


def check(options, styles, model_dir):
    """Refuses to resume a run in `model_dir` recorded with other `SETTINGS` or paintings; returns its record.

    Args:
        options: the `TrainOptions` of the new run.
        styles: `{name: painting}` (`kstyle.feedforward.styles.named`).
        model_dir: the run's directory; a new run has no record (None).

    Raises:
        UsageError: the settings differ.
        Error: the record is damaged.
    """
    previous = read_config(model_dir)
    check_settings(settings(options, styles), previous, model_dir)
    return previous
