"""tools/warm_start.py: a widened network starts from the older one's weights where they fit."""

import importlib.util
import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from kstyle.feedforward.network import StyleNetwork

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "warm_start.py")
_spec = importlib.util.spec_from_file_location("warm_start", TOOL)
warm_start = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(warm_start)

SHAPE = {"width": 4, "residual_blocks": 1, "widths": (4, 8, 8)}


def run(monkeypatch, *argv):
    monkeypatch.setattr(sys, "argv", ["warm_start.py", *argv])
    warm_start.main()


def test_the_matching_weights_are_copied_and_the_widened_decoder_starts_fresh(tmp_path, monkeypatch, capsys):
    keras.utils.set_random_seed(3)
    old = StyleNetwork(styles=("a", "b"), decoder_widths=(4, 4), **SHAPE)
    old(np.zeros((1, 32, 32, 3), np.float32), style_weights=tf.one_hot([0], 2))
    old.save(tmp_path / "old.keras")
    flagfile = tmp_path / "wide.flags"
    flagfile.write_text("# a comment\n--width=4\n--residual_blocks=1\n--widths=4,8,8\n--decoder_widths=8,8\n"
                        "--style_weight=1e-2\n")
    run(monkeypatch, f"--from={tmp_path / 'old.keras'}", f"--model_dir={tmp_path / 'run'}", f"--flagfile={flagfile}")
    assert "fresh: out/kernel, up1/beta, up1/gamma, up1/kernel, up2/beta, up2/gamma, up2/kernel" in \
        capsys.readouterr().out

    # What `kstyle train` does when it resumes the run.
    new = StyleNetwork(styles=("a", "b"), decoder_widths=(8, 8), **SHAPE)
    new(np.zeros((1, 32, 32, 3), np.float32), style_weights=tf.one_hot([0], 2))
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(new.trainable_variables)  # as `build_trainer` does; the weights are saved through it
    checkpoint = tf.train.Checkpoint(network=new, optimizer=optimizer)
    latest = tf.train.latest_checkpoint(str(tmp_path / "run" / "checkpoints"))
    assert latest.endswith("ckpt-0")
    checkpoint.restore(latest).assert_existing_objects_matched()
    assert int(optimizer.iterations.numpy()) == 0
    copied = [(a, b) for a, b in zip(old.weights, new.weights) if "/up" not in b.path and "/out/" not in b.path]
    assert len(copied) == len(new.weights) - 8  # three decoder stages of kernel (+gamma, beta), and out's bias
    for before, after in copied:
        np.testing.assert_array_equal(before.numpy(), after.numpy())
    assert new.get_layer("up1").conv.kernel.shape == (3, 3, 8, 8)


def test_a_directory_holding_a_run_is_refused(tmp_path, monkeypatch):
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    with pytest.raises(SystemExit, match="already holds a run"):
        run(monkeypatch, "--from=x.keras", f"--model_dir={tmp_path / 'run'}", "--flagfile=x.flags")


def test_the_network_settings_are_read_as_kstyle_train_reads_the_flagfile(tmp_path):
    flagfile = tmp_path / "aa.flags"
    flagfile.write_text("# bilinear\n--widths=16,32,32\n--decoder_widths=32,16\n--antialias\n--style_weight=1e-2\n"
                        "--shrink=2\n")
    network = warm_start._network(str(flagfile), ("a", "b"))
    assert network.antialias is True and network.decoder_widths == (32, 16)
    assert network.widths == (16, 32, 32) and network.residual_blocks == 5
    assert network.shrink == 2 and network.styles == ("a", "b")
