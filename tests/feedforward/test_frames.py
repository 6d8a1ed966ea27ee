"""`kstyle.feedforward.frames`: a generator that paints frames as they are asked for."""

import itertools

import numpy as np
import pytest
from conftest import synthetic_image

from kstyle.errors import UsageError
from kstyle.feedforward import frames as frames_module


def doubled(batch):
    return np.asarray(batch) * 2.0


def test_each_frame_is_painted_by_the_network_in_order():
    photos = [synthetic_image(20, 24, seed).astype(np.uint8) for seed in range(3)]
    painted = list(frames_module.stylize_frames(doubled, photos, temporal="none"))
    assert [frame.dtype for frame in painted] == [np.uint8] * 3
    for photo, frame in zip(photos, painted):
        np.testing.assert_array_equal(frame, np.clip(photo.astype(np.float32) * 2, 0, 255).astype(np.uint8))


def test_an_endless_stream_is_painted_lazily():
    pulled = []

    def camera():
        for index in itertools.count():
            pulled.append(index)
            yield np.full((16, 16, 3), index, np.uint8)

    first = list(itertools.islice(frames_module.stylize_frames(doubled, camera(), temporal="none"), 3))
    assert [int(frame[0, 0, 0]) for frame in first] == [0, 2, 4] and pulled == [0, 1, 2]


def test_max_size_shrinks_and_a_tiny_frame_is_a_usage_error():
    shrunk = next(frames_module.stylize_frames(doubled, [np.zeros((40, 80, 3), np.uint8)], max_size=40))
    assert shrunk.shape == (20, 40, 3)
    with pytest.raises(UsageError, match="needs at least"):
        next(frames_module.stylize_frames(doubled, [np.zeros((8, 8, 3), np.uint8)]))


def test_by_default_frames_are_steadied_along_the_flow_and_a_bad_mode_is_refused():
    still = [np.full((48, 64, 3), 120, np.uint8)] * 4

    def flickering(batch, rng=np.random.default_rng(0)):  # a network whose strokes change with every call
        return np.asarray(batch) + rng.normal(0, 20, np.shape(batch))

    steady = list(frames_module.stylize_frames(flickering, still))
    plain = list(frames_module.stylize_frames(flickering, still, temporal="none"))
    change = lambda frames: np.mean(np.abs(np.diff(np.asarray(frames, np.float32), axis=0)[1:]))  # noqa: E731
    assert change(steady) < 0.7 * change(plain)
    with pytest.raises(UsageError, match="temporal must be one of flow, none, got 'smooth'"):
        frames_module.stylize_frames(doubled, still, temporal="smooth")  # refused before a frame is asked for
