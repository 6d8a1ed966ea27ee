import numpy as np
import pytest

from kstyle import images, periodicity


@pytest.fixture(scope="module")
def photo():
    return images.resize_longest(images.read_image("sample:chelsea"), 256)


def test_a_hatching_stands_out_and_is_located(photo):
    height, width = photo.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    hatched = np.clip(photo + 12 * np.sin(2 * np.pi * ys / 4.0)[..., None], 0, 255)  # horizontal stripes, 4 px
    peak = periodicity.strongest_peak(hatched)
    assert peak.score > 100 * periodicity.score(photo)
    assert peak.period == pytest.approx(4.0, rel=0.02) and peak.angle == pytest.approx(90.0, abs=1.0)


def test_below_the_minimum_frequency_is_content():
    ys, xs = np.mgrid[0:128, 0:128]
    coarse = 128 + 100 * np.sin(2 * np.pi * xs / 16.0)  # a period of 16 px: stripes of the scene, not a hatching
    noise = np.random.default_rng(0).normal(0, 5, coarse.shape)
    assert periodicity.score(coarse + noise) < 40
    assert periodicity.strongest_peak(coarse + noise, min_frequency=1 / 32).period == pytest.approx(16, rel=0.05)


def test_matches_a_direct_computation():
    image = np.random.default_rng(1).uniform(0, 255, (24, 20))
    grey = (image - image.mean()) * np.outer(np.hanning(24), np.hanning(20))
    power = np.abs(np.fft.fft2(grey)) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(24), np.fft.fftfreq(20), indexing="ij")
    radius = np.hypot(fx, fy)
    rings = np.rint(radius * 24).astype(int)
    medians = {ring: np.median(power[:, :11][rings[:, :11] == ring]) for ring in np.unique(rings[:, :11])}
    ratio = np.array([[power[i, j] / medians[rings[i, j]] if radius[i, j] > 1 / 8 else 0 for j in range(11)]
                      for i in range(24)])
    assert periodicity.score(image) == pytest.approx(ratio.max(), rel=1e-9)
