"""`python -m kstyle.beam`: flags, help, the README's commands, two worker processes, Ctrl-C."""

import os
import subprocess
import sys

import numpy as np
import pytest
from beam_helper import PAINTABLE, STYLE, files, make_photos, run
from conftest import synthetic_image
from PIL import Image

from kstyle.beam import __main__ as command


def test_two_worker_processes_paint_what_one_process_paints(tmp_path):
    photos = make_photos(tmp_path / "photos")
    output, other = tmp_path / "one", tmp_path / "two"
    status, printed = run([f"--input={photos}", f"--output={output}", f"--model={STYLE}"])
    assert status == 1 and f"stylized {PAINTABLE}, failed 3, skipped 0" in printed, printed
    done = subprocess.run([sys.executable, "-m", "kstyle.beam", f"--input={photos}", f"--output={other}",
                           f"--model={STYLE}", "--direct_running_mode=multi_processing", "--direct_num_workers=2"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr
    assert "stylized 27, failed 3, skipped 0" in done.stdout and "Traceback" not in done.stderr, done.stderr
    assert files(other) == files(output)


@pytest.mark.parametrize("arguments, message", [
    ([], "--input is required"),
    (["--input=IN"], "--output is required"),
    (["--input=IN", "--output=OUT"], "say what to paint: --model=NAME|PATH or --blend"),
    (["--input=IN", "--output=OUT", "--model=nosuch"], "'nosuch' is neither a shipped model"),
    (["--input=IN", "--output=OUT", "--blend=nosuch"], "nosuch: not a shipped style"),
    (["--input=IN", "--output=OUT", f"--model={STYLE}", "--strength=2"],
     "strength must be from 0 (the photo) to 1 (the full style), got 2.0"),
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
    (["--input=IN", "--output=OUT", f"--model={STYLE}", "--image_format=gif"],
     "--image_format=gif: value should be one of <png|jpeg>"),
])
def test_bad_flags_are_one_line_and_exit_2(tmp_path, arguments, message):
    inputs = tmp_path / "IN"
    (inputs / "nothing").mkdir(parents=True)
    Image.fromarray(synthetic_image(32, 32).astype(np.uint8)).save(inputs / "a.png")
    arguments = [argument.replace("IN", str(inputs)).replace("OUT", str(tmp_path / "out")) for argument in arguments]
    message = message.replace("IN", str(inputs))
    status, printed = run(arguments)
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
    for index in range(120):
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
