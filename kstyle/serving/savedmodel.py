"""A trained style network as a SavedModel that TensorFlow Serving loads and serves.

Two signatures, whose names clients depend on:

* `serving_default`: `image`, uint8 `[batch, height, width, 3]` -> `stylized_image`,
  uint8, the same shape.
* `serve_bytes`: `image_bytes`, string `[batch]` of JPEG or PNG files (what a REST
  client sends as `{"b64": ...}`) -> `stylized_image_bytes`, string `[batch]` of
  PNG files. Images in one batch may have different sizes; they are decoded and
  stylized one at a time, so the peak is one image's.
* `blend`, for a network of named styles: `image` as above, `style_weights`
  float `[batch, styles]` (a blend per image, normalized to sum to 1 inside) and
  `strength` float `[batch]` in [0, 1] -> `stylized_image`, and `style_names`
  string `[batch, styles]`, the styles in the weights' order, so a client maps
  names to positions from any reply (they are also in `assets.extra/kstyle.json`).

The first two paint what the export was asked for: the network's one style, or
the style or blend `kstyle export --model=NAME` / `--blend` chose.

A request's budget (`kstyle.serving.limits.Budget`: pixels per image, per request,
images per request) is checked inside the graph before anything is decoded or
run (`kstyle.serving.guards`), so a hostile request gets an InvalidArgument error
naming the limit and the server lives on. The graph holds only stock TensorFlow
ops (no py_function, no XLA), and is written with Keras' `ExportArchive`, whose
plain variables TF Serving's session loader restores. A version is built in a
hidden directory beside its final place, made readable as the umask allows (TF
Serving often runs as another user), and renamed when complete, with warmup
records (`kstyle.serving.warmup`); two exports at once get different versions.
"""

import errno
import json
import os
import shutil
import tempfile

import keras
import tensorflow as tf

from kstyle import files
from kstyle.errors import Error, UsageError, write_failure
from kstyle.feedforward import exported
# The export's description is defined where the feed-forward wing reads it; these names are re-exported.
from kstyle.feedforward.exported import BLEND_SIGNATURE, DESCRIPTION_FILE, style_names  # noqa: F401
from kstyle.feedforward.painter import painter
from kstyle.serving import guards, limits, warmup

SIGNATURES = ("serving_default", "serve_bytes")
_ATTEMPTS = 20  # versions tried when other exports take the next ones first


def export(network, export_dir, version=None, budget=None, style_weights=None, strength=None):
    """Writes `network` as `export_dir/<version>/`; returns that directory.

    Args:
        network: a `StyleNetwork` (or any Keras model mapping 0-255 images to 0-255 images).
        export_dir: the model's base directory (TF Serving's `base_path`).
        version: a positive integer; the next free one if omitted.
        budget: what one request may ask for (`limits.Budget`); the defaults if omitted.
        style_weights: what `serving_default` and `serve_bytes` paint, one
            weight per style (`kstyle.feedforward.blend.choose`); needed for a
            network of several styles.
        strength: theirs too, from 0 (the photo) to 1 (the default).

    Raises:
        UsageError: the version exists already, or a bad version.
        Error: no free version after many tries (other exports racing).
    """
    budget = budget or limits.budget()
    if version is not None and int(version) < 1:
        raise UsageError(f"version must be a positive integer, got {version}")
    os.makedirs(export_dir, exist_ok=True)
    if version is not None and os.path.exists(os.path.join(export_dir, str(version))):
        raise _exists(os.path.join(export_dir, str(version)))
    staging = tempfile.mkdtemp(prefix=".export.", suffix=".partial", dir=export_dir)
    try:
        styles = tuple(getattr(network, "styles", ()))
        if len(styles) > 1 and style_weights is None:
            raise UsageError(f"the network paints {len(styles)} styles ({', '.join(styles)}); say which "
                             "serving_default paints (style_weights)")
        archive = keras.export.ExportArchive()
        archive.track(network)
        uint8_fn, bytes_fn = serving_functions(painter(network, style_weights, strength), budget)
        image = tf.TensorSpec([None, None, None, 3], tf.uint8, name="image")
        archive.add_endpoint("serving_default", uint8_fn, input_signature=[image])
        archive.add_endpoint("serve_bytes", bytes_fn,
                             input_signature=[tf.TensorSpec([None], tf.string, name="image_bytes")])
        if styles:
            archive.add_endpoint(BLEND_SIGNATURE, blend_function(network, budget), input_signature=[
                image, tf.TensorSpec([None, len(styles)], tf.float32, name="style_weights"),
                tf.TensorSpec([None], tf.float32, name="strength")])
        archive.write_out(staging, verbose=False)
        warmup.write(os.path.join(staging, warmup.FILE), styles=len(styles))
        files.write_atomically(os.path.join(staging, DESCRIPTION_FILE),
                               json.dumps(exported.describe(styles, style_weights, strength), indent=2).encode())
        _readable(staging)
        return _publish(staging, export_dir, version)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, (OSError, tf.errors.OpError)):  # a full disk, say, while TensorFlow wrote it
            raise Error(f"{export_dir}: cannot write the version ({write_failure(error)})") from None
        raise


