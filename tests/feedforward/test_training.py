"""Training: fit() with the usual callbacks, checkpoints and resumption (also after kill -9), distribution."""

import gc
import inspect
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import weakref

import keras
import numpy as np
import pytest
import tensorflow as tf
import train_helper
from conftest import interruptible, synthetic_image
from PIL import Image

from kstyle.errors import Interrupted, UsageError
from kstyle.feedforward import training
from kstyle.feedforward.options import TrainOptions

TINY = dict(width=4, residual_blocks=1, crop_size=32, batch_size=2, style_size=48, summary_every=1,
            style_layers="block1_conv2,block2_conv2", content_layers="block2_conv2", style_weight=1e-2,
            vgg_weights="none", precision="float32")
HELPER = train_helper.__file__


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    directory = tmp_path_factory.mktemp("photos")
    for seed in range(6):
        Image.fromarray(synthetic_image(48, 64, seed).astype(np.uint8)).save(directory / f"p{seed}.png")
    style = directory.parent / "style.png"
    Image.fromarray(synthetic_image(48, 48, seed=99).astype(np.uint8)).save(style)
    return str(directory), str(style)


def _suspended_epoch_generators():
    """Keras' per-fit generators that still hold a tf.data iterator (see `training._train`)."""
    return [thing for thing in gc.get_objects()
            if inspect.isgenerator(thing) and thing.gi_code.co_name == "_enumerate_iterator" and thing.gi_frame]


def test_trainer_fits_with_the_usual_callbacks(photos, tmp_path):
    from kstyle.feedforward import data
    photo_dir, style = photos
    trainer = training.build_trainer(TrainOptions.from_kwargs(**TINY), style)
    batches = data.training_dataset(data.find_photos(photo_dir).paths, 32, 2)
    history = trainer.fit(batches, epochs=3, steps_per_epoch=4, verbose=0, callbacks=[
        keras.callbacks.TensorBoard(str(tmp_path / "tb")), keras.callbacks.EarlyStopping("loss", patience=5),
        keras.callbacks.ModelCheckpoint(str(tmp_path / "best.weights.h5"), monitor="loss", save_weights_only=True)])
    logged = history.history
    assert set(logged) >= {"loss", "style", "content", "tv"}
    assert logged["loss"][-1] < logged["loss"][0]
    for epoch in range(3):
        assert logged["loss"][epoch] == pytest.approx(logged["style"][epoch] + logged["content"][epoch]
                                                      + logged["tv"][epoch], rel=1e-3)
    assert (tmp_path / "best.weights.h5").exists() and os.listdir(tmp_path / "tb")


def test_train_writes_a_model_and_resumes(photos, tmp_path):
    photo_dir, style = photos
    model_dir = str(tmp_path / "run")
    before = weakref.WeakSet(_suspended_epoch_generators())
    first = training.train(TrainOptions.from_kwargs(**TINY, steps=4, checkpoint_every=2), style, photo_dir, model_dir)
    # fit() stopped inside an epoch; train() freed the data pipeline it left (see training._train).
    assert [thing for thing in _suspended_epoch_generators() if thing not in before] == []
    assert (first.steps, first.resumed_from) == (4, 0)
    network = keras.saving.load_model(first.model_path)
    assert network(synthetic_image(20, 30)[None]).shape == (1, 20, 30, 3)
    assert sorted(os.listdir(os.path.join(model_dir, "checkpoints")))[0].startswith("checkpoint")
    assert tf.io.gfile.glob(os.path.join(model_dir, "logs", "*"))
    second = training.train(TrainOptions.from_kwargs(**TINY, steps=6, checkpoint_every=2), style, photo_dir, model_dir)
    assert (second.steps, second.resumed_from) == (6, 4)
    # The loss curve spans both runs: one row per checkpoint, time counted across the resume.
    with open(os.path.join(model_dir, training.LOSS_LOG_FILE)) as file:
        rows = [line.split(",") for line in file.read().splitlines()]
    assert rows[0] == ["step", "seconds", "loss", "style", "content", "tv"]
    assert [int(row[0]) for row in rows[1:]] == [2, 4, 6]
    seconds = [float(row[1]) for row in rows[1:]]
    assert seconds == sorted(seconds) and seconds[0] > 0
    for row in rows[1:]:
        loss, style_term, content, tv = map(float, row[2:])
        assert loss == pytest.approx(style_term + content + tv, rel=1e-3)


