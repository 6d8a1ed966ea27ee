"""`kstyle.feedforward.temporal`: painted frames averaged along the optical flow, detail given back."""

import cv2
import numpy as np
import pytest

from kstyle.errors import UsageError
from kstyle.feedforward import temporal
from kstyle.feedforward.temporal import Steadier, restore_detail


def _scene(height=96, width=128, seed=0):
    """A photo-like frame: smooth shapes and edges, enough texture for the flow to hold on to."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    grey = 110 + 50 * np.sin(xs / 9) * np.cos(ys / 13) + 40 * (xs > width / 2) + rng.normal(0, 3, (height, width))
    return np.clip(np.stack([grey, grey * 0.9, 255 - grey], -1), 0, 255).astype(np.uint8)


def _strokes(frame, rng, amplitude=25.0):
    """A painting of `frame` whose fine strokes are drawn anew each time: what flickers in a video."""
    texture = cv2.GaussianBlur(rng.normal(0, 1, frame.shape).astype(np.float32), (0, 0), 0.8)
    return np.clip(frame.astype(np.float32) + amplitude * texture / texture.std(), 0, 255).astype(np.float32)


def _laplacian_variance(image):
    return cv2.Laplacian(cv2.cvtColor(np.asarray(image, np.uint8), cv2.COLOR_RGB2GRAY), cv2.CV_64F).var()


def test_a_still_shot_stops_flickering_and_stays_as_crisp():
    rng = np.random.default_rng(1)
    frame = _scene()
    paintings = [_strokes(frame, rng) for _ in range(12)]
    steady = Steadier()
    steadied = [steady(frame, painting) for painting in paintings]
    flicker = lambda frames: np.mean(np.square(np.diff(np.asarray(frames, np.float32), axis=0)))  # noqa: E731
    assert flicker(steadied[4:]) < 0.5 * flicker(paintings[4:])
    sharpness = np.mean([_laplacian_variance(image) for image in steadied[4:]])
    # The levels' energies are restored, not the Laplacian's: on this noise-like texture it comes out 10-15 % above.
    assert 0.9 < sharpness / np.mean([_laplacian_variance(image) for image in paintings[4:]]) < 1.25


@pytest.mark.parametrize("height, width", [(96, 128), (95, 127)])  # odd sides: halved, then carried back exactly
def test_what_moves_is_followed_not_smeared(height, width):
    """A pan of 3 px a frame, painted by a network whose picture follows the scene: nothing to average away."""
    scene = _scene(height, 200)
    frames = [np.ascontiguousarray(scene[:, 3 * index: 3 * index + width]) for index in range(8)]
    paint = lambda frame: 255 - frame.astype(np.float32)  # noqa: E731
    steady = Steadier()
    for frame in frames:
        steadied = steady(frame, paint(frame))
    inner = (slice(8, -8), slice(8, -8))
    # Carried half a pixel off (the halved map scaled without its centres), this comes out near 2.
    assert np.mean(np.abs(steadied[inner] - paint(frames[-1])[inner])) < 1


def test_a_cut_starts_afresh_without_a_ghost():
    rng = np.random.default_rng(2)
    steady = Steadier()
    for _ in range(4):
        steady(_scene(seed=3), _strokes(_scene(seed=3), rng))
    other = np.ascontiguousarray(_scene(seed=4)[::-1, ::-1])
    painting = _strokes(other, rng)
    assert np.mean(np.abs(steady(other, painting) - painting)) < 2


def test_it_keeps_a_few_frames_whatever_the_clip_length_and_a_new_size_starts_afresh():
    steady = Steadier(history=2)
    for seed in range(6):
        steady(_scene(seed=seed), _scene(seed=seed))
    assert len(steady._kept) == 2
    small = _scene(48, 64)
    np.testing.assert_array_equal(steady(small, small.astype(np.float32)), small)
    assert len(steady._kept) == 1


def test_frames_too_small_for_a_flow_are_given_back_as_painted():
    steady = Steadier()
    for size in ((8, 8), (16, 40), (8, 8)):
        frame = np.random.default_rng(7).integers(0, 256, (*size, 3)).astype(np.uint8)
        for _ in range(2):
            np.testing.assert_array_equal(steady(frame, frame.astype(np.float32)), frame)


def test_history_0_gives_each_painting_back():
    painting = _strokes(_scene(), np.random.default_rng(5))
    steady = Steadier(history=0)
    for _ in range(3):
        np.testing.assert_array_equal(steady(_scene(), painting), np.rint(painting).astype(np.uint8))


def _levels(image, levels=temporal.LEVELS):
    """The Laplacian pyramid's detail levels of `image`, and what is coarser than them."""
    detail = []
    for _ in range(levels):
        smaller = cv2.pyrDown(image)
        detail.append(image - cv2.pyrUp(smaller, dstsize=image.shape[1::-1]))
        image = smaller
    return detail, image


def test_restore_detail_gives_each_level_its_energy_back():
    rng = np.random.default_rng(6)
    painting = _strokes(_scene(), rng)
    average = np.mean([_strokes(_scene(), rng) for _ in range(4)], axis=0).astype(np.float32)
    restored = restore_detail(average, painting)
    (average_detail, average_rest), painting_detail = _levels(average), _levels(painting)[0]
    restored_detail = _levels(restored)[0]
    assert average_detail[0].std() < 0.7 * painting_detail[0].std()
    # The reference: what is coarser than every level stays the average's; the average's levels, each times the
    # painting's energy over its own, are summed back up on it.
    expected = average_rest
    for ours, theirs in reversed(list(zip(average_detail, painting_detail))):
        expected = cv2.pyrUp(expected, dstsize=ours.shape[1::-1]) + ours * (
            theirs.std(axis=(0, 1)) / ours.std(axis=(0, 1)))
    np.testing.assert_allclose(restored, expected, atol=0.05)
    # Split again, its levels' energies are the painting's to within a few % (a pyramid's levels are not
    # orthogonal: pyrDown undoes pyrUp only roughly).
    for ours, theirs in zip(restored_detail, painting_detail):
        np.testing.assert_allclose(ours.std(axis=(0, 1)), theirs.std(axis=(0, 1)), rtol=0.06)


def test_modes_are_checked():
    assert temporal.check_mode("flow") == "flow" and temporal.DEFAULT_MODE in temporal.MODES
    with pytest.raises(UsageError, match="temporal must be one of flow, none"):
        temporal.check_mode("blend")
