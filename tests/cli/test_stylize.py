"""The `kstyle` command end to end: a real run, every bad input, Ctrl-C."""

import csv
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
from conftest import interruptible, synthetic_image
from PIL import Image

from kstyle.cli import main as cli

FAST = ["--vgg_weights=none", "--max_size=40", "--iterations=3", "--style_layers=block1_conv1,block2_conv1",
        "--content_layers=block2_conv2"]


@pytest.fixture
def photos(tmp_path):
    content, style = tmp_path / "content.png", tmp_path / "style.jpg"
    Image.fromarray(synthetic_image(30, 40).astype(np.uint8)).save(content)
    Image.fromarray(synthetic_image(40, 40, seed=1).astype(np.uint8)).save(style)
    return str(content), str(style)


def kstyle(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "kstyle", *args], capture_output=True, text=True, timeout=300,
                          **kwargs)


def test_end_to_end_run_through_the_console_entry_point(tmp_path, photos):
    content, style = photos
    output, log = tmp_path / "out.png", tmp_path / "loss.csv"
    done = kstyle("stylize", f"--content={content}", f"--style={style}", f"--output={output}",
                  f"--loss_log={log}", "--save_every=2", *FAST)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # TensorFlow's start-up chatter is swallowed
    closing = f"wrote {re.escape(str(output))} \\(40x30, 3 iterations, [4-9] loss evaluations, stopped: iterations done"
    assert re.search(closing, done.stdout)
    assert re.search("stopped: iterations done after 3 iterations, [4-9] loss evaluations\n", done.stdout)
    # Not a terminal: plain progress lines, no carriage returns or escape codes to fill a log with.
    assert "step 3/3 (100%)" in done.stdout and "\r" not in done.stdout and "\x1b" not in done.stdout
    assert Image.open(output).size == (40, 30)
    assert (tmp_path / "out_0002.png").exists()
    rows = list(csv.DictReader(open(log)))
    assert [row["step"] for row in rows] == ["1", "2", "3"]
    assert [int(row["evaluations"]) for row in rows] == sorted(int(row["evaluations"]) for row in rows)
    for row in rows:
        assert float(row["change"]) > 0
        assert float(row["total"]) == pytest.approx(float(row["style"]) + float(row["content"]) + float(row["tv"]),
                                                    rel=1e-4)


def test_flagfile_preset_then_override(tmp_path, photos, capsys):
    content, style = photos
    preset = tmp_path / "preset.flags"
    preset.write_text("--optimizer=adam\n--iterations=2\n--max_size=999\n")
    output = tmp_path / "out.png"
    status = cli.main(["kstyle", "stylize", f"--flagfile={preset}", f"--content={content}", f"--style={style}",
                       f"--output={output}", *FAST[:1], "--max_size=36", "--style_layers=block1_conv1",
                       "--content_layers=block1_conv2", "--quiet"])
    assert status == 0, capsys.readouterr().err
    assert Image.open(output).size == (36, 27)
    out = capsys.readouterr().out
    assert "2 iterations" in out and "step " not in out  # --quiet: the closing line only


def test_same_seed_same_output(tmp_path, photos):
    content, style = photos
    outputs = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        path = tmp_path / f"{name}.png"
        assert cli.main(["kstyle", "stylize", f"--content={content}", f"--style={style}", f"--output={path}",
                         "--init=noise", f"--seed={seed}", *FAST]) == 0
        outputs.append(np.asarray(Image.open(path)))
    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert not np.array_equal(outputs[0], outputs[2])


def _bad_files(tmp_path):
    (tmp_path / "text.jpg").write_text("not an image")
    (tmp_path / "empty.png").write_bytes(b"")
    full = tmp_path / "full.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8)).save(full)
    (tmp_path / "truncated.jpg").write_bytes(full.read_bytes()[:2000])
    from test_images import _png_header_only
    (tmp_path / "bomb.png").write_bytes(_png_header_only(30000, 30000))
    Image.new("L", (8, 6), 255).save(tmp_path / "mask.png")
    Image.new("L", (8, 6), 0).save(tmp_path / "black.png")


