"""`kstyle.beam.pipeline` on the DirectRunner: mixed photos, failures, reruns, object stores, transform's pictures."""

import os

import apache_beam as beam
import numpy as np
import object_store
import pytest
from beam_helper import FAILING, PAINTABLE, STYLE, files, make_photos, pictures, run
from conftest import synthetic_image
from PIL import Image

from kstyle.beam.handler import NetworkHandler
from kstyle.beam.pipeline import StylizeFiles, counters, encode, write_failures
from kstyle.cli import main as cli


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return make_photos(tmp_path_factory.mktemp("photos"))


@pytest.fixture(scope="module")
def painted(photos, tmp_path_factory):
    """The in-process run's output folder, its exit status and what it printed."""
    output = tmp_path_factory.mktemp("painted") / "out"
    status, printed = run([f"--input={photos}", f"--output={output}", f"--model={STYLE}"])
    return output, status, printed


def test_every_photo_is_painted_at_its_relative_path_and_the_failures_are_listed(painted):
    output, status, printed = painted
    assert status == 1, printed  # some inputs failed
    assert "stylized 27, failed 3, skipped 0" in printed and "Traceback" not in printed
    written = pictures(output)
    assert len(written) == PAINTABLE and not [name for name in written if os.path.basename(name).startswith(".")]
    for index in range(PAINTABLE):
        assert os.path.join(("", "a", "a/b")[index % 3], f"photo{index:02d}.png") in written
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
    for name, data in pictures(output).items():
        theirs = flat / os.path.basename(name)
        assert data == theirs.read_bytes(), name  # the same pixels, and the same PNG encoder


def test_a_rerun_rewrites_the_same_files_and_skip_existing_resumes(photos, painted):
    output, _, _ = painted
    before = files(output)
    status, printed = run([f"--input={photos}", f"--output={output}", f"--model={STYLE}"])
    assert status == 1 and "stylized 27, failed 3, skipped 0" in printed
    assert files(output) == before  # nothing added (no temporary left), nothing changed
    victim = next(name for name in before if name.endswith(".png"))
    os.remove(output / victim)
    status, printed = run([f"--input={photos}", f"--output={output}", f"--model={STYLE}", "--skip_existing"])
    assert "stylized 1, failed 3, skipped 26" in printed, printed
    assert files(output) == before


def test_inputs_that_would_write_one_file_both_fail_and_a_file_matched_twice_is_painted_once(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("same.jpg", "same.png", "alone.png"):
        Image.fromarray(synthetic_image(32, 40).astype(np.uint8)).save(inputs / name)
    output = tmp_path / "out"
    status, printed = run([f"--input={inputs},{inputs}/*.png", f"--output={output}", f"--model={STYLE}"])
    assert status == 1 and "stylized 1, failed 2, skipped 0" in printed, printed
    assert sorted(pictures(output)) == ["alone.png"]
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


def test_each_worker_process_says_how_many_pictures_it_wrote(tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for index in range(3):
        Image.fromarray(synthetic_image(32, 40, seed=index).astype(np.uint8)).save(inputs / f"p{index}.png")
    output = str(tmp_path / "out")
    with beam.Pipeline() as pipeline:
        pipeline | StylizeFiles([str(inputs)], output, NetworkHandler(STYLE), progress_every=0)
    lines = [line for line in capsys.readouterr().err.splitlines() if "pictures written by this process" in line]
    assert [line.split(" pictures")[0] for line in lines] == ["kstyle: 1", "kstyle: 2", "kstyle: 3"]  # this run's
    assert all(line.endswith("/s)") for line in lines)