def _keyboard_interrupt():
    raise KeyboardInterrupt


def _interrupt_in_c_code():
    """Ctrl-C as it surfaces when the signal handler raises while C code calls back into Python."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as interrupt:
        raise SystemError("<built-in method __array__> returned a result with an exception set") from interrupt


@pytest.mark.parametrize("interrupt", [_keyboard_interrupt, _interrupt_in_c_code])
def test_an_interrupted_train_saves_its_step_and_frees_the_data_pipeline(photos, tmp_path, interrupt):
    # Left to a later garbage collection, the pipeline's worker threads held one up for a minute.
    class CtrlC(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if int(self.model.optimizer.iterations.numpy()) == 3:
                interrupt()

    photo_dir, style = photos
    before = weakref.WeakSet(_suspended_epoch_generators())
    with pytest.raises(Interrupted) as interrupted:
        training.train(TrainOptions.from_kwargs(**TINY, steps=100, checkpoint_every=50), style, photo_dir,
                       str(tmp_path / "run"), callbacks=[CtrlC()])
    assert interrupted.value.step == 3
    assert [thing for thing in _suspended_epoch_generators() if thing not in before] == []
    assert tf.train.latest_checkpoint(str(tmp_path / "run" / "checkpoints")).endswith("-3")


def test_a_thin_network_charged_for_its_grid_trains_and_logs_the_charge(photos, tmp_path):
    photo_dir, style = photos
    model_dir = str(tmp_path / "run")
    options = TrainOptions.from_kwargs(**TINY, widths="4,6,6", decoder_widths="4,2", style_scales="1,0.5",
                                       style_scale_weights="0.2,1", lattice_weight=2.0, steps=2, checkpoint_every=1)
    result = training.train(options, style, photo_dir, model_dir)
    network = keras.saving.load_model(result.model_path)
    assert (network.widths, network.decoder_widths) == ((4, 6, 6), (4, 2))
    with open(os.path.join(model_dir, training.LOSS_LOG_FILE)) as file:
        header, *rows = file.read().splitlines()
    assert header == "step,seconds,loss,style,content,tv,lattice" and len(rows) == 2
    loss, style_term, content, tv, lattice = (float(value) for value in rows[-1].split(",")[2:])
    assert lattice > 0 and loss == pytest.approx(style_term + content + tv + lattice, rel=1e-4)
    config = training.read_config(model_dir)
    assert (config["style_scales"], config["style_scale_weights"], config["lattice_weight"]) == (
        [1.0, 0.5], [0.2, 1.0], 2.0)
    said = []  # each scale's weight is a loss weight: a resumed run may change it, and says so
    training.train(TrainOptions.from_kwargs(**{**options.flat(), "style_scale_weights": "1,1", "steps": 3}), style,
                   photo_dir, model_dir, on_changes=said.append)
    assert said == [["style_scale_weights [0.2, 1.0] -> [1.0, 1.0]"]]


def test_a_shrunk_network_asked_for_the_paintings_colours_logs_the_colour_term(photos, tmp_path):
    photo_dir, style = photos
    model_dir = str(tmp_path / "run")
    options = TrainOptions.from_kwargs(**TINY, shrink=2, colour_weight=100.0, steps=2, checkpoint_every=1)
    result = training.train(options, style, photo_dir, model_dir)
    assert keras.saving.load_model(result.model_path).shrink == 2 and training.read_config(model_dir)["shrink"] == 2
    with open(os.path.join(model_dir, training.LOSS_LOG_FILE)) as file:
        header, *rows = file.read().splitlines()
    assert header == "step,seconds,loss,style,content,tv,colour" and len(rows) == 2
    loss, style_term, content, tv, colour = (float(value) for value in rows[-1].split(",")[2:])
    assert colour > 0 and loss == pytest.approx(style_term + content + tv + colour, rel=1e-4)
    said = []
    training.train(TrainOptions.from_kwargs(**{**options.flat(), "colour_weight": 10.0, "steps": 3}), style,
                   photo_dir, model_dir, on_changes=said.append)
    assert said == [["colour_weight 100 -> 10"]]


def test_a_copied_run_whose_checkpoint_record_has_no_timestamps_resumes(photos, tmp_path):
    """A run carried over as its last checkpoint and a hand-written record (train_shipped_model --save_resume)."""
    photo_dir, style = photos
    model_dir = tmp_path / "run"
    training.train(TrainOptions.from_kwargs(**TINY, steps=4, checkpoint_every=2), style, photo_dir, str(model_dir))
    carried = tmp_path / "carried"
    (carried / "checkpoints").mkdir(parents=True)
    shutil.copyfile(model_dir / "config.json", carried / "config.json")
    for name in os.listdir(model_dir / "checkpoints"):
        if name.startswith("ckpt-4."):
            shutil.copyfile(model_dir / "checkpoints" / name, carried / "checkpoints" / name)
    (carried / "checkpoints" / "checkpoint").write_text(
        'model_checkpoint_path: "ckpt-4"\nall_model_checkpoint_paths: "ckpt-4"\n')
    result = training.train(TrainOptions.from_kwargs(**TINY, steps=6, checkpoint_every=2), style, photo_dir,
                            str(carried))
    assert (result.steps, result.resumed_from) == (6, 4)


def test_a_run_with_other_settings_is_not_resumed(photos, tmp_path):
    photo_dir, style = photos
    model_dir = str(tmp_path / "run")
    training.train(TrainOptions.from_kwargs(**TINY, steps=1, checkpoint_every=1), style, photo_dir, model_dir)
    with pytest.raises(UsageError, match="width 4 -> 8"):
        training.train(TrainOptions.from_kwargs(**{**TINY, "width": 8}, steps=2, checkpoint_every=1), style,
                       photo_dir, model_dir)
    with pytest.raises(UsageError, match="style [0-9a-f]{16} -> [0-9a-f]{16}, style_size 48 -> 64"):
        training.train(TrainOptions.from_kwargs(**{**TINY, "style_size": 64}, steps=2, checkpoint_every=1),
                       synthetic_image(48, 48, seed=98), photo_dir, model_dir)
    with pytest.raises(UsageError, match="gram_normalization hw -> gatys"):
        training.train(TrainOptions.from_kwargs(**{**TINY, "gram_normalization": "gatys"}, steps=2,
                                                checkpoint_every=1), style, photo_dir, model_dir)
    with pytest.raises(UsageError, match=r"widths \[4, 8, 16\] -> \[4, 6, 6\], decoder_widths \[8, 4\] -> \[4, 2\]"):
        training.train(TrainOptions.from_kwargs(**{**TINY, "widths": "4,6,6", "decoder_widths": "4,2"}, steps=2,
                                                checkpoint_every=1), style, photo_dir, model_dir)
    with pytest.raises(UsageError, match=r"style_scales \[1.0\] -> \[1.0, 0.5\]"):
        training.train(TrainOptions.from_kwargs(**{**TINY, "style_scales": "1,0.5"}, steps=2, checkpoint_every=1),
                       style, photo_dir, model_dir)
    with pytest.raises(UsageError, match="style_layers block1_conv2:0.5,block2_conv2:0.5 -> block1_conv2:1"):
        training.train(TrainOptions.from_kwargs(**{**TINY, "style_layers": "block1_conv2"}, steps=2,
                                                checkpoint_every=1), style, photo_dir, model_dir)
    # The loss network that was loaded is recorded, so `auto` cannot resolve to another one on resume.
    config_path = os.path.join(model_dir, training.CONFIG_FILE)
    with open(config_path) as file:
        config = json.load(file)
    assert config["loss_network"] == "none (random weights)"
    with open(config_path, "w") as file:
        json.dump({**config, "loss_network": "imagenet"}, file)
    with pytest.raises(UsageError, match="trained with VGG16 weights from imagenet, and this run loaded none "
                       r"\(random weights\); resume it with --vgg_weights=imagenet"):
        training.train(TrainOptions.from_kwargs(**TINY, steps=2, checkpoint_every=1), style, photo_dir, model_dir)


def test_a_change_of_pooling_is_refused_and_of_tv_normalization_said(photos, tmp_path):
    photo_dir, style = photos
    model_dir = str(tmp_path / "run")
    training.train(TrainOptions.from_kwargs(**TINY, steps=1, checkpoint_every=1), style, photo_dir, model_dir)
    with pytest.raises(UsageError, match="pooling max -> avg"):
        training.train(TrainOptions.from_kwargs(**TINY, pooling="avg", steps=2, checkpoint_every=1), style,
                       photo_dir, model_dir)
    said = []
    training.train(TrainOptions.from_kwargs(**TINY, tv_normalization="pixels", steps=2, checkpoint_every=1), style,
                   photo_dir, model_dir, on_changes=said.append)
    assert said == [["tv_normalization sum -> pixels"]]  # TV divided by the crop's 32 x 32 pixels from here on


def test_one_network_learns_several_named_styles(photos, tmp_path):
    photo_dir, style = photos
    other = tmp_path / "udnie.png"
    Image.fromarray(synthetic_image(48, 48, seed=77).astype(np.uint8)).save(other)
    model_dir = str(tmp_path / "run")
    result = training.train(TrainOptions.from_kwargs(**TINY, steps=2, checkpoint_every=2), [style, str(other)],
                            photo_dir, model_dir)
    network = keras.saving.load_model(result.model_path)
    assert network.styles == ("style", "udnie")  # named for their files
    photo = synthetic_image(24, 28)[None]
    assert network(photo, style_weights=[[0.0, 1.0]]).shape == (1, 24, 28, 3)
    with open(os.path.join(model_dir, training.CONFIG_FILE)) as file:
        assert json.load(file)["styles"] == ["style", "udnie"]
    with pytest.raises(UsageError, match="styles \\['style', 'udnie'\\] -> \\['style'\\]"):
        training.train(TrainOptions.from_kwargs(**TINY, steps=4, checkpoint_every=2), style, photo_dir, model_dir)


def test_a_run_from_before_named_styles_resumes_with_its_plain_network(photos, tmp_path):
    photo_dir, style = photos
    model_dir = tmp_path / "run"
    training.train(TrainOptions.from_kwargs(**TINY, steps=1, checkpoint_every=1), style, photo_dir, str(model_dir))
    config = json.loads((model_dir / training.CONFIG_FILE).read_text())
    del config["styles"]
    (model_dir / training.CONFIG_FILE).write_text(json.dumps(config))
    shutil.rmtree(model_dir / "checkpoints")  # and a checkpoint of the plain network it trained then
    trainer = training.build_trainer(TrainOptions.from_kwargs(**TINY), style, named=False)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(network=trainer.network, optimizer=trainer.optimizer),
                                         str(model_dir / "checkpoints"), 3)
    manager.save(0)
    result = training.train(TrainOptions.from_kwargs(**TINY, steps=2, checkpoint_every=1), style, photo_dir,
                            str(model_dir))
    assert (result.steps, keras.saving.load_model(result.model_path).styles) == (2, ())


def test_a_model_dir_in_use_is_refused_and_released_after(photos, tmp_path):
    photo_dir, style = photos
    model_dir = tmp_path / "run"
    model_dir.mkdir()
    holder = training._lock(str(model_dir))  # as a run in another process holds it
    with pytest.raises(UsageError, match=f"{model_dir} is being trained by process {os.getpid()}; wait"):
        training.train(TrainOptions.from_kwargs(**TINY, steps=1, checkpoint_every=1), style, photo_dir, str(model_dir))
    holder.close()
    assert training.train(TrainOptions.from_kwargs(**TINY, steps=1, checkpoint_every=1), style, photo_dir,
                          str(model_dir)).steps == 1
    training._lock(str(model_dir)).close()  # the finished run let it go


def test_a_new_learning_rate_is_honoured_on_resume(photos, tmp_path):
    photo_dir, style = photos
    model_dir = str(tmp_path / "run")
    seen = []

    class Rate(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(float(self.model.optimizer.learning_rate.numpy()))

    training.train(TrainOptions.from_kwargs(**TINY, steps=2, checkpoint_every=2, learning_rate=1e-3), style,
                   photo_dir, model_dir, callbacks=[Rate()])
    # Fine-tuning may change the rate and the loss's weights; what changes is said before it runs, and recorded.
    tuned = TrainOptions.from_kwargs(**{**TINY, "style_weight": 3e-2}, steps=4, checkpoint_every=2,
                                     learning_rate=2.5e-4)
    said = []
    training.train(tuned, style, photo_dir, model_dir, callbacks=[Rate()], on_changes=said.append)
    assert said == [["style_weight 0.01 -> 0.03", "learning_rate 0.001 -> 0.00025"]]
    assert seen == pytest.approx([1e-3, 1e-3, 2.5e-4, 2.5e-4])
    assert training.changed_tunables(tuned, training.read_config(model_dir)) == []
    # A finished run asked with another rate trains nothing, so nothing changed is said and the record stays.
    training.train(TrainOptions.from_kwargs(**TINY, steps=4, checkpoint_every=2, learning_rate=1e-4), style,
                   photo_dir, model_dir, on_changes=said.append)
    assert len(said) == 1 and training.read_config(model_dir)["learning_rate"] == 2.5e-4
    assert training.read_config(model_dir)["style_weight"] == 3e-2


def _recorded_step(record):
    """The step of the latest checkpoint a CheckpointManager's `checkpoint` file names (-1 while it is being written)."""
    found = re.search(r'model_checkpoint_path: ".*-(\d+)"', record.read_text())
    return int(found.group(1)) if found else -1


