"""A training run of a style network for `kstyle train`: resumable and distributable.

`train` wraps a `StyleTrainer` (`kstyle.feedforward.trainer`) with a
`tf.distribute` strategy, a `tf.train.CheckpointManager` that resumes a killed
run at its last checkpoint with the optimizer's state, a `.keras` export beside
each checkpoint, TensorBoard summaries of every term and of sample
stylizations, and the loss curve (`kstyle.feedforward.callbacks`).
"""

import gc
import json
import math
import os
import shutil
import tempfile
from typing import NamedTuple

import keras
import tensorflow as tf

from kstyle import files, progress
from kstyle.errors import INTERRUPTS, Error, Interrupted, UsageError, first_line, is_interrupt
from kstyle.feedforward import data
from kstyle.feedforward import styles as styles_module
from kstyle.feedforward.callbacks import CheckpointEvery, Exporter, LossCurve, StepProgress, StopAt, Summaries
from kstyle.feedforward.network import StyleNetwork
from kstyle.feedforward.options import STRATEGIES
from kstyle.feedforward.perceptual_loss import PerceptualLoss
from kstyle.feedforward.run_record import (CONFIG_FILE, FREE, SETTINGS, TUNABLES,  # noqa: F401 (named here too)
                                           changed_tunables, check_settings, read_config, settings, tunables)
from kstyle.feedforward.trainer import StyleTrainer
from kstyle.perceptual import vgg

MODEL_FILE = "network.keras"
SAMPLES_DIR = "sample_photos"  # built-in photos named by `sample:`, written as files for tf.data
LOSS_LOG_FILE = "loss.csv"
CHECKPOINTS_DIR = "checkpoints"
LOCK_FILE = ".lock"


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
    """Returns the `tf.distribute` strategy for `default`, `mirrored` or `multiworker`.

    Make it before TensorFlow runs any op: TensorFlow refuses a multi-worker
    strategy after one has run. `train` makes it first thing; a caller that runs
    ops before training (the CLI decodes the photos) makes it earlier and passes
    it to `train`.

    Raises:
        UsageError: an unknown name; a TF_CONFIG that is not a JSON object;
            `multiworker` without TF_CONFIG, with one TensorFlow refuses, or
            after an op has run.
        Error: this worker cannot start (its address in TF_CONFIG is taken, say).
    """
    config = tf_config()  # is_chief reads it whatever the strategy
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if not config:
            raise UsageError("strategy multiworker needs TF_CONFIG describing the cluster and this worker")
        try:
            return tf.distribute.MultiWorkerMirroredStrategy()
        except ValueError as error:
            raise UsageError(f"TF_CONFIG: {first_line(error)}") from None
        except RuntimeError as error:
            if "program startup" not in str(error):
                raise
            raise UsageError("strategy multiworker must be made before TensorFlow runs any op: call "
                             "training.make_strategy first and pass it to train(strategy=...)") from None
        except tf.errors.OpError as error:
            raise Error(f"strategy multiworker: this worker cannot start ({first_line(error)}); is its "
                        "address in TF_CONFIG free?") from None
    raise UsageError(f"strategy must be one of {', '.join(STRATEGIES)}, got {name!r}")


def tf_config():
    """The cluster TF_CONFIG describes, as a dict (empty without one).

    Raises:
        UsageError: TF_CONFIG is not a JSON object.
    """
    text = os.environ.get("TF_CONFIG") or "{}"
    try:
        config = json.loads(text)
    except ValueError:
        config = None
    if not isinstance(config, dict):
        raise UsageError(f"TF_CONFIG must be a JSON object with the cluster and this task, got {text[:60]!r}")
    return config


def is_chief():
    """True unless TF_CONFIG names this process a task other than the chief (or worker 0 without one)."""
    config = tf_config()
    task = config.get("task")
    if not isinstance(task, dict) or task.get("type") == "chief":
        return True
    return task.get("type") == "worker" and task.get("index", 0) == 0 and "chief" not in config.get("cluster", {})