def next_version(export_dir):
    """The next integer version under `export_dir` (1 if there is none)."""
    versions = [int(name) for name in os.listdir(export_dir) if name.isdigit()] if os.path.isdir(export_dir) else []
    return max(versions, default=0) + 1


def _publish(staging, export_dir, version):
    """Renames the finished `staging` to its version: a server sees all of it or nothing.

    A rename onto a version another export has just written fails (the directory
    is not empty); then the next free version is taken, unless one was asked for.
    """
    for _ in range(_ATTEMPTS):
        final = os.path.join(export_dir, str(version or next_version(export_dir)))
        try:
            os.rename(staging, final)
            return final
        except OSError as error:
            if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise Error(f"{final}: cannot write the version ({error.strerror})") from None
            if version is not None:
                raise _exists(final) from None
    raise Error(f"{export_dir}: no free version after {_ATTEMPTS} tries; other exports keep taking them")


def _exists(path):
    return UsageError(f"{path} exists already; TF Serving versions are immutable, use another --version")


def _readable(directory):
    """Gives the version the permissions a new file would get (0755 / 0644 under umask 022).

    `mkdtemp` makes its directory 0700 for privacy; a server running as another
    user (rootless Docker, Kubernetes runAsNonRoot) could not read it.
    """
    umask = os.umask(0)
    os.umask(umask)
    for root, _, names in os.walk(directory):
        os.chmod(root, 0o777 & ~umask)
        for name in names:
            os.chmod(os.path.join(root, name), 0o666 & ~umask)


def stylize_uint8(network, images):
    """The network's pixels as every exported format serves them: uint8 in, rounded uint8 out."""
    stylized = network(tf.cast(images, tf.float32), training=False)
    return tf.cast(tf.clip_by_value(tf.round(stylized), 0.0, 255.0), tf.uint8)


def serving_functions(network, budget):
    """Returns the two serving functions (uint8 tensors; encoded files) around `network`."""

    def stylize(images):
        return stylize_uint8(network, images)

    def serving_default(image):
        shape = tf.shape(image, out_type=tf.int64)
        sizes = tf.tile(shape[None, 1:3], [shape[0], 1])
        with tf.control_dependencies(guards.request_checks(sizes, budget)):
            return {"stylized_image": stylize(image)}

    def serve_bytes(image_bytes):
        sizes = tf.map_fn(guards.header_size, image_bytes, fn_output_signature=tf.TensorSpec([2], tf.int64))
        with tf.control_dependencies(guards.request_checks(sizes, budget)):
            image_bytes = tf.identity(image_bytes)

        def one(data):
            return tf.io.encode_png(stylize(guards.decoded(data)[None])[0])

        # One image at a time: the peak is one image's, whatever the batch.
        return {"stylized_image_bytes": tf.map_fn(one, image_bytes, parallel_iterations=1,
                                                  fn_output_signature=tf.string)}

    return serving_default, serve_bytes


def blend_function(network, budget):
    """The `blend` signature's function: a blend and strength per image, checked like the rest."""
    styles = tf.constant(list(network.styles))

    def blend(image, style_weights, strength):
        shape = tf.shape(image, out_type=tf.int64)
        sizes = tf.tile(shape[None, 1:3], [shape[0], 1])
        batch = tf.shape(image)[0]
        totals = tf.reduce_sum(style_weights, axis=1)
        checks = guards.request_checks(sizes, budget) + [
            tf.debugging.Assert(tf.logical_and(tf.equal(tf.shape(style_weights)[0], batch),
                                               tf.equal(tf.shape(strength)[0], batch)),
                                ["kstyle: style_weights and strength need one row per image"]),
            # NaN fails `>= 0`; an infinite weight, or finite ones summing past float32, leave a sum that is not
            # finite, and normalizing by it gives NaN (a black picture) or zeros.
            tf.debugging.Assert(tf.reduce_all(style_weights >= 0.0) & tf.reduce_all(totals > 0.0)
                                & tf.reduce_all(tf.math.is_finite(totals)), [
                "kstyle: style_weights must be finite and non-negative with a finite, positive sum in every row"]),
            tf.debugging.Assert(tf.reduce_all(tf.logical_and(strength >= 0.0, strength <= 1.0)), [
                "kstyle: strength must be from 0 to 1"]),
        ]
        with tf.control_dependencies(checks):
            weights = style_weights / totals[:, None]
            stylized = network(tf.cast(image, tf.float32), style_weights=weights, strength=strength, training=False)
        return {"stylized_image": tf.cast(tf.clip_by_value(tf.round(stylized), 0.0, 255.0), tf.uint8),
                "style_names": tf.tile(styles[None], [batch, 1])}

    return blend
