"""`python -m kstyle.beam` on the DirectRunner: mixed photos, failures, reruns, and `kstyle transform`'s pictures."""

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import synthetic_image
from PIL import Image

pytest.importorskip("apache_beam")

import apache_beam as beam  # noqa: E402
import object_store  # noqa: E402

from kstyle.beam import __main__ as command  # noqa: E402
from kstyle.beam.handler import NetworkHandler  # noqa: E402
from kstyle.beam.pipeline import StylizeFiles, counters, encode, write_failures  # noqa: E402
from kstyle.cli import main as cli  # noqa: E402

STYLE = "starry_night"
FORMATS = ("png", "jpg", "webp", "bmp", "tiff", "gif")
FAILING = {"broken.jpg": "not an image format Pillow can read", "a/truncated.jpg": "truncated or corrupt image data",
           "a/b/tiny.png": "the image is 8x8; the network needs at least 16x16 pixels"}


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """30 files in three folders: 27 photos of mixed sizes, formats and modes, and 3 that cannot be painted.

    Names are unique across folders, so `kstyle transform` can write them all to one flat folder.
    """
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    folders = ("", "a", "a/b")
    for index in range(27):
        height, width = (int(side) for side in rng.integers(24, 120, 2))
        image = Image.fromarray(synthetic_image(height, width, seed=index).astype(np.uint8))
        image = image.convert(("RGB", "L", "RGBA", "P")[index % 4]) if FORMATS[index % 6] != "jpg" else image
        path = root / folders[index % 3] / f"photo{index:02d}.{FORMATS[index % 6]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)
    (root / "broken.jpg").write_bytes(b"this is not a JPEG\n")
    full = root / "a" / "full.jpg"
    Image.fromarray(synthetic_image(80, 80, seed=99).astype(np.uint8)).save(full, quality=95)
    (root / "a" / "truncated.jpg").write_bytes(full.read_bytes()[:-600])
    full.unlink()
    Image.fromarray(synthetic_image(8, 8).astype(np.uint8)).save(root / "a" / "b" / "tiny.png")
    (root / "a" / ".hidden.png").write_bytes((root / "photo00.png").read_bytes())  # not an input: hidden
    (root / "notes.txt").write_text("not an input: not an image's extension\n")
    return root


@pytest.fixture(scope="module")
def painted(photos, tmp_path_factory):
    """The in-process run's output folder, its exit status and what it printed."""
    output = tmp_path_factory.mktemp("painted") / "out"
    status, printed = _run([f"--input={photos}", f"--output={output}", f"--model={STYLE}"])
    return output, status, printed


def _run(arguments):
    import contextlib
    import io
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = command.main(["kstyle.beam", *arguments])
    return status, out.getvalue() + err.getvalue()


def _files(folder):
    """`{relative path: bytes}` of every file under `folder`, hidden ones included."""
    found = {}
    for directory, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(directory, name)
            found[os.path.relpath(path, folder)] = open(path, "rb").read()
    return found


def _pictures(folder):
    return {name: data for name, data in _files(folder).items() if name != "failures.txt"}


def test_every_photo_is_painted_at_its_relative_path_and_the_failures_are_listed(painted):
    output, status, printed = painted
    assert status == 1, printed  # some inputs failed
    assert "stylized 27, failed 3, skipped 0" in printed and "Traceback" not in printed
    pictures = _pictures(output)
    assert len(pictures) == 27 and not [name for name in pictures if os.path.basename(name).startswith(".")]
    for index in range(27):
        name = os.path.join(("", "a", "a/b")[index % 3], f"photo{index:02d}.png")
        assert name in pictures
    lines = (output / "failures.txt").read_text().splitlines()
    assert lines == sorted(lines) and len(lines) == 3
    for line, (name, reason) in zip(lines, sorted(FAILING.items(), key=lambda item: item[0])):
        assert line.split(": ", 1)[0].endswith(name) and reason in line


def test_the_pictures_are_kstyle_transforms(photos, painted, tmp_path):
    output, _, _ = painted
    flat = tmp_path / "transform"
    status = cli.main(["kstyle", "transform", f"--model={STYLE}", f"--input={photos},{photos / 'a'},{photos / 'a/b'}",
                       f"--output={flat}", "--quiet"])
    assert status == 1  # the same three fail
    written = [name for name in os.listdir(flat) if not name.startswith(".")]  # transform paints hidden files too
    assert len(written) == 27
    for name, data in _pictures(output).items():
        theirs = flat / os.path.basename(name)
        assert data == theirs.read_bytes(), name  # the same pixels, and the same PNG encoder


def test_a_rerun_rewrites_the_same_files_and_skip_existing_resumes(photos, painted):
    output, _, _ = painted
    before = _files(output)
    status, printed = _run([f"--input={photos}", f"--output={output}", f"--model={STYLE}"])
    assert status == 1 and "stylized 27, failed 3, skipped 0" in printed
    assert _files(output) == before  # nothing added (no temporary left), nothing changed
    victim = next(name for name in before if name.endswith(".png"))
    os.remove(output / victim)
    status, printed = _run([f"--input={photos}", f"--output={output}", f"--model={STYLE}", "--skip_existing"])
    assert "stylized 1, failed 3, skipped 26" in printed, printed
    assert _files(output) == before