def test_killed_training_resumes_from_its_last_checkpoint(photos, tmp_path):
    photo_dir, style = photos
    model_dir = tmp_path / "run"
    flags = ["--width=4", "--residual_blocks=1", "--crop_size=32", "--batch_size=2", "--style_size=48",
             "--style_layers=block1_conv2,block2_conv2", "--content_layers=block2_conv2", "--vgg_weights=none",
             "--precision=float32", "--checkpoint_every=2", f"--style={style}", f"--train_images={photo_dir}",
             f"--model_dir={model_dir}"]
    errors = open(tmp_path / "stderr.txt", "w")
    process = subprocess.Popen([sys.executable, "-m", "kstyle", "train", "--steps=100000", *flags],
                               stdout=subprocess.DEVNULL, stderr=errors, text=True)
    # Event-driven: wait for the checkpoint manager to record a checkpoint of step 4 or later (its
    # `checkpoint` file is written after the checkpoint's own files), as long as the run lives.
    record = model_dir / "checkpoints" / "checkpoint"
    while process.poll() is None and not (record.exists() and _recorded_step(record) >= 4):
        time.sleep(0.2)
    assert process.poll() is None, (tmp_path / "stderr.txt").read_text()
    process.send_signal(signal.SIGKILL)  # no chance to save anything more
    process.wait()
    errors.close()
    manager_dir = model_dir / "checkpoints"
    last = tf.train.latest_checkpoint(str(manager_dir))
    step = int(last.rsplit("-", 1)[1])
    assert step >= 4
    reader = tf.train.load_checkpoint(last)
    # Adam's moment slots: the optimizer's non-scalar variables.
    slots = {name: reader.get_tensor(name) for name, shape in reader.get_variable_to_shape_map().items()
             if name.startswith("optimizer/_variables/") and shape}
    assert slots and all(np.abs(v).max() > 0 for v in slots.values())

    # Restart: the same step count, the optimizer's state restored.
    trainer = training.build_trainer(TrainOptions.from_kwargs(**TINY), style)
    checkpoint = tf.train.Checkpoint(network=trainer.network, optimizer=trainer.optimizer)
    checkpoint.restore(last).assert_existing_objects_matched()
    assert int(trainer.optimizer.iterations) == step
    restored = [v.numpy() for v in trainer.optimizer.variables if len(v.shape)]
    assert sorted(float(np.abs(v).sum()) for v in restored) == pytest.approx(
        sorted(float(np.abs(v).sum()) for v in slots.values()))
    done = subprocess.run([sys.executable, "-m", "kstyle", "train", f"--steps={step + 2}", *flags],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"({step + 2} steps, resumed at step {step};" in done.stdout


def test_ctrl_c_saves_a_checkpoint_at_the_step_it_reached(photos, tmp_path):
    photo_dir, style = photos
    model_dir = tmp_path / "run"
    flags = ["--width=4", "--residual_blocks=1", "--crop_size=32", "--batch_size=2", "--style_size=48",
             "--style_layers=block1_conv2,block2_conv2", "--content_layers=block2_conv2", "--vgg_weights=none",
             "--precision=float32", "--checkpoint_every=1000", f"--style={style}", f"--train_images={photo_dir}",
             f"--model_dir={model_dir}", "--summary_every=1"]
    process = subprocess.Popen([sys.executable, "-m", "kstyle", "train", "--steps=100000", *flags],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=interruptible,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    # Steps are running once TensorBoard has an event for step 3 (no checkpoint yet: one every 1000).
    events = model_dir / "logs"
    for _ in range(600):
        if process.poll() is not None or _logged_steps(events) >= 3:
            break
        time.sleep(0.5)
    assert process.poll() is None, process.stderr.read()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 130, err
    step = int(err.split("interrupted at step ")[1].split(";")[0])
    assert step >= 3 and "checkpoint saved" in err and err.strip().count("\n") == 0, err
    assert int(tf.train.latest_checkpoint(str(model_dir / "checkpoints")).rsplit("-", 1)[1]) == step
    assert keras.saving.load_model(model_dir / "network.keras").styles == ("style",)


def _logged_steps(directory):
    steps = 0
    for events in tf.io.gfile.glob(str(directory / "events.*")):
        try:
            steps = max([steps, *(event.step for event in tf.compat.v1.train.summary_iterator(events))])
        except tf.errors.DataLossError:  # the file is being written
            pass
    return steps


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run_helper(out_dir, photos, strategy, logical_cpus=1, mode="api"):
    photo_dir, style = photos
    return subprocess.Popen([sys.executable, HELPER, str(out_dir), photo_dir, style, strategy, str(logical_cpus), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _results(out_dir):
    """The helpers' results, and the chief's trained network's output on fixed images.

    The output, not the weights, is compared across strategies: the shift (beta) of each residual
    block's last normalization is cancelled by the next one, so its gradient is rounding noise that
    Adam turns into device-dependent steps which change nothing the network computes.
    """
    found = [json.load(open(out_dir / name)) for name in sorted(os.listdir(out_dir)) if name.startswith("result-")]
    return found, np.load(out_dir / "output.npy")


def _last_loss(model_dir):
    """The loss of the run's last row in loss.csv: the mean over the steps since the previous checkpoint."""
    with open(model_dir / training.LOSS_LOG_FILE) as file:
        return float(file.read().splitlines()[-1].split(",")[2])


def _matches_one_device(output, model_dir, single_worker):
    (expected,), expected_output = single_worker
    # loss.csv's row is the epoch's mean, as the last step's logged loss is.
    assert _last_loss(model_dir) == pytest.approx(expected["losses"][-1][1], rel=1e-3)
    # Within a level of 255: a normalization's shift that the next normalization cancels has a gradient of
    # rounding noise, which Adam turns into steps that differ with the order of the sums.
    np.testing.assert_allclose(output, expected_output, rtol=1e-3, atol=1.0)


@pytest.fixture(scope="module")
def single_worker(photos, tmp_path_factory):
    """The run through the Python API on one device, which every distributed run must follow."""
    out_dir = tmp_path_factory.mktemp("single")
    process = _run_helper(out_dir, photos, "default")
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return _results(out_dir)


def test_mirrored_on_two_logical_cpus_matches_one_device_from_the_command_line(photos, tmp_path, single_worker):
    # `kstyle train --strategy=mirrored` in a process whose CPU is split in two, as only its start can do.
    process = _run_helper(tmp_path, photos, "mirrored", logical_cpus=2, mode="cli")
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert f"wrote {tmp_path / 'run' / 'network.keras'} (3 steps on 2 replicas; styles: style)" in out, out
    _matches_one_device(np.load(tmp_path / "output.npy"), tmp_path / "run", single_worker)


def test_a_multiworker_strategy_made_after_an_op_says_how_to_make_it(monkeypatch):
    """This process has run ops; TensorFlow refuses collectives then, and the Python API is told what to do."""
    port = _free_port()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": [f"127.0.0.1:{port}"]},
                                                "task": {"type": "worker", "index": 0}}))
    _ = tf.constant(1.0) + 1.0
    with pytest.raises(UsageError, match=r"^strategy multiworker must be made before TensorFlow runs any op: call "
                       r"training.make_strategy first and pass it to train\(strategy=...\)$"):
        training.make_strategy("multiworker")


def _two_workers(tmp_path, photos):
    """Starts `kstyle train` as two workers on free ports; returns their (status, stdout, stderr) once both ended."""
    photo_dir, style = photos
    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    flags = train_helper.flags(photo_dir, style, tmp_path / "run", "multiworker")
    processes = [subprocess.Popen(
        [sys.executable, "-m", "kstyle", "train", *flags],
        env={**os.environ, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for index in range(2)]
    try:
        ended = [process.communicate(timeout=300) for process in processes]
        return [(process.returncode, out, err) for process, (out, err) in zip(processes, ended)]
    finally:  # One worker failing leaves the other waiting for it forever.
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_two_workers_from_the_command_line_step_together_and_match_one_worker(photos, tmp_path, single_worker):
    """`kstyle train --strategy=multiworker` as README runs it: two processes on 127.0.0.1, TF_CONFIG each."""
    for _ in range(3):  # A port found free can be taken before a worker binds it: then try other ports.
        ended = _two_workers(tmp_path, photos)
        if not any("ddress already in use" in err or "Could not start gRPC server" in err for _, _, err in ended):
            break
        shutil.rmtree(tmp_path)
        tmp_path.mkdir()
    for returncode, _, err in ended:
        assert returncode == 0, err
    model_path = tmp_path / "run" / "network.keras"
    chief, worker = (out for _, out, _ in ended)
    assert f"wrote {model_path} (3 steps on 2 replicas; styles: style)" in chief, chief
    assert f"trained to step 3 on 2 replicas as a worker; the chief writes {model_path}" in worker, worker
    _matches_one_device(train_helper.probe_output(model_path), tmp_path / "run", single_worker)
