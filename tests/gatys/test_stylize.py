import io
import sys

import numpy as np
import pytest
from conftest import synthetic_image
from PIL import Image

from kstyle.errors import UsageError
from kstyle.gatys.options import StylizeOptions
from kstyle.gatys.stylize import stylize

FAST = dict(max_size=40, iterations=4, vgg_weights="none", style_layers="block1_conv1,block2_conv1",
            content_layers="block2_conv2")


def test_stylize_returns_uint8_at_max_size(random_backbone):
    out = stylize(synthetic_image(30, 60), synthetic_image(50, 50, seed=1), backbone=random_backbone, **FAST)
    assert out.dtype == np.uint8 and out.shape == (20, 40, 3)


def test_stylize_accepts_paths_and_samples(tmp_path, random_backbone):
    from PIL import Image
    path = tmp_path / "c.png"
    Image.fromarray(synthetic_image(40, 40).astype(np.uint8)).save(path)
    out = stylize(str(path), "sample:mosaic", backbone=random_backbone, **FAST)
    assert out.shape == (40, 40, 3)


@pytest.mark.parametrize("init", ["noise", "style"])
def test_seed_makes_runs_repeat(init, random_backbone):
    # One backbone for all runs (VGG16's seeded random weights are tested in test_vgg): the seed
    # must still make the noise, the optimization and so the pictures repeat.
    content, style = synthetic_image(32, 40), synthetic_image(40, 40, seed=1)
    first = stylize(content, style, seed=3, init=init, backbone=random_backbone, **FAST)
    again = stylize(content, style, seed=3, init=init, backbone=random_backbone, **FAST)
    np.testing.assert_array_equal(first, again)
    if init == "noise":
        other = stylize(content, style, seed=4, init=init, backbone=random_backbone, **FAST)
        assert np.abs(first.astype(int) - other).mean() > 1


def test_too_small_output_is_refused():
    with pytest.raises(UsageError, match="200x1 pixels; block2_conv2 needs at least 2"):
        stylize(synthetic_image(1, 200), synthetic_image(40, 40), **{**FAST, "max_size": 200})
    with pytest.raises(UsageError, match="block5_conv1 needs at least 16"):
        stylize(synthetic_image(10, 200), synthetic_image(40, 40),
                      **{**FAST, "max_size": 200, "style_layers": "block5_conv1"})


def test_unknown_option():
    with pytest.raises(UsageError, match="unknown option"):
        stylize(synthetic_image(), synthetic_image(), colour="blue")


@pytest.mark.parametrize("switches", [dict(precision="mixed_bfloat16"), dict(jit_compile=True)])
def test_gpu_switches_give_a_close_result_on_cpu(hed_backbone, switches):
    content, style = synthetic_image(32, 40), synthetic_image(40, 40, seed=1)
    options = {**FAST, "vgg_weights": "hed", "iterations": 5}
    # The baseline pinned to float32: `auto` is bfloat16 on an AMX CPU, which would compare it with itself.
    exact = stylize(content, style, backbone=hed_backbone, **{**options, "precision": "float32"}).astype(float)
    switched = stylize(content, style, backbone=hed_backbone, **options, **switches).astype(float)
    assert np.abs(switched - exact).mean() < 0.1 * np.abs(exact - content).mean() + 1.0


def chroma_error(image, content):
    from kstyle.gatys import colors
    return np.abs(colors.to_yiq(image)[..., 1:] - colors.to_yiq(content)[..., 1:]).mean()


@pytest.fixture(scope="module")
def painting():
    """A saturated, strongly coloured style: red and yellow stripes."""
    image = np.zeros((64, 64, 3), np.float32)
    image[:, ::8] = (230, 30, 20)
    image[:, 4::8] = (250, 220, 30)
    return image


def test_preserve_colors_keeps_the_contents_chroma(hed_backbone, painting):
    content = 40 + 0.7 * synthetic_image(48, 64, seed=2)  # in gamut with headroom: no clipping
    options = dict(FAST, vgg_weights="hed", iterations=15, max_size=64)
    plain = stylize(content, painting, backbone=hed_backbone, **options).astype(np.float32)
    luminance = stylize(content, painting, backbone=hed_backbone, preserve_colors="luminance", **options)
    histogram = stylize(content, painting, backbone=hed_backbone, preserve_colors="histogram", **options)
    assert np.abs(plain - content).mean() > 5  # the style did something
    assert chroma_error(luminance.astype(np.float32), content) < 1.0  # only rounding
    # Histogram matching moves the style's colour statistics onto the content's: the result's
    # overall colour follows the content, pixel by pixel only roughly.
    assert chroma_error(histogram.astype(np.float32), content) < 0.75 * chroma_error(plain, content)

    def mean_color_distance(image):
        return np.linalg.norm(image.reshape(-1, 3).mean(0) - content.reshape(-1, 3).mean(0))

    assert mean_color_distance(histogram.astype(np.float32)) < 0.3 * mean_color_distance(plain)


