"""Training photos as a `tf.data` pipeline: files in, random crops out, skipping what cannot be read.

Files are checked from their first bytes and headers first (no decoding), then
TensorFlow decodes them once (all of them, or a random `DECODE_CHECKS` of a
larger set), so a folder of COCO with a few broken files trains anyway and
reports how many it skipped, and a set TensorFlow cannot decode at all is an
error rather than a pipeline that drops every file and waits forever. A file
that still fails later is dropped by the pipeline, with a warning. Each epoch
shuffles the files, decodes, scales each photo so its shorter side is between
the crop size and its own (log-uniformly: multi-scale crops), takes a random
square crop, flips half of them, and batches and prefetches.
"""

import os
from typing import NamedTuple

import numpy as np
import tensorflow as tf
from PIL import Image, UnidentifiedImageError

from kstyle import finder, images, samples
from kstyle.errors import Error, UsageError
from kstyle.feedforward.sizes import MIN_SIDE

# What tf.io.decode_image reads, by name and by the bytes it starts with: the decoder's own dispatch, so a
# file is judged by its content, not by the format Pillow names (Pillow calls a JPEG with more pictures after
# it, a phone's gain map or a camera's stereo pair, MPO; TensorFlow decodes its first picture).
EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".mpo")
SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")
# Photos decoded by TensorFlow before training: every one of a set up to this size, else this many at random.
DECODE_CHECKS = 1000
OPTION = "train_images"


class Photos(NamedTuple):
    """The usable files, and how many were skipped."""
    paths: tuple
    skipped: int


def find_photos(sources, samples_dir=None):
    """Lists readable photos from directories (searched recursively), globs, files and samples.

    Args:
        sources: what `kstyle.finder.find_images` takes (`sample:photos` for
            the built-in photos), or what it found; or `Photos` already found,
            returned as they are (every file header is read once, which counts
            for a COCO-sized folder).
        samples_dir: where built-in samples are written as files for the
            pipeline to read; needed only if `sources` names some.

    Raises:
        UsageError: a source matches nothing, or nothing readable is found.
    """
    if isinstance(sources, Photos):
        return sources
    found = sources if isinstance(sources, finder.Found) else finder.find_images(
        sources, option=OPTION, recursive=True, extensions=None)
    names = [source[len(images.SAMPLE_PREFIX):] for source in found.sources if source.startswith(images.SAMPLE_PREFIX)]
    candidates = [source for source in found.sources if not source.startswith(images.SAMPLE_PREFIX)]
    missing = [path for path in candidates if not os.path.exists(path)]
    if missing:
        raise UsageError(f"{OPTION}: {missing[0]} matches no files")
    if names:
        if samples_dir is None:
            raise UsageError(f"{OPTION}: built-in samples need a directory to be written to (samples_dir)")
        candidates += write_samples(names, samples_dir)
    paths = [path for path in candidates if path.lower().endswith(EXTENSIONS) and _readable(path)]
    if not paths:
        raise UsageError(f"{OPTION}: none of the {len(candidates)} files found is a readable image")
    checked = paths if len(paths) <= DECODE_CHECKS else np.random.default_rng(0).choice(
        paths, DECODE_CHECKS, replace=False).tolist()
    failing = {path for path in checked if not _decodable(path)}
    if len(failing) == len(checked):
        raise UsageError(f"{OPTION}: TensorFlow cannot decode any of the {len(checked)} photos it tried "
                         f"(e.g. {min(failing)})")
    paths = tuple(path for path in paths if path not in failing)
    return Photos(paths, len(candidates) - len(paths))


def _readable(path):
    """Whether the file looks like one TensorFlow decodes: its first bytes, and a header Pillow can read."""
    try:
        with open(path, "rb") as file:
            start = file.read(12)
        with Image.open(path) as image:
            size = image.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        return False
    webp = start[:4] == b"RIFF" and start[8:12] == b"WEBP"
    return min(size) > 0 and (start.startswith(SIGNATURES) or webp)


def _decodable(path):
    try:
        _decode(tf.constant(path))
        return True
    except (tf.errors.InvalidArgumentError, tf.errors.UnknownError, tf.errors.DataLossError):
        return False