def test_two_worker_processes_paint_the_same_files(photos, painted, tmp_path):
    output, _, _ = painted
    other = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "kstyle.beam", f"--input={photos}", f"--output={other}",
                           f"--model={STYLE}", "--direct_running_mode=multi_processing", "--direct_num_workers=2"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr
    assert "stylized 27, failed 3, skipped 0" in done.stdout and "Traceback" not in done.stderr, done.stderr
    assert _files(other) == _files(output)


def test_inputs_that_would_write_one_file_both_fail_and_a_file_matched_twice_is_painted_once(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("same.jpg", "same.png", "alone.png"):
        Image.fromarray(synthetic_image(32, 40).astype(np.uint8)).save(inputs / name)
    output = tmp_path / "out"
    status, printed = _run([f"--input={inputs},{inputs}/*.png", f"--output={output}", f"--model={STYLE}"])
    assert status == 1 and "stylized 1, failed 2, skipped 0" in printed, printed
    assert sorted(_pictures(output)) == ["alone.png"]
    lines = (output / "failures.txt").read_text().splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [str(inputs / "same.jpg"), str(inputs / "same.png")]
    assert f"would also be written to {output}/same.png" in lines[0]


def test_a_pipeline_of_ones_own_reads_and_writes_an_object_store_with_a_model_there(tmp_path):
    """gs:// and s3:// go through Beam's file systems: here one of the test's own, by scheme."""
    from kstyle.feedforward import apply
    from conftest import styled_network
    object_store.ObjectStore.root = str(tmp_path)
    (tmp_path / "photos" / "2024").mkdir(parents=True)
    photo = synthetic_image(40, 56, seed=3).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "photos" / "2024" / "one.jpg", quality=95)
    (tmp_path / "models").mkdir()
    network = styled_network(("wave", "udnie"), seed=5)
    network.save(tmp_path / "models" / "two.keras")
    handler = NetworkHandler(object_store.PREFIX + "models/two.keras", blend="wave:0.25,udnie:0.75", strength=0.5)
    with beam.Pipeline() as pipeline:
        failures = pipeline | StylizeFiles([object_store.PREFIX + "photos/"], object_store.PREFIX + "out",
                                           handler, image_format="jpeg")
        write_failures(failures, object_store.PREFIX + "out")
    result = pipeline.result
    assert counters(result) == {"stylized": 1, "failed": 0, "skipped": 0}
    assert (tmp_path / "out" / "failures.txt").read_text() == ""
    decoded = np.asarray(Image.open(tmp_path / "photos" / "2024" / "one.jpg"), np.float32)
    expected = apply.stylize(apply.load_network(str(tmp_path / "models" / "two.keras"), "wave:0.25,udnie:0.75", 0.5),
                             decoded)
    assert (tmp_path / "out" / "2024" / "one.jpg").read_bytes() == encode(expected, "jpeg")
    assert not [name for name in os.listdir(tmp_path / "out" / "2024") if name != "one.jpg"]  # no temporary left


def test_the_handler_paints_an_exported_savedmodel_as_transform_does(tmp_path):
    import keras

    from kstyle.feedforward import apply
    from kstyle.feedforward.network import StyleNetwork
    from kstyle.serving import savedmodel
    keras.utils.set_random_seed(0)
    network = StyleNetwork(width=4, residual_blocks=1)
    network(np.zeros((1, 32, 32, 3), np.float32))
    version = savedmodel.export(network, str(tmp_path / "export"))
    handler = NetworkHandler(str(tmp_path / "export"), max_size=48)
    model = handler.load_model()
    images = [synthetic_image(40, 64, seed=1).astype(np.uint8), synthetic_image(8, 8).astype(np.uint8)]
    first, second = list(handler.run_inference(images, model))
    expected = apply.stylize(apply.load_network(str(version)), images[0].astype(np.float32), 48)
    assert first.inference.shape == (30, 48, 3)
    np.testing.assert_array_equal(first.inference, expected)
    assert second.inference == "the image is 8x8; the network needs at least 16x16 pixels"  # a failure, not a crash
    assert handler.get_num_bytes(images) == images[0].nbytes + images[1].nbytes


