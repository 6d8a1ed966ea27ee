"""The Keras callbacks of a training run: checkpoints, stopping at a step, summaries, the loss curve.

`kstyle.feedforward.training.train` puts them together; each also works in a
`fit()` of your own.
"""

import os
import time

import keras
import tensorflow as tf

from kstyle.errors import Error, write_failure
from kstyle.perceptual.objective import TERMS


class Exporter:
    """Saves a checkpoint and, on the chief, the network as `.keras` (written atomically)."""

    def __init__(self, manager, network, path, chief):
        self.manager, self.network, self.path, self.chief = manager, network, path, chief
        self.saved_step = None

    def save(self, step):
        """Saves step `step` (once); returns it.

        Raises:
            Error: it cannot be written (a full disk, say); the last saved one stays.
        """
        if step != self.saved_step:
            try:
                self.manager.save(checkpoint_number=step)
                if self.chief:
                    temporary = f"{self.path}.{os.getpid()}.tmp.keras"
                    try:
                        self.network.save(temporary)
                        os.replace(temporary, self.path)
                    finally:
                        if os.path.exists(temporary):
                            os.unlink(temporary)
            except (OSError, tf.errors.OpError) as error:
                raise Error(f"cannot save the checkpoint of step {step} in {self.manager.directory} "
                            f"({write_failure(error)})") from None
            self.saved_step = step
        return step


class CheckpointEvery(keras.callbacks.Callback):
    """Checkpoints every `every` optimizer steps."""

    def __init__(self, exporter, every):
        super().__init__()
        self.exporter, self.every = exporter, every

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        if step % self.every == 0:
            self.exporter.save(step)


class StopAt(keras.callbacks.Callback):
    """Stops `fit()` when the optimizer reaches `steps`, whatever epoch it is in."""

    def __init__(self, steps):
        super().__init__()
        self.steps = steps

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) >= self.steps:
            self.model.stop_training = True


class Summaries(keras.callbacks.Callback):
    """TensorBoard scalars of every term, and sample stylizations (in each style), keyed by the optimizer step."""

    def __init__(self, log_dir, every, sample_photos, chief):
        super().__init__()
        self.every, self.samples = every, sample_photos
        self.writer = tf.summary.create_file_writer(log_dir) if chief else tf.summary.create_noop_writer()

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        if step % self.every:
            return
        with self.writer.as_default(step=step):
            for name, value in (logs or {}).items():
                tf.summary.scalar(name, float(value))
            if self.samples is not None:
                samples = tf.constant(self.samples, tf.float32)
                styles = getattr(self.model.network, "styles", ())
                for index, name in enumerate(styles or [None]):
                    weights = None if name is None else tf.one_hot([index] * len(self.samples), len(styles))
                    stylized = self.model.network(samples, style_weights=weights)
                    tf.summary.image("stylized" if len(styles) < 2 else f"stylized/{name}",
                                     tf.cast(tf.clip_by_value(stylized, 0, 255), tf.uint8),
                                     max_outputs=len(self.samples))
        self.writer.flush()


class LossCurve(keras.callbacks.Callback):
    """Appends `step,seconds,loss,style,content,tv` (and any other term) to a CSV at each checkpoint.

    Each row is the mean over the steps since the previous row; `seconds` counts
    training time across resumed runs, so the file is the run's loss curve. A
    resumed run keeps the columns the file was started with.

    Args:
        path: the CSV file.
        terms: the logged terms to write after the loss.
    """

    def __init__(self, path, terms=TERMS):
        super().__init__()
        self.path = path
        self.offset = 0.0
        self.terms = tuple(terms)
        if os.path.exists(path):
            with open(path) as file:
                lines = file.read().splitlines()
            rows = [line for line in lines[1:] if line]
            if lines:
                self.terms = tuple(lines[0].split(",")[3:])
            if rows:
                self.offset = float(rows[-1].split(",")[1])
        else:
            with open(path, "w") as file:
                file.write(",".join(("step", "seconds", "loss") + self.terms) + "\n")
        self.started = None

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        step = int(self.model.optimizer.iterations.numpy())
        seconds = self.offset + time.perf_counter() - self.started
        values = [float(logs.get(name, float("nan"))) for name in ("loss", *self.terms)]
        with open(self.path, "a") as file:
            file.write(f"{step},{seconds:.1f}," + ",".join(f"{v:.6g}" for v in values) + "\n")