def test_two_styles_blend_and_masks_place_them(random_backbone, painting):
    content = synthetic_image(40, 40, seed=3)
    blue = painting[..., ::-1].copy()
    blended = stylize(content, [painting, blue], style_blend_weights=[3, 7], backbone=random_backbone, **FAST)
    assert blended.shape == (40, 40, 3)
    left = np.zeros((40, 40), np.float32)
    left[:, :20] = 1.0
    masked = stylize(content, [painting], style_masks=[left * 255], backbone=random_backbone,
                           **{**FAST, "iterations": 10, "content_weight": 0.0, "tv_weight": 0.0, "init": "content"})
    # With no content or TV loss, only the masked half has anything pulling it away from the start (the photo).
    change = np.abs(masked.astype(np.float32) - content).mean(axis=(0, 2))
    assert change[:16].mean() > 5 * change[24:].mean()


def test_mismatched_counts_are_refused(random_backbone):
    with pytest.raises(UsageError, match="style_blend_weights: 3 given for 2 style images"):
        stylize(synthetic_image(), [synthetic_image(), synthetic_image()], style_blend_weights=[1, 2, 3],
                      backbone=random_backbone, **FAST)


def test_multiscale_runs_each_scale_from_the_last(random_backbone):
    from kstyle.gatys import callbacks

    class Stages(callbacks.Callback):
        def __init__(self):
            self.stages, self.sizes = [], []

        def on_stage_begin(self, stage):
            self.stages.append(stage)

        def on_step_end(self, step, logs, image):
            self.sizes.append((step, image().shape[:2]))

    recorder = Stages()
    out = stylize(synthetic_image(60, 80), synthetic_image(64, 64, seed=1), scales="40,80",
                        backbone=random_backbone, callbacks=[recorder], **{**FAST, "max_size": 80})
    assert out.shape == (60, 80, 3)
    assert [(s.index, s.count, s.size, s.first_step) for s in recorder.stages] == [(0, 2, (30, 40), 1),
                                                                                   (1, 2, (60, 80), 5)]
    assert recorder.sizes[0] == (1, (30, 40)) and recorder.sizes[-1] == (8, (60, 80))


def test_interrupt_at_a_coarse_scale_still_gives_the_full_size(random_backbone):
    from kstyle.errors import Interrupted
    from kstyle.gatys import callbacks

    class Stop(callbacks.Callback):
        def on_step_end(self, step, logs, image):
            if step == 2:
                raise KeyboardInterrupt

    with pytest.raises(Interrupted) as raised:
        stylize(synthetic_image(60, 80), synthetic_image(64, 64), scales="40,80", callbacks=[Stop()],
                      backbone=random_backbone, preserve_colors="luminance", **{**FAST, "max_size": 80})
    assert raised.value.image.shape == (60, 80, 3)


def test_style_scale_changes_the_result(random_backbone):
    content, style = synthetic_image(40, 40, seed=2), synthetic_image(80, 80, seed=3)
    options = {**FAST, "iterations": 3, "init": "content"}
    normal = stylize(content, style, backbone=random_backbone, **options).astype(float)
    same = stylize(content, style, backbone=random_backbone, **options, style_scale=1.0).astype(float)
    finer = stylize(content, style, backbone=random_backbone, **options, style_scale=0.5).astype(float)
    np.testing.assert_array_equal(same, normal)
    assert np.abs(finer - normal).mean() > 0.5


def test_init_from_a_file_starts_there(random_backbone, tmp_path):
    content, style = synthetic_image(30, 40, seed=2), synthetic_image(40, 40, seed=3)
    start = np.zeros((15, 20, 3), np.uint8)
    start[:, :10] = 255  # half white, half black: nothing like the photo
    path = tmp_path / "start.png"
    Image.fromarray(start).save(path)
    options = {**FAST, "iterations": 1, "style_weight": 1e-6, "content_weight": 1e-6, "tv_weight": 1e-6}
    from_file = stylize(content, style, backbone=random_backbone, init=str(path), **options).astype(float)
    resized = np.asarray(Image.fromarray(start).resize((40, 30), Image.Resampling.LANCZOS), float)
    assert np.abs(from_file - resized).mean() < 5.0 < np.abs(from_file - content).mean()


