"""`NetworkHandler`: Beam's RunInference with a kstyle network, one image at a time, whatever their sizes.

Beam's own TensorFlow handlers do not fit: `TFModelHandlerTensor` loads with
`tf.keras.models.load_model`, which cannot read a SavedModel under Keras 3
(apache/beam#30616), and their default inference stacks a batch, so every image
of a batch would need one size. This handler loads the network the way
`kstyle transform` does (a shipped style, a blend, a `.keras` file, an exported
SavedModel version, a LiteRT or ONNX file) and paints each image of a batch on
its own, at its own size, through one `tf.function`: a fully convolutional
network costs the same per pixel whatever the batch, so bucketing by size
would buy nothing but padding. Batches are bounded by pixels, not by count, so
a worker holds a bounded number of decoded images (see `MAX_BATCH_PIXELS`).

RunInference keeps one network per worker process (Beam's `Shared`), whatever
the number of threads. A model on object storage (`gs://...`) is copied to a
local temporary directory first, once per process.
"""

import logging
import os
import shutil
import tempfile

import numpy as np
from apache_beam.io.filesystems import FileSystems
from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from kstyle.errors import Error


class _NoBogusMemoryWarning(logging.Filter):
    """Drops RunInference's warning, once per batch, that it cannot measure memory.

    Beam 2.78 imports `resource` (which Linux has) in the same `try` as a model
    manager that needs PyTorch, so without PyTorch it takes `resource` for
    missing and says so at every batch.
    """

    def filter(self, record):
        return not str(record.msg).startswith("Resource module is not available for current platform")


logging.getLogger().addFilter(_NoBogusMemoryWarning())  # in every worker process: they unpickle this module

# A batch holds at most this many decoded pixels (uint8 RGB: 48 MB), or one larger image alone.
MAX_BATCH_PIXELS = 16_000_000
MAX_BATCH_IMAGES = 8


class NetworkHandler(ModelHandler):
    """Paints uint8 `[h, w, 3]` images with a kstyle network; each result is uint8 or an `Error`'s message.

    An image the network cannot paint (too small, out of memory) does not fail
    the bundle: its inference is the one-line reason, a `str`, which the
    pipeline lists among the failures.

    Args:
        model: a shipped style's name, a `.keras` file, an export directory or
            one of its versions, a `.tflite` or `.onnx` file; local, or on any
            file system Beam reads.
        blend: which styles to paint (`NAME[:WEIGHT],...`), as `kstyle transform --blend`.
        strength: from 0 (the photo) to 1 (the full style).
        max_size: images with a longer side are shrunk to it first; None keeps their size.

    Example:
        >>> from apache_beam.ml.inference.base import KeyedModelHandler, RunInference
        >>> painted = keyed_images | RunInference(KeyedModelHandler(NetworkHandler("starry_night")))
    """

    def __init__(self, model, blend=None, strength=None, max_size=None):
        super().__init__(max_batch_size=MAX_BATCH_IMAGES, max_batch_weight=MAX_BATCH_PIXELS,
                         element_size_fn=_pixels)
        self.model, self.blend, self.strength, self.max_size = model, blend, strength, max_size

    def load_model(self):
        """The network as a function on float batches, loaded as `kstyle transform` loads it."""
        from kstyle.startup import import_tensorflow_quietly
        import_tensorflow_quietly()  # a worker's first TensorFlow import: its start-up chatter swallowed
        from kstyle.feedforward import apply, forms
        from kstyle.serving import runtimes
        model = _local_copy(self.model)
        located = forms.locate(model)
        if located.form in runtimes.RUNTIMES:  # a LiteRT or ONNX file, in its own runtime
            return runtimes.load(located.form, located.path)
        return apply.load_network(located.path if located.form == forms.SAVEDMODEL else model, self.blend,
                                  self.strength)

    def run_inference(self, batch, model, inference_args=None):
        from kstyle.feedforward import apply
        for image in batch:
            try:
                painted = apply.stylize(model, np.asarray(image, np.float32), self.max_size)
            except Error as error:
                painted = " ".join(str(error).split())
            yield PredictionResult(None, painted)  # not the input again: the pipeline keys results by path

    def get_num_bytes(self, batch):
        return sum(_image(element).nbytes for element in batch)  # not the default's pickling of every image

    def get_metrics_namespace(self):
        return "kstyle"


def _image(element):
    """The image of a batch element, keyed (`KeyedModelHandler` batches `(key, image)`) or not."""
    return element[1] if isinstance(element, tuple) else element


def _pixels(element):
    image = _image(element)
    return int(image.shape[0]) * int(image.shape[1])


def _local_copy(model):
    """`model` itself when local; else a copy of the file or directory in a temporary directory of this process."""
    if "://" not in model:
        return model
    target = os.path.join(tempfile.mkdtemp(prefix="kstyle-model-"), model.rstrip("/").rsplit("/", 1)[-1])
    listed = FileSystems.match([model.rstrip("/") + "/**"])[0].metadata_list
    sources = [entry.path for entry in listed] or [model]
    for source in sources:
        relative = source[len(model.rstrip("/")):].lstrip("/")
        destination = os.path.join(target, relative) if relative else target
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        with FileSystems.open(source) as reader, open(destination, "wb") as writer:
            shutil.copyfileobj(reader, writer)
    return target
