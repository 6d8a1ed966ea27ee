import numpy as np
import tensorflow as tf
from conftest import synthetic_image

from kstyle import periodicity
from kstyle.perceptual.peaks import FLOOR, log_ratios, new_peaks


def _photo(height, width, seed=0):
    """A smooth picture with edges and noise: what a photo's spectrum looks like, with no grating."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    rng = np.random.default_rng(seed)
    image = 120 + 60 * np.tanh((xs - width / 3) / 4) + 40 * np.sin(ys / 17) + rng.normal(0, 6, (height, width))
    return np.repeat(np.clip(image, 0, 255)[..., None], 3, axis=-1).astype(np.float32)


def _grating(height, width, period=4.0, angle=30.0, amplitude=25.0):
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    phase = 2 * np.pi * (xs * np.cos(np.radians(angle)) + ys * np.sin(np.radians(angle))) / period
    return (amplitude * np.sin(phase))[..., None].astype(np.float32)


def _reference_log_ratios(image, min_frequency):
    """NumPy: Hann-windowed power of the grey image (floored at a millionth of its mean), log, minus its
    ring's mean log, 0 at low frequencies."""
    grey = np.asarray(image, np.float64) @ np.array([0.299, 0.587, 0.114])
    height, width = grey.shape
    window = np.hanning(height)[:, None] * np.hanning(width)[None, :]
    power = np.abs(np.fft.rfft2((grey - grey.mean()) * window)) ** 2
    log_power = np.log(power + 1e-6 * power.mean() + 1e-12)
    radius = np.hypot(np.fft.fftfreq(height)[:, None], np.fft.rfftfreq(width)[None, :])
    rings = np.rint(radius * max(height, width)).astype(int)
    levels = np.array([log_power[rings == ring].mean() if np.any(rings == ring) else 0.0
                       for ring in range(rings.max() + 1)])
    return np.where(radius > min_frequency, log_power - levels[rings], 0.0)


def test_log_ratios_match_a_numpy_reference_on_odd_and_even_sizes():
    for height, width in ((40, 64), (33, 27)):
        images = np.stack([synthetic_image(height, width, seed) for seed in (1, 2)])
        ratios = log_ratios(images, min_frequency=0.1).numpy()
        assert ratios.shape == (2, height, width // 2 + 1)
        for image, got in zip(images, ratios):
            np.testing.assert_allclose(got, _reference_log_ratios(image, 0.1), atol=2e-3)


def test_the_largest_ratio_is_near_the_periodicity_score():
    """Same peak, other baseline (geometric mean, not median): the two measures agree to a small factor."""
    image = np.clip(_photo(128, 128) + _grating(128, 128), 0, 255)
    largest = float(np.exp(tf.reduce_max(log_ratios(image[None]))))
    assert 0.5 < largest / periodicity.score(image) < 2.0
    assert periodicity.score(image) > 10 * FLOOR


def test_a_grating_the_network_adds_is_charged_and_one_the_photo_has_is_not():
    photo = _photo(96, 96)
    striped = np.clip(photo + _grating(96, 96), 0, 255)
    noisy = np.clip(photo + np.random.default_rng(3).normal(0, 8, photo.shape), 0, 255).astype(np.float32)
    charges = new_peaks(np.stack([photo, noisy, striped]), np.stack([photo, photo, photo])).numpy()
    assert charges[0] == 0 and charges[1] == 0
    assert charges[2] > 10
    # The photo itself striped: a painting that keeps its stripes owes nothing for them.
    kept = np.clip(striped + np.random.default_rng(4).normal(0, 2, photo.shape), 0, 255).astype(np.float32)
    assert new_peaks(kept[None], striped[None]).numpy()[0] < 0.05 * charges[2]


def test_gradient_descent_on_the_charge_removes_a_grating():
    photo = _photo(96, 96)
    image = tf.Variable(np.clip(photo + _grating(96, 96), 0, 255)[None])
    before = periodicity.score(image.numpy()[0])
    optimizer = tf.keras.optimizers.Adam(2.0)
    charges = []
    for _ in range(40):
        with tf.GradientTape() as tape:
            charge = tf.reduce_sum(new_peaks(image, photo[None]))
        optimizer.apply_gradients([(tape.gradient(charge, image), image)])
        charges.append(float(charge))
    assert charges[-1] < 0.1 * charges[0]
    assert periodicity.score(image.numpy()[0]) < 0.1 * before
    # It is the grating that went, not the photo: in the middle (the Hann window leaves the borders
    # alone, which random crops reach in training), the picture is the photo again.
    grating = np.broadcast_to(_grating(96, 96), photo.shape)[24:72, 24:72]
    left = (image.numpy()[0] - photo)[24:72, 24:72]
    assert np.sum(left * grating) / np.sum(grating * grating) < 0.1
    assert np.sqrt(np.mean(left ** 2)) < 0.3 * np.sqrt(np.mean(grating ** 2))
