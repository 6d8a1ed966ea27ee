"""Training a `StyleNetwork` with the perceptual loss: the Keras way, resumable, distributable.

`StyleTrainer` is a Keras model whose `fit()` trains the network on batches of
photos (each batch is its own content target) and logs the loss and each
weighted term, so the usual callbacks (ModelCheckpoint, TensorBoard,
EarlyStopping) just work. `train` wraps it for `kstyle train`: a
`tf.distribute` strategy, a `tf.train.CheckpointManager` that resumes a killed
run at its last checkpoint with the optimizer's state, a `.keras` export beside
each checkpoint, and TensorBoard summaries of every term and of sample
stylizations.
"""

import json
import math
import os
import shutil
import tempfile
import time
from typing import NamedTuple

import keras
import tensorflow as tf

from kstyle import data, vgg
from kstyle.errors import Interrupted, UsageError
from kstyle.layer_spec import format_layer_weights
from kstyle.perceptual_loss import PerceptualLoss
from kstyle.transformer import StyleNetwork

TERMS = ("style", "content", "tv")
MODEL_FILE = "network.keras"
CONFIG_FILE = "config.json"
LOSS_LOG_FILE = "loss.csv"


class StyleTrainer(keras.Model):
    """Trains `network` with `perceptual` (a `PerceptualLoss`) under `fit()`.

    Fit it on a dataset of photo batches, float 0-255, without labels.

    Example:
        >>> trainer = StyleTrainer(kstyle.StyleNetwork(width=16), kstyle.PerceptualLoss.from_style_image("p.jpg"))
        >>> trainer.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> trainer.fit(photo_batches, epochs=10, steps_per_epoch=500,
        ...             callbacks=[keras.callbacks.TensorBoard("runs/p")])
    """

    def __init__(self, network, perceptual, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.perceptual = perceptual
        self.term_trackers = [keras.metrics.Mean(name=name) for name in TERMS]

    def call(self, photos, training=False):
        return self.network(photos)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        del y, sample_weight, training  # Each photo is its own content target.
        total, terms = self.perceptual.terms(x, y_pred)
        for tracker in self.term_trackers:
            tracker.update_state(terms[tracker.name])
        # Keras sums gradients over replicas, so each replica's loss is scaled like a Keras Loss's.
        return tf.reduce_mean(total) / tf.distribute.get_strategy().num_replicas_in_sync

    def train_step(self, data):
        logs = super().train_step(data)
        strategy = tf.distribute.get_strategy()
        if (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
                and strategy.extended._in_multi_worker_mode()):
            # Keras 3 reduces multi-worker logs with `reduce(MEAN, axis=0)`, which fails on the
            # scalars it produces itself (tensorflow/tensorflow#72388): give it an axis to reduce.
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    @property
    def metrics(self):
        return [m for m in super().metrics if m not in self.term_trackers] + self.term_trackers


class TrainResult(NamedTuple):
    """Where the trained network is, and the steps done (`resumed_from` > 0 if it continued a run)."""
    model_path: str
    steps: int
    resumed_from: int
    photos: int
    skipped_photos: int
    replicas: int
    chief: bool


def make_strategy(name):
    """Returns the `tf.distribute` strategy for `default`, `mirrored` or `multiworker`."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise UsageError("strategy multiworker needs TF_CONFIG describing the cluster and this worker")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise UsageError(f"strategy must be default, mirrored or multiworker, got {name!r}")


def is_chief():
    """True unless TF_CONFIG names this process a task other than the chief (or worker 0 without one)."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task")
    if not task or task.get("type") == "chief":
        return True
    return task.get("type") == "worker" and task.get("index", 0) == 0 and "chief" not in config.get("cluster", {})


def train(options, style_image, train_images, model_dir, *, callbacks=(), verbose=0, sample_photos=None):
    """Trains (or resumes training) a network in `model_dir`; returns a `TrainResult`.

    Args:
        options: `kstyle.options.TrainOptions`.
        style_image: the painting (path, PIL image or array).
        train_images: directories, globs or files of photos, or the `data.Photos`
            that `data.find_photos` found in them.
        model_dir: where checkpoints, summaries and `network.keras` go.
        callbacks: more Keras callbacks for `fit()`.
        verbose: `fit()`'s progress display (0 silent, 1 bar, 2 a line per epoch).
        sample_photos: float 0-255 `[n, h, w, 3]` to show stylized in TensorBoard.

    Raises:
        Interrupted: on Ctrl-C, after saving a checkpoint to resume from.
    """
    photos = data.find_photos(train_images)
    strategy = make_strategy(options.strategy)
    os.makedirs(model_dir, exist_ok=True)
    chief = is_chief()
    _check_config(options, model_dir, record=chief)
    keras.utils.set_random_seed(options.seed)
    with strategy.scope():
        trainer = build_trainer(options, style_image)
    checkpoint = tf.train.Checkpoint(network=trainer.network, optimizer=trainer.optimizer)
    checkpoint_dir = os.path.join(model_dir, "checkpoints") if chief else tempfile.mkdtemp(prefix="kstyle-worker-")
    manager = tf.train.CheckpointManager(checkpoint, checkpoint_dir, max_to_keep=3)
    if chief and manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    elif not chief:
        chief_manager = tf.train.CheckpointManager(checkpoint, os.path.join(model_dir, "checkpoints"), 3)
        if chief_manager.latest_checkpoint:
            checkpoint.restore(chief_manager.latest_checkpoint).assert_existing_objects_matched()
    start = int(trainer.optimizer.iterations.numpy())
    export = Exporter(manager, trainer.network, os.path.join(model_dir, MODEL_FILE), chief)
    try:
        if start < options.steps:
            dataset = data.training_dataset(photos.paths, options.crop_size, options.batch_size, options.seed + start)
            epochs = math.ceil((options.steps - start) / options.checkpoint_every)
            run_callbacks = [StopAt(options.steps), CheckpointEvery(export, options.checkpoint_every),
                             Summaries(os.path.join(model_dir, "logs"), options.summary_every, sample_photos, chief),
                             *([LossLog(os.path.join(model_dir, LOSS_LOG_FILE))] if chief else []), *callbacks]
            trainer.fit(dataset, epochs=epochs, steps_per_epoch=options.checkpoint_every, callbacks=run_callbacks,
                        shuffle=False,  # the dataset shuffles itself, reproducibly
                        verbose=verbose)
    except KeyboardInterrupt:
        step = export.save(int(trainer.optimizer.iterations.numpy()))
        raise Interrupted(None, step) from None
    finally:
        if not chief:
            shutil.rmtree(checkpoint_dir, ignore_errors=True)
    step = export.save(int(trainer.optimizer.iterations.numpy()))
    return TrainResult(export.path, step, start, len(photos.paths), photos.skipped, strategy.num_replicas_in_sync,
                       chief)