@pytest.mark.parametrize("arguments, message", [
    ([], "--input is required"),
    (["--input=IN"], "--output is required"),
    (["--input=IN", "--output=OUT"], "say what to paint: --model=NAME|PATH or --blend"),
    (["--input=IN", "--output=OUT", "--model=nosuch"], "'nosuch' is neither a shipped model"),
    (["--input=IN", "--output=OUT", "--blend=nosuch"], "nosuch: not a shipped style"),
    (["--input=IN", "--output=OUT", f"--model={STYLE}", "--strength=2"], "strength"),
    (["--input=IN", "--output=OUT", f"--model={STYLE}", "--max_size=4"], "max_size must be at least 16"),
    (["--input=IN/nothing/", "--output=OUT", f"--model={STYLE}"], "--input IN/nothing/: matches no images"),
    (["--input=IN/missing.jpg", "--output=OUT", f"--model={STYLE}"], "--input IN/missing.jpg: no such file"),
    (["--input=IN", "--output=IN", f"--model={STYLE}"], "--output IN: is the input directory"),
    (["--input=IN", "--output=OUT", f"--model={STYLE}", "--steps=3"], "--steps does not apply"),
    (["--input=IN", "--output=OUT", f"--model={STYLE}", "--runer=DirectRunner"],
     "--runer (did you mean --runner?): neither a kstyle flag (python -m kstyle.beam --help) nor a Beam pipeline "
     "option"),
    (["--input=IN", "--output=OUT", f"--model={STYLE}", "--direct_num_workers=two"],
     "a Beam pipeline option: argument --direct_num_workers: invalid int value: 'two'"),
    (["--input=IN", "--output=OUT", f"--model={STYLE}", "--image_format=gif"], "image_format"),
])
def test_bad_flags_are_one_line_and_exit_2(tmp_path, arguments, message):
    inputs = tmp_path / "IN"
    (inputs / "nothing").mkdir(parents=True)
    Image.fromarray(synthetic_image(32, 32).astype(np.uint8)).save(inputs / "a.png")
    arguments = [argument.replace("IN", str(inputs)).replace("OUT", str(tmp_path / "out")) for argument in arguments]
    message = message.replace("IN", str(inputs))
    status, printed = _run(arguments)
    assert status == 2 and message in printed and "Traceback" not in printed
    assert len(printed.strip().splitlines()) == 1, printed
    assert not (tmp_path / "out").exists() or not os.listdir(tmp_path / "out")


def test_help_lists_the_flags_and_says_the_rest_are_beams(capsys):
    assert command.main(["kstyle.beam", "--help"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("python -m kstyle.beam: stylize every image")
    assert "[Beam pipeline options]" in page
    for name in ("--input", "--output", "--model", "--blend", "--strength", "--max_size", "--skip_existing",
                 "--image_format"):
        assert name in page


def test_the_readmes_commands_parse_and_the_dataflow_one_names_its_runner():
    """The README's Dataflow command cannot run here (no cloud); its kstyle flags and Beam options must parse."""
    import shlex

    from absl import flags as absl_flags
    from apache_beam.options.pipeline_options import PipelineOptions, SetupOptions, StandardOptions

    import kstyle
    from kstyle.cli import flags
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    joined = readme.replace("\\\n", " ")
    commands = [shlex.split(line, comments=True) for line in joined.splitlines()
                if line.startswith("python -m kstyle.beam")]
    assert len(commands) == 3
    runners = []
    for words in commands:
        absl_flags.FLAGS.unparse_flags()
        rest = absl_flags.FLAGS(["kstyle.beam", *words[3:]], known_only=True)[1:]
        options = command._pipeline_options(PipelineOptions, rest)
        assert flags.INPUT.value and flags.OUTPUT.value and (flags.MODEL.value or flags.BLEND.value)
        runners.append(options.view_as(StandardOptions).runner)
        if runners[-1] == "DataflowRunner":
            wheel = f"dist/kstyle-{kstyle.__version__}-py3-none-any.whl"
            assert options.view_as(SetupOptions).extra_packages == [wheel]
    absl_flags.FLAGS.unparse_flags()
    assert runners == [None, None, "DataflowRunner"]


@pytest.mark.parametrize("mode", [[], ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]],
                         ids=["in_process", "two_workers"])
def test_ctrl_c_keeps_the_pictures_written_and_leaves_no_worker_and_no_traceback(tmp_path, mode):
    import signal
    import time

    from conftest import interruptible
    inputs, output = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    for index in range(200):
        Image.fromarray(synthetic_image(200, 240, seed=index).astype(np.uint8)).save(inputs / f"p{index:03d}.png")
    process = subprocess.Popen([sys.executable, "-m", "kstyle.beam", f"--input={inputs}", f"--output={output}",
                                f"--model={STYLE}", *mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True, preexec_fn=interruptible)
    # Event-driven: Ctrl-C once the first picture is there, to the whole group as a terminal sends it.
    while process.poll() is None and not (output.exists() and any(name.endswith(".png") for name in
                                                                    os.listdir(output))):
        time.sleep(0.2)
    assert process.poll() is None, process.stderr.read()
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == (f"kstyle: interrupted; the pictures written so far are in {output}, and "
                                            "the same command with --skip_existing goes on from them")
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    written = os.listdir(output)
    assert written and all(name.endswith(".png") and not name.startswith(".") for name in written), written
    for name in written:
        assert Image.open(output / name).size == (240, 200)  # whole files
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # no worker lives on in the run's process group
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        pytest.fail("a Beam worker outlived the interrupted run")
