import numpy as np
import pytest
from conftest import synthetic_image
from PIL import Image

from kstyle.errors import UsageError
from kstyle.feedforward import styles


def test_styles_are_named_for_their_files_in_order(tmp_path):
    paths = []
    for name in ("wave", "starry_night"):
        paths.append(str(tmp_path / f"{name}.png"))
        Image.fromarray(synthetic_image(20, 24).astype(np.uint8)).save(paths[-1])
    named = styles.named(paths + ["sample:chelsea"])
    assert list(named) == ["wave", "starry_night", "chelsea"]
    assert named["wave"].shape == (20, 24, 3) and named["chelsea"].ndim == 3
    assert list(styles.named(synthetic_image(8, 8))) == ["style"]
    assert list(styles.named([synthetic_image(8, 8), synthetic_image(8, 8, 1)])) == ["style1", "style2"]
    assert list(styles.named({"b": synthetic_image(8, 8), "a": synthetic_image(8, 8, 1)})) == ["b", "a"]


@pytest.mark.parametrize("given, message", [
    ([], "at least one"),
    (["sample:chelsea", "sample:chelsea"], "both named chelsea"),
    ({"a:b": None}, "cannot be used in --blend"),
])
def test_bad_style_sets_are_one_line_errors(given, message):
    with pytest.raises(UsageError, match=message):
        styles.named(given)