def build_trainer(options, style_image):
    """Builds and compiles a `StyleTrainer` (call inside the strategy's scope)."""
    backbone = vgg.load_vgg16(options.vgg_weights, options.seed)
    loss = PerceptualLoss.from_style_image(
        style_image, options.style_size, backbone=backbone, style_layers=options.style_layers,
        content_layers=options.content_layers, style_weight=options.style_weight,
        content_weight=options.content_weight, tv_weight=options.tv_weight,
        normalization=options.gram_normalization, vgg_weights=options.vgg_weights, pooling=options.pooling,
        precision=options.precision)
    network = StyleNetwork(options.width, options.residual_blocks)
    network(tf.zeros((1, 32, 32, 3)))
    trainer = StyleTrainer(network, loss)
    trainer.compile(optimizer=keras.optimizers.Adam(options.learning_rate))
    trainer.optimizer.build(network.trainable_variables)
    return trainer


def _check_config(options, model_dir, record):
    """Refuses to resume a run whose network or loss differ; the chief (`record`) records new runs."""
    config = {"width": options.width, "residual_blocks": options.residual_blocks,
              "style_layers": format_layer_weights(options.style_layers),
              "content_layers": format_layer_weights(options.content_layers)}
    path = os.path.join(model_dir, CONFIG_FILE)
    if os.path.exists(path):
        with open(path) as file:
            previous = json.load(file)
        changed = {key: (previous.get(key), value) for key, value in config.items() if previous.get(key) != value}
        if changed:
            details = ", ".join(f"{key} {old} -> {new}" for key, (old, new) in changed.items())
            raise UsageError(f"{model_dir} holds a run with other settings ({details}); "
                             "use another --model_dir or the same settings to resume")
        return
    if record:
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w") as file:
            json.dump(config, file, indent=2)
        os.replace(temporary, path)


class Exporter:
    """Saves a checkpoint and, on the chief, the network as `.keras` (written atomically)."""

    def __init__(self, manager, network, path, chief):
        self.manager, self.network, self.path, self.chief = manager, network, path, chief
        self.saved_step = None

    def save(self, step):
        if step != self.saved_step:
            self.manager.save(checkpoint_number=step)
            if self.chief:
                temporary = f"{self.path}.{os.getpid()}.tmp.keras"
                self.network.save(temporary)
                os.replace(temporary, self.path)
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
    """TensorBoard scalars of every term, and sample stylizations, keyed by the optimizer step."""

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
                stylized = self.model.network(tf.constant(self.samples, tf.float32))
                tf.summary.image("stylized", tf.cast(tf.clip_by_value(stylized, 0, 255), tf.uint8),
                                 max_outputs=len(self.samples))
        self.writer.flush()


class LossLog(keras.callbacks.Callback):
    """Appends `step,seconds,loss,style,content,tv` to a CSV at each checkpoint.

    Each row is the mean over the steps since the previous row; `seconds` counts
    training time across resumed runs, so the file is the run's loss curve.
    """

    HEADER = "step,seconds,loss," + ",".join(TERMS)

    def __init__(self, path):
        super().__init__()
        self.path = path
        self.offset = 0.0
        if os.path.exists(path):
            with open(path) as file:
                rows = [line for line in file.read().splitlines()[1:] if line]
            if rows:
                self.offset = float(rows[-1].split(",")[1])
        else:
            with open(path, "w") as file:
                file.write(self.HEADER + "\n")
        self.started = None

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        step = int(self.model.optimizer.iterations.numpy())
        seconds = self.offset + time.perf_counter() - self.started
        values = [float(logs.get(name, float("nan"))) for name in ("loss", *TERMS)]
        with open(self.path, "a") as file:
            file.write(f"{step},{seconds:.1f}," + ",".join(f"{v:.6g}" for v in values) + "\n")
