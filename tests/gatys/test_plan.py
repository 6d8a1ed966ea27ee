import numpy as np
import pytest
from conftest import synthetic_image
from PIL import Image

from kstyle.errors import UsageError
from kstyle.gatys import plan
from kstyle.gatys.options import StylizeOptions


def test_sizes_go_coarse_to_fine():
    sizes = plan.output_sizes((300, 400, 3), StylizeOptions(max_size=400, scales=3))
    assert sizes == [(75, 100), (150, 200), (300, 400)]
    assert plan.output_sizes((300, 400, 3), StylizeOptions(max_size=200)) == [(150, 200)]


def test_sizes_refuse_scales_too_small_for_the_layers():
    options = StylizeOptions(max_size=256, scales="64,256")  # block5_conv1 needs 16 px
    with pytest.raises(UsageError, match="the 64 px scale would be 64x8 pixels"):
        plan.output_sizes((32, 256, 3), options)


def test_read_masks(tmp_path):
    rgb = tmp_path / "rgb.png"
    Image.fromarray(np.dstack([np.full((10, 20), 255, np.uint8)] * 3)).save(rgb)  # white, wrong size
    options = StylizeOptions(style_masks=str(rgb))
    masks = plan.read_masks(options, (30, 40, 3))
    assert masks[0].shape == (30, 40)
    np.testing.assert_allclose(masks[0], 1.0, atol=1e-3)


@pytest.mark.parametrize("content, message", [(b"text", "not an image"), (None, "no such file")])
def test_bad_masks_are_usage_errors(tmp_path, content, message):
    path = tmp_path / "mask.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UsageError, match=f"style_masks: .*{message}"):
        plan.read_masks(StylizeOptions(style_masks=str(path)), (30, 40, 3))


def test_black_mask_is_refused(tmp_path):
    path = tmp_path / "black.png"
    Image.new("L", (5, 5), 0).save(path)
    with pytest.raises(UsageError, match="black everywhere"):
        plan.read_masks(StylizeOptions(style_masks=str(path)), (30, 40, 3))


def test_initial_images():
    content, style = synthetic_image(20, 30), synthetic_image(40, 40, seed=1)
    np.testing.assert_array_equal(plan.initial_image("content", content, style, 0), content)
    noise = plan.initial_image("noise", content, style, 0)
    assert noise.shape == content.shape and 100 < noise.mean() < 155
    assert plan.initial_image("style", content, style, 0).shape == content.shape


def test_color_modes_and_finish():
    content, style = synthetic_image(20, 30), synthetic_image(40, 40, seed=1)
    grey_content, grey_styles = plan.apply_color_mode(content, [style], "luminance")
    np.testing.assert_allclose(grey_content[..., 0], grey_content[..., 1])
    options = StylizeOptions(preserve_colors="luminance")
    finished = plan.finish(grey_content, content, (20, 30), options)
    np.testing.assert_allclose(finished, content, atol=1.0)  # grey luminance + content chroma = content
