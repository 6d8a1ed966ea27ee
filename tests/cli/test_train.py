"""`kstyle train` end to end and its bad inputs."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import synthetic_image
from PIL import Image

from kstyle.cli import main as cli

SMOKE = os.path.join(os.path.dirname(__file__), "..", "..", "flags", "smoke.flags")


@pytest.fixture
def inputs(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for seed in range(3):
        Image.fromarray(synthetic_image(70, 90, seed).astype(np.uint8)).save(photos / f"{seed}.jpg")
    (photos / "broken.jpg").write_text("not a photo")
    style = tmp_path / "style.png"
    Image.fromarray(synthetic_image(64, 64, seed=5).astype(np.uint8)).save(style)
    Image.fromarray(synthetic_image(64, 64, seed=6).astype(np.uint8)).save(tmp_path / "wave.png")
    return str(photos), str(style)


def test_smoke_preset_trains_and_exports(tmp_path, inputs, capsys):
    photos, style = inputs
    style = f"{style},{tmp_path / 'wave.png'}"  # one network, two styles
    model_dir = tmp_path / "runs" / "run"  # parents are created
    status = cli.main(["kstyle", "train", f"--flagfile={SMOKE}", f"--style={style}", f"--train_images={photos}",
                       f"--model_dir={model_dir}", "--vgg_weights=none"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "training on 3 photos (1 unreadable, skipped)" in out
    assert f"wrote {model_dir}/network.keras (6 steps; styles: style, wave)" in out
    assert (model_dir / "network.keras").exists() and (model_dir / "config.json").exists()
    # TensorBoard: every term as a scalar and the sample stylizations as images.
    import tensorflow as tf
    tags = {}
    for events in tf.io.gfile.glob(str(model_dir / "logs" / "events.*")):
        for event in tf.compat.v1.train.summary_iterator(events):
            for value in event.summary.value:
                tags[value.tag] = value.metadata.plugin_data.plugin_name
    assert {tags.get(name) for name in ("loss", "style", "content", "tv")} == {"scalars"}
    assert tags.get("stylized/style") == tags.get("stylized/wave") == "images"  # the samples in each style
    # The same command again: the run is finished, and says so instead of "resumed"; nothing ran at 5e-4.
    again = ["kstyle", "train", f"--flagfile={SMOKE}", f"--style={style}", f"--train_images={photos}",
             f"--model_dir={model_dir}", "--vgg_weights=none", "--learning_rate=5e-4"]
    assert cli.main(again) == 0
    out = capsys.readouterr().out
    assert f"{model_dir} is already trained to step 6; nothing to do" in out and "changed since" not in out
    assert json.loads((model_dir / "config.json").read_text())["learning_rate"] == 1e-3
    # Asked for more steps, it resumes, and the changed rate is said before it trains.
    assert cli.main(again + ["--steps=7"]) == 0
    out = capsys.readouterr().out
    assert f"changed since the last run in {model_dir}: learning_rate 0.001 -> 0.0005" in out
    assert f"wrote {model_dir}/network.keras (7 steps, resumed at step 6" in out


@pytest.mark.parametrize("changes, status, message", [
    ({"style": None}, 2, "--style is required"),
    ({"model_dir": None}, 2, "--model_dir is required"),
    ({"style": "{tmp}/missing.png"}, 1, "no such file"),
    ({"style": "{style},{style}"}, 2, "both named style"),
    ({"train_images": "{tmp}/nothing-*.jpg"}, 2, "matches no files"),
    ({"model_dir": "{style}"}, 2, "exists and is not a directory"),
    ({"model_dir": "{style}/run"}, 2, "exists and is not a directory"),
    ({"iterations": "5"}, 2, "--iterations does not apply to `kstyle train`"),
    ({"width": "0"}, 2, "width must be between"),
    ({"crop_size": "8"}, 2, "crop_size must be between"),
    ({"strategy": "multiworker"}, 2, "TF_CONFIG"),
    ({"learning_rate": "-1"}, 2, "learning_rate must be a positive"),
])
def test_bad_input(tmp_path, inputs, capsys, changes, status, message):
    photos, style = inputs
    values = {"style": style, "train_images": photos, "model_dir": str(tmp_path / "run")}
    values.update({key: None if value is None else value.format(tmp=tmp_path, style=style)
                   for key, value in changes.items()})
    argv = ["kstyle", "train", f"--flagfile={SMOKE}", "--vgg_weights=none",
            *(f"--{key}={value}" for key, value in values.items() if value is not None)]
    assert cli.main(argv) == status
    err = capsys.readouterr().err
    assert err.startswith("kstyle: ") and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "run").exists()  # nothing written


@pytest.mark.parametrize("tf_config, strategy, message", [
    ("{not json", "default", "TF_CONFIG must be a JSON object with the cluster and this task, got '{not json'"),
    ('["worker"]', "multiworker", "TF_CONFIG must be a JSON object"),
    ('{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": 3}}', "multiworker",
     "TF_CONFIG: The `task_id` 3 exceeds the maximum id of worker."),
])
def test_a_bad_tf_config_is_one_line(tmp_path, inputs, capsys, monkeypatch, tf_config, strategy, message):
    photos, style = inputs
    monkeypatch.setenv("TF_CONFIG", tf_config)
    argv = ["kstyle", "train", f"--flagfile={SMOKE}", "--vgg_weights=none", f"--style={style}",
            f"--train_images={photos}", f"--model_dir={tmp_path / 'run'}", f"--strategy={strategy}"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("kstyle: ") and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "run").exists()


def test_ctrl_c_outside_the_steps_says_what_the_run_kept(tmp_path, inputs, capsys, monkeypatch):
    """Interrupted while the loss network loads, say: the checkpoints are whatever the last run left."""
    from kstyle.feedforward import training
    photos, style = inputs
    model_dir = tmp_path / "run"
    argv = ["kstyle", "train", f"--flagfile={SMOKE}", "--vgg_weights=none", f"--style={style}",
            f"--train_images={photos}", f"--model_dir={model_dir}", "--steps=3"]
    assert cli.main(argv) == 0
    capsys.readouterr()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "train", interrupted)
    assert cli.main(argv[:-1] + ["--steps=6"]) == 130
    assert capsys.readouterr().err.strip() == (f"kstyle: interrupted; {model_dir} keeps its checkpoint of step 3, "
                                               "run the same command to resume")
    assert cli.main([*argv[:-2], f"--model_dir={tmp_path / 'new'}"]) == 130
    assert capsys.readouterr().err.strip() == (f"kstyle: interrupted before the first checkpoint; run the same "
                                               "command to start again")


def test_a_damaged_run_is_one_line(tmp_path, inputs, capsys):
    """A config.json or checkpoint that cannot be read (a disk that filled up, an editor) is named, not a traceback."""
    photos, style = inputs
    model_dir = tmp_path / "run"
    argv = ["kstyle", "train", f"--flagfile={SMOKE}", "--vgg_weights=none", f"--style={style}",
            f"--train_images={photos}", f"--model_dir={model_dir}"]
    assert cli.main(argv) == 0  # checkpoints at steps 3 and 6
    capsys.readouterr()
    record = (model_dir / "config.json").read_text()
    (model_dir / "config.json").write_text("{broken")
    assert cli.main([*argv, "--steps=7"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"kstyle: {model_dir}/config.json is damaged (Expecting property "
                                                   "name enclosed in double quotes"), err
    assert err.rstrip().endswith("use another --model_dir"), err
    (model_dir / "config.json").write_text(record)
    (model_dir / "checkpoints" / "ckpt-6.index").write_text("garbage")
    assert cli.main([*argv, "--steps=7"]) == 1
    err = capsys.readouterr().err
    checkpoints = model_dir / "checkpoints"
    assert err.count("\n") == 1 and err.startswith(f"kstyle: {model_dir}: cannot resume from its checkpoint of "
                                                   "step 6 "), err
    assert err.rstrip().endswith(f"delete it from {checkpoints} to resume from an earlier one, or use another "
                                 "--model_dir"), err
    for damaged in checkpoints.glob("ckpt-6.*"):  # as the message says
        damaged.unlink()
    assert cli.main([*argv, "--steps=7"]) == 0
    assert "(7 steps, resumed at step 3;" in capsys.readouterr().out


def test_a_full_disk_is_one_line(tmp_path, inputs):
    """No room for the first checkpoint (RLIMIT_FSIZE makes every write past 4 kB fail, as a full disk would)."""
    photos, style = inputs
    model_dir = tmp_path / "run"
    limited = ("import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (4000, 4000)); "
               "sys.argv[0] = 'kstyle'; runpy.run_module('kstyle', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", limited, "train", f"--flagfile={SMOKE}", "--vgg_weights=none",
                           f"--style={style}", f"--train_images={photos}", f"--model_dir={model_dir}", "--steps=3"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"kstyle: cannot save the checkpoint of step 3 in {model_dir}/checkpoints ("), \
        done.stderr
    assert done.stderr.rstrip().endswith("File too large)")


def test_out_of_memory_is_one_line_naming_the_batch(tmp_path, inputs, capsys, monkeypatch):
    import tensorflow as tf

    from kstyle.feedforward import training
    photos, style = inputs

    def exhausted(*args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape[4096,4096,4096,3]")

    monkeypatch.setattr(training, "train", exhausted)
    argv = ["kstyle", "train", f"--flagfile={SMOKE}", "--vgg_weights=none", f"--style={style}",
            f"--train_images={photos}", f"--model_dir={tmp_path / 'run'}", "--batch_size=4096"]
    assert cli.main(argv) == 1
    assert capsys.readouterr().err == ("kstyle: out of memory training on batches of 4096 crops of 64 px; try a "
                                       "smaller --batch_size or --crop_size\n")
