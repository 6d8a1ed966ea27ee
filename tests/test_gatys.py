import numpy as np
import pytest

from conftest import synthetic_image
from kstyle import gatys
from kstyle.errors import UsageError

FAST = dict(max_size=40, iterations=4, vgg_weights="none", style_layers="block1_conv1,block2_conv1",
            content_layers="block2_conv2")


def test_stylize_returns_uint8_at_max_size(random_backbone):
    out = gatys.stylize(synthetic_image(30, 60), synthetic_image(50, 50, seed=1), backbone=random_backbone, **FAST)
    assert out.dtype == np.uint8 and out.shape == (20, 40, 3)


def test_stylize_accepts_paths_and_samples(tmp_path, random_backbone):
    from PIL import Image
    path = tmp_path / "c.png"
    Image.fromarray(synthetic_image(40, 40).astype(np.uint8)).save(path)
    out = gatys.stylize(str(path), "sample:mosaic", backbone=random_backbone, **FAST)
    assert out.shape == (40, 40, 3)


@pytest.mark.parametrize("init", ["noise", "style"])
def test_seed_makes_runs_repeat(init):
    content, style = synthetic_image(32, 40), synthetic_image(40, 40, seed=1)
    first = gatys.stylize(content, style, seed=3, init=init, **FAST)
    again = gatys.stylize(content, style, seed=3, init=init, **FAST)
    np.testing.assert_array_equal(first, again)
    if init == "noise":
        other = gatys.stylize(content, style, seed=4, init=init, **FAST)
        assert np.abs(first.astype(int) - other).mean() > 1


def test_initial_images():
    content, style = synthetic_image(20, 30), synthetic_image(40, 40, seed=1)
    np.testing.assert_array_equal(gatys.initial_image("content", content, style, 0), content)
    noise = gatys.initial_image("noise", content, style, 0)
    assert noise.shape == content.shape and 100 < noise.mean() < 155
    assert gatys.initial_image("style", content, style, 0).shape == content.shape


def test_too_small_output_is_refused():
    with pytest.raises(UsageError, match="200x1 pixels; block2_conv2 needs at least 2"):
        gatys.stylize(synthetic_image(1, 200), synthetic_image(40, 40), **{**FAST, "max_size": 200})
    with pytest.raises(UsageError, match="block5_conv1 needs at least 16"):
        gatys.stylize(synthetic_image(10, 200), synthetic_image(40, 40),
                      **{**FAST, "max_size": 200, "style_layers": "block5_conv1"})


def test_unknown_option():
    with pytest.raises(UsageError, match="unknown option"):
        gatys.stylize(synthetic_image(), synthetic_image(), colour="blue")


@pytest.mark.parametrize("switches", [dict(precision="mixed_bfloat16"), dict(jit_compile=True)])
def test_gpu_switches_give_a_close_result_on_cpu(hed_backbone, switches):
    content, style = synthetic_image(32, 40), synthetic_image(40, 40, seed=1)
    options = {**FAST, "vgg_weights": "hed", "iterations": 5}
    exact = gatys.stylize(content, style, backbone=hed_backbone, **options).astype(float)
    switched = gatys.stylize(content, style, backbone=hed_backbone, **options, **switches).astype(float)
    assert np.abs(switched - exact).mean() < 0.1 * np.abs(exact - content).mean() + 1.0
