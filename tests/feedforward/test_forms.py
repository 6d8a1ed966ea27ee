"""The forms of a trained network, told apart and checked without loading it."""

import pytest

from kstyle.errors import Error, UsageError
from kstyle.feedforward import forms, shipped


def _version(directory):
    directory.mkdir(parents=True)
    (directory / "saved_model.pb").write_bytes(b"")
    return directory


def test_an_export_directory_is_its_latest_version(tmp_path):
    base = tmp_path / "models" / "mine"
    for version in ("1", "2", "10"):
        _version(base / version)
    (base / "11").mkdir()  # a version being written (no saved_model.pb yet) is not served
    (base / ".staging").mkdir()
    assert forms.locate(str(base)) == forms.Model(str(base / "10"), forms.SAVEDMODEL)
    assert forms.locate(str(base / "2")).path == str(base / "2")  # a version names itself


def test_a_directory_without_a_savedmodel_is_one_line(tmp_path):
    with pytest.raises(Error, match="neither a SavedModel nor an export directory of numbered versions"):
        forms.locate(str(tmp_path))


@pytest.mark.parametrize("name, form", [("x.tflite", forms.TFLITE), ("x.ONNX", forms.ONNX), ("x.keras", forms.KERAS)])
def test_files_are_told_apart_by_their_suffix(tmp_path, name, form):
    (tmp_path / name).write_bytes(b"")
    assert forms.locate(str(tmp_path / name)).form == form


def test_a_keras_files_styles_are_read_from_its_config_without_loading_it():
    model = forms.locate("wave")
    assert model.form == forms.KERAS and model.style == "wave"
    assert forms.style_names(model) == next(network.styles for network in shipped.NETWORKS)


def test_a_blend_the_network_cannot_paint_is_refused():
    model = forms.locate("wave")
    with pytest.raises(UsageError, match="not starry_nite"):
        forms.check_choice(model, "starry_nite", None, "wave")
    forms.check_choice(model, "wave:1,udnie:1", 0.5, "wave")  # these it paints


def test_a_file_that_paints_one_picture_takes_no_blend_or_strength(tmp_path):
    (tmp_path / "x.tflite").write_bytes(b"")
    model = forms.locate(str(tmp_path / "x.tflite"))
    with pytest.raises(UsageError, match="--strength: .* paints what it was exported with"):
        forms.check_choice(model, None, 0.5, "x.tflite")
    forms.check_choice(model, None, None, "x.tflite")


def test_an_unreadable_keras_file_is_left_to_the_loader_to_name(tmp_path):
    (tmp_path / "notes.keras").write_text("not a model")
    assert forms.style_names(forms.locate(str(tmp_path / "notes.keras"))) is None
