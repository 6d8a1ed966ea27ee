"""kstyle: neural style transfer for TensorFlow/Keras.

Four wings over one instrument: `kstyle.perceptual` (VGG16 features, Gram,
content and total-variation losses, the `Objective`), the optimization engine
`kstyle.gatys` (`kstyle.stylize(content, style, **options)`), the feed-forward
wing `kstyle.feedforward` (`StyleNetwork`, `PerceptualLoss`, `StyleTrainer`:
Keras all the way), and `kstyle.serving` (the SavedModel for TF Serving); the
`kstyle` command sits on top (`kstyle.cli`). The names below are loaded on
first use, so importing a module that does not need TensorFlow
(`kstyle.images`, the options, `kstyle.presets`) stays fast; a name that does
imports TensorFlow without its C++ start-up chatter, as the command does
(`kstyle.startup`; KSTYLE_VERBOSE=1 shows it).
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "Error": "kstyle.errors",
    "UsageError": "kstyle.errors",
    "ImageError": "kstyle.errors",
    "Interrupted": "kstyle.errors",
    "read_image": "kstyle.images",
    "write_image": "kstyle.images",
    "PerceptualOptions": "kstyle.perceptual.options",
    "load_vgg16": "kstyle.perceptual.vgg",
    "feature_extractor": "kstyle.perceptual.vgg",
    "VGGPreprocess": "kstyle.perceptual.vgg",
    "gram_matrix": "kstyle.perceptual.losses",
    "style_layer_loss": "kstyle.perceptual.losses",
    "content_layer_loss": "kstyle.perceptual.losses",
    "total_variation": "kstyle.perceptual.losses",
    "GramMatrix": "kstyle.perceptual.losses",
    "Objective": "kstyle.perceptual.objective",
    "StyleTarget": "kstyle.perceptual.objective",
    "StylizeOptions": "kstyle.gatys.options",
    "stylize": "kstyle.gatys.stylize",
    "StyleNetwork": "kstyle.feedforward.network",
    "PerceptualLoss": "kstyle.feedforward.perceptual_loss",
    "StyleTrainer": "kstyle.feedforward.trainer",
    "TrainOptions": "kstyle.feedforward.options",
    "StyleAugmentation": "kstyle.feedforward.augmentation",
}

# The modules of _EXPORTS that import no TensorFlow.
_TENSORFLOW_FREE = {"kstyle.errors", "kstyle.images", "kstyle.perceptual.options", "kstyle.gatys.options",
                    "kstyle.feedforward.options"}

# Modules reachable as attributes (`kstyle.presets.options(...)`) without importing them first.
_SUBMODULES = ("images", "presets", "samples", "finder", "perceptual", "gatys", "feedforward", "serving")

# The submodules whose modules mostly need TensorFlow.
_WINGS = ("perceptual", "gatys", "feedforward", "serving")

__all__ = sorted(_EXPORTS)


def _import_tensorflow_quietly():
    from kstyle.startup import import_tensorflow_quietly
    import_tensorflow_quietly(first_op=False)


def __getattr__(name):
    if name in _EXPORTS:
        if _EXPORTS[name] not in _TENSORFLOW_FREE:
            _import_tensorflow_quietly()
        module = importlib.import_module(_EXPORTS[name])
        return getattr(module, name)
    if name in _SUBMODULES:
        if name in _WINGS:
            _import_tensorflow_quietly()
        return importlib.import_module(f"kstyle.{name}")
    raise AttributeError(f"module 'kstyle' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS) | set(_SUBMODULES))
