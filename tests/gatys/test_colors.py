import numpy as np
from conftest import synthetic_image

from kstyle.gatys import colors


def test_yiq_round_trip():
    image = synthetic_image()
    np.testing.assert_allclose(colors.from_yiq(colors.to_yiq(image)), image, atol=1e-3)


def test_luminance_of_grey_is_the_grey_value():
    np.testing.assert_allclose(colors.luminance(np.full((2, 2, 3), 100.0)), 100.0)


def test_restore_colors_takes_luminance_from_one_and_chroma_from_the_other():
    stylized, content = synthetic_image(seed=1), synthetic_image(seed=2)
    restored = colors.restore_colors(stylized, content)
    yiq, content_yiq = colors.to_yiq(restored), colors.to_yiq(content)
    inside = (restored > 1).all(-1) & (restored < 254).all(-1)  # clipping aside
    np.testing.assert_allclose(yiq[inside, 1:], content_yiq[inside, 1:], atol=1e-3)
    np.testing.assert_allclose(yiq[inside, 0], colors.luminance(stylized)[inside], atol=1e-3)


def test_matched_luminance_has_the_contents_mean_and_spread():
    style = synthetic_image(seed=3) * 0.3 + 20
    content = synthetic_image(seed=4)
    matched = colors.matched_luminance(style, content)
    np.testing.assert_allclose(matched[..., 0], matched[..., 2])
    assert abs(matched[..., 0].mean() - colors.luminance(content).mean()) < 1.0
    assert abs(matched[..., 0].std() - colors.luminance(content).std()) < 1.0


def test_match_colors_moves_mean_and_covariance_onto_the_content():
    rng = np.random.default_rng(5)
    style = np.clip(rng.normal([200, 60, 40], [20, 10, 5], (64, 64, 3)), 0, 255)
    content = np.clip(rng.normal([60, 110, 160], [15, 25, 10], (48, 80, 3)), 0, 255)
    matched = colors.match_colors(style, content).reshape(-1, 3)
    np.testing.assert_allclose(matched.mean(0), content.reshape(-1, 3).mean(0), atol=0.5)
    np.testing.assert_allclose(np.cov(matched, rowvar=False), np.cov(content.reshape(-1, 3), rowvar=False),
                               rtol=0.05, atol=2.0)


def test_match_colors_of_a_flat_style_stays_finite():
    matched = colors.match_colors(np.full((8, 8, 3), 90.0), synthetic_image())
    assert np.isfinite(matched).all()