def train(options, styles, train_images, model_dir, *, callbacks=(), verbose=None, sample_photos=None,
          on_changes=None, strategy=None):
    """Trains (or resumes training) a network in `model_dir`; returns a `TrainResult`.

    Args:
        options: `kstyle.feedforward.options.TrainOptions`.
        styles: the painting (path, PIL image or array), or several, as a list
            or as `{name: painting}`; one network learns them all (see
            `kstyle.feedforward.styles.named` for their names).
        train_images: directories, globs, files or `sample:` photos, or the
            `data.Photos` that `data.find_photos` found in them.
        model_dir: where checkpoints, summaries and `network.keras` go.
        callbacks: more Keras callbacks for `fit()`.
        verbose: show the progress in steps with the loss terms
            (`callbacks.StepProgress`): True, False, or None for where someone
            watches it live, a terminal or a notebook.
        sample_photos: float 0-255 `[n, h, w, 3]` to show stylized in TensorBoard.
        on_changes: called with `changed_tunables` before a resumed run trains on with
            other loss weights or another rate, so the change is said, not silent; not
            called when the run is refused or has nothing left to do.
        strategy: `make_strategy(options.strategy)`, made by a caller that runs
            TensorFlow ops before training (see `make_strategy`); made here if None.

    Raises:
        Interrupted: on Ctrl-C, after saving a checkpoint to resume from.
    """
    # The strategy first: a multi-worker one must be made before any TensorFlow op runs, and finding
    # the photos decodes them.
    strategy = strategy or make_strategy(options.strategy)
    chief = is_chief()
    photos = data.find_photos(train_images, os.path.join(model_dir, SAMPLES_DIR))
    os.makedirs(model_dir, exist_ok=True)
    lock = _lock(model_dir) if chief else None
    try:
        return _train(options, styles, photos, model_dir, strategy, chief, callbacks, verbose, sample_photos,
                      on_changes)
    finally:
        if lock is not None:
            lock.close()  # releases the lock (as the process's death would)


def _train(options, styles, photos, model_dir, strategy, chief, callbacks, verbose, sample_photos, on_changes):
    styles = styles_module.named(styles)
    run_settings, previous = settings(options, styles), read_config(model_dir)
    check_settings(run_settings, previous, model_dir)
    named = previous is None or "styles" in previous
    keras.utils.set_random_seed(options.perceptual.seed)
    with strategy.scope():
        backbone = vgg.load_vgg16(options.perceptual.vgg_weights, options.perceptual.seed)
        trainer = build_trainer(options, styles, named, backbone)
    _check_loss_network(previous, backbone.source, model_dir)
    checkpoint = tf.train.Checkpoint(network=trainer.network, optimizer=trainer.optimizer)
    checkpoint_dir = os.path.join(model_dir, CHECKPOINTS_DIR) if chief else tempfile.mkdtemp(prefix="kstyle-worker-")
    manager = tf.train.CheckpointManager(checkpoint, checkpoint_dir, max_to_keep=3)
    latest = _latest(manager if chief else tf.train.CheckpointManager(
        checkpoint, os.path.join(model_dir, CHECKPOINTS_DIR), 3))
    if latest:
        _restore(checkpoint, latest, model_dir)
    start = int(trainer.optimizer.iterations.numpy())
    changes = changed_tunables(options, previous)
    if changes and start < options.steps and on_changes is not None:
        on_changes(changes)
    if chief:
        # A run recorded before a setting existed keeps its record: the missing key means that run's default.
        # The rate and weights are the last ones trained with: a finished run's are kept.
        record = {**(run_settings if previous is None else previous), "loss_network": backbone.source}
        if previous is None or start < options.steps:
            record.update(tunables(options))
        files.write_atomically(os.path.join(model_dir, CONFIG_FILE), json.dumps(record, indent=2).encode())
    # The checkpoint restores the learning rate it was saved with; the one asked for now wins.
    trainer.optimizer.learning_rate.assign(options.learning_rate)
    export = Exporter(manager, trainer.network, os.path.join(model_dir, MODEL_FILE), chief)
    interrupted_at = None
    try:
        if start < options.steps:
            dataset = data.training_dataset(photos.paths, options.crop_size, options.batch_size,
                                          options.perceptual.seed + start, len(styles) if len(styles) > 1 else 0)
            epochs = math.ceil((options.steps - start) / options.checkpoint_every)
            run_callbacks = [StopAt(options.steps), CheckpointEvery(export, options.checkpoint_every),
                             Summaries(os.path.join(model_dir, "logs"), options.summary_every, sample_photos, chief),
                             *([LossCurve(os.path.join(model_dir, LOSS_LOG_FILE), trainer.term_names)] if chief else []),
                             *([StepProgress(options.steps, trainer.term_names)]
                               if chief and progress.wanted(verbose) else []),
                             *callbacks]
            trainer.fit(dataset, epochs=epochs, steps_per_epoch=options.checkpoint_every, callbacks=run_callbacks,
                        shuffle=False,  # the dataset shuffles itself, reproducibly
                        verbose=0)  # StepProgress shows the run's steps, not an epoch's
    except INTERRUPTS as error:
        if not is_interrupt(error):
            raise
        interrupted_at = export.save(int(trainer.optimizer.iterations.numpy()))
    finally:
        if not chief:
            shutil.rmtree(checkpoint_dir, ignore_errors=True)
    # StopAt, or Ctrl-C, ends fit() inside an epoch, which leaves Keras' epoch generator suspended, holding the
    # tf.data iterator, in a reference cycle. Freed by a garbage collection minutes later, in whatever the caller
    # does next, the iterator's worker threads held that collection up for a minute; freed now, it goes at once.
    # (The interrupt is raised only here, once its traceback, which holds fit()'s frames, is gone.) Ctrl-C counts
    # however it surfaced: as a SystemError when it struck while C code called back into Python.
    gc.collect()
    if interrupted_at is not None:
        raise Interrupted(None, interrupted_at)
    step = export.save(int(trainer.optimizer.iterations.numpy()))
    return TrainResult(export.path, step, start, len(photos.paths), photos.skipped, strategy.num_replicas_in_sync,
                       chief)


