"""The shipped networks: found by name, and judged on photos they never trained on."""

import os

import pytest

from kstyle.errors import UsageError
from kstyle.feedforward import shipped


def test_names_and_paths():
    assert shipped.names() == ["starry_night"]
    assert shipped.resolve("starry_night") == shipped.path("starry_night")
    assert os.path.exists(shipped.path("starry_night"))
    with pytest.raises(UsageError, match="neither a shipped model"):
        shipped.resolve("no_such_style")


def test_the_held_out_photos_are_never_trained_on(tmp_path):
    (tmp_path / "content").mkdir()
    for name in ("stata.jpg", "tubingen.jpg"):
        (tmp_path / "content" / name).write_bytes(b"")
    training = shipped.training_sources(str(tmp_path))
    held_out = shipped.held_out_sources(str(tmp_path))
    assert held_out == ["sample:astronaut", "sample:chelsea", "sample:coffee", str(tmp_path / "content" / "stata.jpg")]
    assert str(tmp_path / "content" / "tubingen.jpg") in training and "sample:rocket" in training
    assert not set(training) & set(held_out)
    # Without the shared photos (a clean clone), the held-out set is scikit-image's three.
    assert shipped.held_out_sources(str(tmp_path / "nowhere")) == held_out[:3]