BAD_INPUTS = [
    # (flags replacing the good ones, exit status, message)
    ({"content": "{tmp}/missing.jpg"}, 1, "no such file"),
    ({"content": "{tmp}/text.jpg"}, 1, "not an image"),
    ({"content": "{tmp}/truncated.jpg"}, 1, "truncated"),
    ({"style": "{tmp}/empty.png"}, 1, "empty"),
    ({"style": "{tmp}/bomb.png"}, 1, "megapixels"),
    ({"style_layers": "block1_conv1,conv9"}, 2, "unknown VGG16 layer 'conv9'"),
    ({"content_layers": "pool7"}, 2, "unknown VGG16 layer"),
    ({"style_layers": "block1_conv1:-2"}, 2, "non-negative"),
    ({"style_layers": "block1_conv1:heavy"}, 2, "must be a number"),
    ({"style_weight": "-1"}, 2, "non-negative"),
    ({"tv_weight": "lots"}, 2, "tv_weight"),
    ({"max_size": "0"}, 2, "max_size must be between"),
    ({"max_size": "-5"}, 2, "max_size must be between"),
    ({"max_size": "1000000"}, 2, "max_size must be between"),
    ({"max_size": "big"}, 2, "flag --max_size=big: "),
    ({"output": "{tmp}/no/such/dir/out.png"}, 1, "does not exist"),
    ({"output": "/proc/out.png"}, 1, "cannot write"),
    ({"output": "{tmp}/out.gif"}, 2, "must end in"),
    ({"optimizer": "sgd"}, 2, "flag --optimizer=sgd: value should be one of <lbfgs|adam>"),
    ({"init": "{tmp}/missing.png"}, 2, "is neither one of content, recolored, noise, style nor an existing image"),
    ({"init": "{tmp}/text.jpg"}, 1, "not an image"),
    ({"loss_log": "{tmp}/no/dir/log.csv"}, 1, "does not exist"),
    ({"save_every": "-1"}, 2, "--save_every must be 0 (off) or a number of steps, got -1"),
    ({"min_change": "-1"}, 2, "min_change must be a non-negative number"),
    ({"iterations": "10,10"}, 2, "iterations: 2 counts given for 1 scale"),
    ({"lbfgs_history": "0"}, 2, "lbfgs_history must be between 1 and 1000, got 0"),
    ({"vgg_weights": "{tmp}/text.jpg"}, 1, "not a readable HDF5"),
    ({"train_images": "x"}, 2, "--train_images does not apply to `kstyle stylize`"),
    ({"style": "{content},{style}", "style_blend_weights": "1,2,3"}, 2, "3 given for 2 style images"),
    ({"style_masks": "{tmp}/mask.png,{tmp}/mask.png"}, 2, "2 given for 1 style image"),
    ({"style_masks": "{tmp}/text.jpg"}, 2, "text.jpg: not an image format Pillow can read"),
    ({"style_masks": "{tmp}/black.png"}, 2, "black everywhere"),
    ({"style_blend_weights": "0"}, 2, "above zero"),
    ({"style": "{content},{style}", "style_blend_weights": "1,x"}, 2, "must be a number"),
    ({"scales": "6"}, 2, "first scale would be 1 px"),
    ({"scales": "30,20"}, 2, "must increase"),
    ({"preserve_colors": "sepia"}, 2, "flag --preserve_colors=sepia: value should be one of <none|luminance|"),
    ({"style_scale": "0"}, 2, "style_scale must be a positive"),
    ({"style_weight": "1e39"}, 1, "NaN or infinite at the starting image"),  # float32 overflows: no black image
]


@pytest.mark.parametrize("changes, status, message", BAD_INPUTS, ids=[str(c) for c, _, _ in BAD_INPUTS])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, photos, capsys, changes, status, message):
    _bad_files(tmp_path)
    content, style = photos
    values = {"content": content, "style": style, "output": str(tmp_path / "out.png")}
    values.update({key: value.format(tmp=tmp_path, content=content, style=style) for key, value in changes.items()})
    argv = ["kstyle", "stylize", *FAST, *(f"--{key}={value}" for key, value in values.items())]
    before = set(os.listdir(tmp_path))
    assert cli.main(argv) == status
    err = capsys.readouterr().err
    assert err.startswith("kstyle: ") and err.count("\n") == 1, err
    assert message in err
    assert set(os.listdir(tmp_path)) == before  # no output, no temporary files


def test_usage_errors(capsys):
    assert cli.main(["kstyle"]) == 2
    assert "usage: kstyle VERB" in capsys.readouterr().err
    assert cli.main(["kstyle", "paint"]) == 2
    assert "unknown command 'paint'" in capsys.readouterr().err
    assert cli.main(["kstyle", "stylize", "extra"]) == 2
    assert "unexpected arguments" in capsys.readouterr().err
    assert cli.main(["kstyle", "stylize", "--content=a.jpg"]) == 2
    assert "--style is required" in capsys.readouterr().err


def test_bad_input_through_the_real_entry_point(tmp_path, photos):
    content, style = photos
    done = kstyle("stylize", f"--content={tmp_path}/missing.jpg", f"--style={style}", f"--output={tmp_path}/o.png")
    assert (done.returncode, done.stderr) == (1, f"kstyle: {tmp_path}/missing.jpg: no such file\n")
    done = kstyle("stylize", "--max_size=abc")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_writes_the_latest_image(tmp_path, photos, signum):
    content, style = photos
    output, log = tmp_path / "out.png", tmp_path / "loss.csv"
    os.mkfifo(log)  # Event-driven: the loss log's rows arrive as the steps end, no clock involved.
    process = subprocess.Popen(
        [sys.executable, "-m", "kstyle", "stylize", f"--content={content}", f"--style={style}",
         f"--output={output}", f"--loss_log={log}", *FAST[:-1], "--iterations=100000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
    with open(log) as rows:  # Blocks until the run opens its log, after its first step.
        assert [rows.readline() for _ in range(4)][-1].startswith("3,")  # the header, then steps 1-3
        assert process.poll() is None
        process.send_signal(signum)
        rows.read()  # Drain until the run closes the log, so it never writes into a closed pipe.
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted after step" in err and f"wrote the latest image to {output}" in err
    assert "Traceback" not in err
    assert Image.open(output).size == (40, 30)
    names = os.listdir(tmp_path)
    assert names.count("out.png") == 1 and not [n for n in names if n.startswith(".")]