def _latest(manager):
    """The newest checkpoint whose files are there (one deleted for being damaged leaves the one before).

    `manager.checkpoints` leaves out a checkpoint its state file gives no
    timestamp for (TensorFlow counts it as preserved, not managed), as in a
    state file written by hand or a copied run (`tools/train_shipped_model.py
    --save_resume`): the state's latest path is taken too, or such a run would
    start again from step 0.
    """
    candidates = [*manager.checkpoints, *([manager.latest_checkpoint] if manager.latest_checkpoint else [])]
    present = [path for path in candidates if tf.io.gfile.exists(f"{path}.index")]
    return present[-1] if present else None


def _restore(checkpoint, path, model_dir):
    """Restores the run's last checkpoint, or says which one is damaged and what to do.

    Raises:
        Error: the checkpoint's files cannot be read, or do not hold this network.
    """
    try:
        checkpoint.restore(path).assert_existing_objects_matched()
    except (tf.errors.OpError, ValueError, AssertionError) as error:
        raise Error(f"{model_dir}: cannot resume from its checkpoint of step {path.rsplit('-', 1)[1]} "
                    f"({first_line(error)}); delete it from {os.path.dirname(path)} to resume from an earlier one, "
                    "or use another --model_dir") from None


def _lock(model_dir):
    """Holds `model_dir/LOCK_FILE` exclusively, so two runs cannot interleave their checkpoints.

    An flock, so a run that is killed, even with SIGKILL, releases it.

    Raises:
        UsageError: another run holds it.
    """
    import fcntl
    handle = open(os.path.join(model_dir, LOCK_FILE), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise UsageError(f"{model_dir} is being trained by {owner}; wait for it to finish, or use another "
                         "--model_dir") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"process {os.getpid()}")
    handle.flush()
    return handle


def build_trainer(options, styles, named=True, backbone=None):
    """Builds and compiles a `StyleTrainer` (call inside the strategy's scope) for `styles` (see `train`).

    `named=False` builds the plain network of runs started before styles had
    names, so their checkpoints resume. `backbone` is the loaded VGG16 (loaded
    from `vgg_weights` if None).
    """
    styles = styles_module.named(styles)
    perceptual = options.perceptual
    if backbone is None:
        backbone = vgg.load_vgg16(perceptual.vgg_weights, perceptual.seed)
    loss = PerceptualLoss.from_style_images(list(styles.values()), options.style_size, perceptual, backbone=backbone,
                                            style_scales=options.style_scales,
                                            scale_weights=dict(zip(options.style_scales, options.style_scale_weights)),
                                            colour_weight=options.colour_weight,
                                            periodic_weight=options.periodic_weight)
    network = build_network(options, tuple(styles) if named else ())
    trainer = StyleTrainer(network, loss, lattice_weight=options.lattice_weight)
    trainer.compile(optimizer=keras.optimizers.Adam(options.learning_rate))
    trainer.optimizer.build(network.trainable_variables)
    return trainer


def build_network(options, styles=()):
    """The built `StyleNetwork` that `options` describe, painting the named `styles` (none: a plain network)."""
    network = StyleNetwork(options.width, options.residual_blocks, options.antialias, styles=tuple(styles),
                           downsamplings=options.downsamplings, dilations=options.dilations, widths=options.widths,
                           decoder_widths=options.decoder_widths, shrink=options.shrink)
    network(tf.zeros((1, 32, 32, 3)), style_weights=tf.ones((1, len(styles))) if styles else None)
    return network


def _check_loss_network(previous, source, model_dir):
    """Refuses to resume a run with VGG16 weights from another source than it was trained with.

    `--vgg_weights=auto` is ImageNet where it can be had and `hed` elsewhere, so
    the same flags can mean another loss network on another machine; the source
    that was loaded is recorded (`loss_network`) and compared.
    """
    used = (previous or {}).get("loss_network")
    if used is not None and used != source:
        raise UsageError(f"{model_dir} was trained with VGG16 weights from {used}, and this run loaded {source}; "
                         f"resume it with --vgg_weights={used.split(' ')[0]}, or use another --model_dir")


