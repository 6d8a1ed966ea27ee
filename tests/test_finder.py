"""One finder of input images for every verb: files, folders, globs, samples."""

import os

import pytest
from PIL import Image

from kstyle import finder, samples
from kstyle.errors import UsageError


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "nested").mkdir()
    for name in ("b.png", "a.jpg", "nested/c.jpg", "notes.txt"):
        if name.endswith("txt"):
            (tmp_path / name).write_text("hello")
        else:
            Image.new("RGB", (20, 20)).save(tmp_path / name)
    return tmp_path


def names(found):
    return [os.path.relpath(source, found[1]) if not source.startswith("sample:") else source
            for source in found[0].sources]


def test_a_folder_sorted_with_its_images_only(folder):
    found = finder.find_images(str(folder), option="--input")
    assert names((found, folder)) == ["a.jpg", "b.png"] and found.several
    recursive = finder.find_images(str(folder), option="--input", recursive=True)
    assert names((recursive, folder)) == ["a.jpg", "b.png", "nested/c.jpg"]
    everything = finder.find_images(str(folder), option="--input", recursive=True, extensions=None)
    assert names((everything, folder)) == ["a.jpg", "b.png", "nested/c.jpg", "notes.txt"]


def test_files_globs_and_samples_in_order(folder, monkeypatch):
    monkeypatch.setenv("HOME", str(folder))
    one = finder.find_images(f"{folder}/b.png", option="--input")
    assert one.sources == (f"{folder}/b.png",) and not one.several
    found = finder.find_images(["~/b.png", f"{folder}/*.jpg", "sample:chelsea", "~/b.png"], option="--input")
    assert found.sources == (f"{folder}/b.png", f"{folder}/a.jpg", "sample:chelsea")  # each once
    photos = finder.find_images("sample:photos", option="--train_images")
    assert photos.sources == tuple(f"sample:{name}" for name in samples.PHOTOS) and photos.several


@pytest.mark.parametrize("source, message", [
    ("{tmp}/*.gif", "--input {tmp}/*.gif: matches no files"),
    ("{tmp}/nested/empty", "no images in this directory"),
    ("sample:picasso", "no built-in sample 'picasso'"),
    ("", "the list is empty"),
])
def test_nothing_found_is_one_clear_error(folder, source, message):
    (folder / "nested" / "empty").mkdir()
    with pytest.raises(UsageError, match=message.format(tmp=folder).replace("*", r"\*")):
        finder.find_images(source.format(tmp=folder), option="--input")