def test_snapshots_are_the_picture_the_run_would_write(random_backbone, tmp_path):
    """--save_every at a coarse scale, in luminance mode: output size, the photo's colours, not grey."""
    from kstyle.gatys import callbacks
    content = synthetic_image(60, 80)
    snapshots = callbacks.SaveEvery(2, str(tmp_path / "out.png"))
    stylize(content, synthetic_image(64, 64, seed=1), scales="40,80", callbacks=[snapshots],
            backbone=random_backbone, preserve_colors="luminance", **{**FAST, "max_size": 80})
    first = np.asarray(Image.open(tmp_path / "out_0002.png"), np.float32)  # written at the 40 px scale
    assert first.shape == (60, 80, 3)
    assert np.abs(first[..., 0] - first[..., 2]).mean() > 5  # the photo's chroma, not the optimizer's grey


def test_interrupt_between_scales_keeps_the_finished_ones(random_backbone, monkeypatch):
    """Ctrl-C while the next scale's style targets are computed: the last scale's image, full size."""
    from kstyle.errors import Interrupted
    from kstyle.gatys import stylize as engine
    real, calls = engine._targets, []

    def interrupted_on_the_second_scale(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(engine, "_targets", interrupted_on_the_second_scale)
    with pytest.raises(Interrupted) as raised:
        stylize(synthetic_image(60, 80), synthetic_image(64, 64), scales="40,80", backbone=random_backbone,
                **{**FAST, "max_size": 80})
    assert raised.value.image.shape == (60, 80, 3) and raised.value.step == FAST["iterations"]


def test_keywords_beside_options_override_them(random_backbone):
    """`stylize(..., options=preset, max_size=64)` is what people write (issue 27)."""
    preset = StylizeOptions.from_kwargs(**{**FAST, "max_size": 200})
    out = stylize(synthetic_image(30, 60), synthetic_image(50, 50, seed=1), options=preset, max_size=36,
                  backbone=random_backbone)
    assert out.shape == (18, 36, 3)


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stdout, verbose, shown", [
    (io.StringIO, None, False), (Terminal, None, True), (io.StringIO, True, True), (Terminal, False, False)])
def test_progress_shows_by_default_where_someone_watches(monkeypatch, random_backbone, stdout, verbose, shown):
    stream = stdout()
    monkeypatch.setattr(sys, "stdout", stream)
    stylize(synthetic_image(30, 60), synthetic_image(50, 50, seed=1), backbone=random_backbone, verbose=verbose,
            **FAST)
    assert ("step 4/4" in stream.getvalue()) is shown


def test_per_scale_iterations_and_the_cost_in_full_size_evaluations(random_backbone):
    from kstyle.gatys import plan as planning
    from kstyle.gatys.stylize import run
    options = StylizeOptions.from_kwargs(**{**FAST, "max_size": 80, "scales": "40,80", "iterations": "6,2"})
    result = run(planning.make_plan(synthetic_image(60, 80), synthetic_image(64, 64, seed=1), options),
                 backbone=random_backbone)
    assert result.steps == 8 and result.sizes == ((30, 40), (60, 80)) and len(result.evaluations) == 2
    coarse, fine = result.evaluations
    assert result.full_size_evaluations() == pytest.approx(coarse / 4 + fine)


def test_min_change_stops_a_real_run_once_its_image_has_settled_and_not_before(random_backbone):
    """A tiny real run: where the image's change per iteration first averages below the threshold over
    10 iterations, a run with that threshold stops; until then it goes on."""
    from kstyle.gatys import callbacks, lbfgs
    from kstyle.gatys import plan as planning
    from kstyle.gatys.stylize import run

    class Changes(callbacks.Callback):
        def __init__(self):
            self.changes = []

        def on_step_end(self, step, logs, image):
            self.changes.append(logs["change"])

    content, style = synthetic_image(32, 40), synthetic_image(40, 40, seed=1)

    def stylized(min_change, watch):
        options = StylizeOptions.from_kwargs(**{**FAST, "iterations": 60, "min_change": min_change})
        return run(planning.make_plan(content, style, options), backbone=random_backbone, callbacks=[watch])

    free = Changes()
    assert stylized(0.0, free).reasons == (lbfgs.ITERATIONS_DONE,)
    means = np.convolve(free.changes, np.ones(lbfgs.WINDOW) / lbfgs.WINDOW, mode="valid")  # [i]: steps i+1..i+10
    assert means[0] > 2 * means[-1]  # the image changes less and less
    threshold = float(np.sqrt(means[0] * means[-1]))  # between the early change and the late one
    settles_at = lbfgs.WINDOW + int(np.argmax(means < threshold))  # the first step whose window is below it
    watched = Changes()
    result = stylized(threshold, watched)
    assert result.reasons == (lbfgs.SETTLED,) and result.steps == settles_at < 60
    np.testing.assert_allclose(watched.changes, free.changes[:settles_at], rtol=1e-4)  # the same run, until then