def write_samples(names, directory):
    """Writes the built-in samples `names` as PNGs into `directory`; returns their paths.

    Needs scikit-image for the photos (`pip install 'kstyle[demo]'`).
    """
    os.makedirs(directory, exist_ok=True)
    paths = []
    for name in names:
        path = os.path.join(directory, f"{name}.png")
        if not os.path.exists(path):
            images.write_image(path, samples.sample_image(name))
        paths.append(path)
    return paths


def preview_photos(paths, size=256, count=3):
    """Float 0-255 `[count, size, size, 3]` centre crops of the first photos, to watch training on."""
    previews = []
    for path in paths[:count]:
        with Image.open(path) as image:
            image = image.convert("RGB")
            scale = size / min(image.size)
            image = image.resize((max(size, round(image.width * scale)), max(size, round(image.height * scale))),
                                 Image.Resampling.LANCZOS)
            left, top = (image.width - size) // 2, (image.height - size) // 2
            previews.append(np.asarray(image.crop((left, top, left + size, top + size)), np.float32))
    return np.stack(previews)


def training_dataset(paths, crop_size, batch_size, seed=0, styles=0):
    """Returns an endless dataset of float32 0-255 batches `[batch_size, crop, crop, 3]`.

    Args:
        paths: photo files (see `find_photos`).
        crop_size: side of the square crops.
        batch_size: the global batch size (a distribution strategy splits it).
        seed: shuffling and augmentation seed.
        styles: for a network of several styles, how many: each batch is then
            `{"photos": crops, "style": int [batch_size]}`, the styles taken in
            turn through the stream so every style gets the same share of
            steps, and (photos being shuffled each epoch) of photos.
    """
    if crop_size < MIN_SIDE or batch_size < 1:
        raise UsageError(f"crop_size must be at least {MIN_SIDE} and batch_size at least 1, "
                         f"got {crop_size}, {batch_size}")
    if not paths:
        raise Error("no training photos")
    # A fresh stateless permutation per epoch: `Dataset.shuffle` state does not survive the dataset
    # being cloned by a distribution strategy, and every replica and worker must see one order.
    table = tf.constant(list(paths))
    files = tf.data.Dataset.counter().map(lambda epoch: tf.random.experimental.stateless_shuffle(
        tf.range(len(paths)), tf.stack([tf.cast(seed, tf.int64), epoch]))).unbatch().map(
        lambda index: tf.gather(table, index))
    images = files.map(lambda path: _decode(path), num_parallel_calls=tf.data.AUTOTUNE).ignore_errors(
        log_warning=True)
    # Stateless randomness keyed by the photo's position in the stream: the same crops whatever the
    # parallelism, the distribution strategy, or the number of workers reading the stream.
    crops = images.enumerate().map(lambda index, image: _random_crop(image, crop_size, tf.stack(
        [tf.cast(seed, tf.int64), index])), num_parallel_calls=tf.data.AUTOTUNE)
    if styles:
        crops = crops.enumerate().map(lambda index, crop: {"photos": crop, "style": tf.cast(index % styles, tf.int32)})
    batches = crops.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    # Shard by element, not by file: every worker of a multi-worker run then sees the same global
    # batches as one worker would, and a folder with fewer files than workers still works.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return batches.with_options(options)


def _decode(path):
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return tf.cast(image, tf.float32)


def _random_crop(image, crop_size, seed):
    """A random square crop at a random scale, flipped half the time.

    Multi-scale: the photo's shorter side is drawn log-uniformly between the
    crop (the whole photo, shrunk) and its own size (details at full
    resolution), so the network meets things at the sizes photos show them.
    """
    seeds = tf.random.experimental.stateless_split(seed, 3)
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    low = tf.math.log(tf.cast(crop_size, tf.float32))
    high = tf.math.log(tf.maximum(tf.reduce_min(shape), float(crop_size)))
    target = tf.exp(tf.random.stateless_uniform([], seeds[0], 0.0, 1.0) * (high - low) + low)
    scale = target / tf.reduce_min(shape)
    size = tf.cast(tf.math.ceil(shape * scale), tf.int32)
    image = tf.image.resize(image, tf.maximum(size, crop_size), antialias=True)
    image = tf.image.stateless_random_crop(image, [crop_size, crop_size, 3], seeds[1])
    image = tf.image.stateless_random_flip_left_right(image, seeds[2])
    return tf.clip_by_value(image, 0.0, 255.0)
