"""kstyle: neural style transfer for TensorFlow/Keras.

`kstyle.stylize(content, style, **options)` paints a photo in the style of a
painting by optimization (Gatys et al.); the building blocks (`load_vgg16`,
`feature_extractor`, `gram_matrix`, the losses, `Objective`, and
`kstyle.optimize.optimize`) are importable on their own. The feed-forward
variant (Johnson et al.) is Keras all the way: `StyleNetwork` (a model),
`PerceptualLoss` (a loss) and `StyleTrainer` (a model whose `fit()` trains one). Names are loaded on first use, so importing a module
that does not need TensorFlow (`kstyle.images`, `kstyle.options`) stays fast.
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
    "StylizeOptions": "kstyle.options",
    "stylize": "kstyle.gatys",
    "load_vgg16": "kstyle.vgg",
    "feature_extractor": "kstyle.vgg",
    "VGGPreprocess": "kstyle.vgg",
    "gram_matrix": "kstyle.losses",
    "style_layer_loss": "kstyle.losses",
    "content_layer_loss": "kstyle.losses",
    "total_variation": "kstyle.losses",
    "GramMatrix": "kstyle.losses",
    "Objective": "kstyle.objective",
    "StyleTarget": "kstyle.objective",
    "StyleNetwork": "kstyle.transformer",
    "PerceptualLoss": "kstyle.perceptual_loss",
    "StyleTrainer": "kstyle.train",
    "TrainOptions": "kstyle.options",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        module = importlib.import_module(_EXPORTS[name])
        return getattr(module, name)
    raise AttributeError(f"module 'kstyle' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
