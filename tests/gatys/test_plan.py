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
    recolored = plan.initial_image("recolored", content, style, 0)  # the photo in the painting's colours
    np.testing.assert_allclose(recolored.reshape(-1, 3).mean(0), style.reshape(-1, 3).mean(0), atol=8)
    assert np.corrcoef(recolored[..., 0].ravel(), content[..., 0].ravel())[0, 1] > 0.5


def test_color_modes_and_finish():
    content, style = synthetic_image(20, 30), synthetic_image(40, 40, seed=1)
    grey_content, grey_styles = plan.apply_color_mode(content, [style], "luminance")
    np.testing.assert_allclose(grey_content[..., 0], grey_content[..., 1])
    options = StylizeOptions(preserve_colors="luminance")
    finished = plan.finish(grey_content, content, (20, 30), options)
    np.testing.assert_allclose(finished, content, atol=1.0)  # grey luminance + content chroma = content


def test_a_run_larger_than_the_memory_available_is_refused_before_anything_loads(monkeypatch):
    from kstyle.gatys import memory
    from kstyle.gatys.options import StylizeOptions
    monkeypatch.setattr(memory, "available", lambda: int(1.5 * 2**30))
    with pytest.raises(UsageError, match=r"a 2048x1536 run needs about .* GiB and this machine has 1\.5 GiB "
                                         r"available; use --max_size=(\d+) or less") as refused:
        plan.make_plan(synthetic_image(60, 80), synthetic_image(40, 40), StylizeOptions(max_size=2048))
    fits = int(str(refused.value).split("--max_size=")[1].split(" ")[0])
    assert 256 <= fits < 2048
    plan.make_plan(synthetic_image(60, 80), synthetic_image(40, 40), StylizeOptions(max_size=fits))  # fits
    monkeypatch.setattr(memory, "available", lambda: None)  # a system that cannot tell: no refusal
    plan.make_plan(synthetic_image(60, 80), synthetic_image(40, 40), StylizeOptions(max_size=2048))


def test_the_memory_estimate_errs_high_of_the_measured_peaks():
    from kstyle.gatys import memory
    measured = {(384, 512): 1.1, (1536, 2048): 6.0}  # BENCHMARKS.md, "Print size", untiled, 20 pairs
    for (height, width), gib in measured.items():
        estimate = memory.estimate(height, width, history=20) / 2**30
        assert gib <= estimate <= 1.5 * gib, (height, width, estimate)
    assert memory.history_pairs(4096 * 3072) == 7 and memory.history_pairs(8192 * 6144) == 5
    assert memory.history_pairs(512 * 384) == 100 and memory.history_pairs(2048 * 1536) == 28  # 2 GiB of pairs


def test_the_memory_estimate_counts_the_halo_of_the_layers_read():
    from kstyle.gatys import memory
    shallow = memory.estimate(4096, 4096, layers=["block1_conv1", "block3_conv1"])  # halo 16
    deep = memory.estimate(4096, 4096, layers=["block1_conv1", "block5_conv1"])  # halo 80
    assert deep - shallow == memory.VGG_BYTES_PER_PIXEL * ((1024 + 2 * 80) ** 2 - (1024 + 2 * 16) ** 2)
