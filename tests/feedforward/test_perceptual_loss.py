import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_image

from kstyle.errors import UsageError
from kstyle.feedforward.network import StyleNetwork
from kstyle.feedforward.options import TrainOptions
from kstyle.feedforward.perceptual_loss import PerceptualLoss
from kstyle.perceptual import weights
from kstyle.perceptual.palette import palette, palette_distance
from kstyle.perceptual.peaks import new_peaks

LAYERS = dict(style_layers="block1_conv2,block2_conv2", content_layers="block2_conv2", vgg_weights="none")


@pytest.fixture(scope="module")
def loss(random_backbone):
    return PerceptualLoss.from_style_image(synthetic_image(48, 48, seed=9), style_size=48, backbone=random_backbone,
                                           style_weight=1e-2, **LAYERS)


def test_loss_is_the_objective_averaged_over_the_batch(loss):
    photos = np.stack([synthetic_image(32, 32, seed) for seed in (1, 2)])
    stylized = np.stack([synthetic_image(32, 32, seed) for seed in (3, 4)])
    total, terms = loss.terms(photos, stylized)
    assert total.shape == (2,)
    np.testing.assert_allclose(loss(photos, stylized).numpy(), total.numpy().mean(), rtol=1e-5)
    expected, _ = loss.objective(tf.constant(stylized), loss.objective.content_features(photos))
    np.testing.assert_allclose(loss(photos, stylized).numpy(), expected.numpy(), rtol=1e-5)


def test_identity_has_no_content_loss(loss):
    photos = synthetic_image(32, 32)[None]
    _, terms = loss.terms(photos, photos)
    assert float(terms["content"][0]) == 0.0


def test_config_round_trip_gives_the_same_loss(loss, random_backbone):
    config = loss.get_config()
    assert set(config["style_grams"]) == {"block1_conv2", "block2_conv2"}
    restored = PerceptualLoss.from_config({**config, "backbone": random_backbone})
    photos, stylized = synthetic_image(32, 32, 1)[None], synthetic_image(32, 32, 2)[None]
    np.testing.assert_allclose(restored(photos, stylized).numpy(), loss(photos, stylized).numpy(), rtol=1e-5)


def test_a_config_saved_before_the_options_existed_loads(loss, random_backbone):
    old = {"name": "perceptual_loss", "reduction": "sum_over_batch_size",
           "style_grams": loss.get_config()["style_grams"], "style_layers": "block1_conv2:0.5,block2_conv2:0.5",
           "content_layers": "block2_conv2:1", "style_weight": 1e-2, "content_weight": 1.0, "tv_weight": 1e-3,
           "normalization": "hw", "vgg_weights": "none", "pooling": "max", "precision": "auto"}
    restored = PerceptualLoss.from_config({**old, "backbone": random_backbone})
    assert restored.options == loss.options
    photos, stylized = synthetic_image(32, 32, 1)[None], synthetic_image(32, 32, 2)[None]
    np.testing.assert_allclose(restored(photos, stylized).numpy(), loss(photos, stylized).numpy(), rtol=1e-5)


def test_a_model_compiled_with_it_fits(loss):
    keras.utils.set_random_seed(0)
    network = StyleNetwork(width=4, residual_blocks=1)
    network.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss)
    photos = np.stack([synthetic_image(32, 32, seed) for seed in range(4)])
    history = network.fit(photos, photos, batch_size=2, epochs=6, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_defaults_are_kstyle_trains(random_backbone):
    # The Keras API trains what `kstyle train` trains unless told otherwise.
    grams = {layer: np.eye(64) for layer in ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3")}
    assert PerceptualLoss(grams, backbone=random_backbone).options == TrainOptions().perceptual


def test_several_styles_judge_each_image_against_its_own(random_backbone):
    paintings = [synthetic_image(48, 48, seed=seed) for seed in (9, 11)]
    both = PerceptualLoss.from_style_images(paintings, style_size=48, backbone=random_backbone, style_weight=1e-2,
                                            **LAYERS)
    alone = [PerceptualLoss.from_style_image(p, style_size=48, backbone=random_backbone, style_weight=1e-2, **LAYERS)
             for p in paintings]
    photos = np.stack([synthetic_image(32, 32, seed) for seed in (1, 2, 3)])
    stylized = np.stack([synthetic_image(32, 32, seed) for seed in (4, 5, 6)])
    index = np.array([1, 0, 1], np.int32)
    total, terms = both.terms(photos, stylized, index)
    for image, style in enumerate(index):
        expected, expected_terms = alone[style].terms(photos[image:image + 1], stylized[image:image + 1])
        np.testing.assert_allclose(total[image], expected[0], rtol=1e-5)
        np.testing.assert_allclose(terms["style"][image], expected_terms["style"][0], rtol=1e-5)
    assert both.num_styles == 2 and abs(float(total[0] - both.terms(photos, stylized, [0, 0, 0])[0][0])) > 0
    # Without an index, the first style; and the config keeps every style.
    np.testing.assert_allclose(both.terms(photos, stylized)[0], alone[0].terms(photos, stylized)[0], rtol=1e-5)
    restored = PerceptualLoss.from_config({**both.get_config(), "backbone": random_backbone})
    np.testing.assert_allclose(restored.terms(photos, stylized, index)[0], total, rtol=1e-5)


def test_a_config_saved_before_tv_normalization_keeps_the_sum(loss, random_backbone):
    config = loss.get_config()
    del config["options"]["tv_normalization"]
    restored = PerceptualLoss.from_config({**config, "backbone": random_backbone})
    assert restored.options.tv_normalization == "sum" and restored.options == loss.options


def test_coarser_style_scales_judge_the_shrunk_output_against_the_shrunk_painting(random_backbone, tmp_path):
    painting = synthetic_image(64, 64, seed=9)
    both = PerceptualLoss.from_style_image(painting, style_size=64, backbone=random_backbone, style_scales=(1, 0.5),
                                           **LAYERS)
    full = PerceptualLoss.from_style_image(painting, style_size=64, backbone=random_backbone, **LAYERS)
    half = PerceptualLoss.from_style_image(painting, style_size=32, backbone=random_backbone, **LAYERS)
    assert both.style_scales == (1.0, 0.5)
    photos = np.stack([synthetic_image(48, 48, seed) for seed in (1, 2)])
    stylized = np.stack([synthetic_image(48, 48, seed) for seed in (3, 4)])
    shrunk = tf.image.resize(stylized, (24, 24), antialias=True)
    _, terms = both.terms(photos, stylized)
    _, full_terms = full.terms(photos, stylized)
    _, half_terms = half.terms(tf.image.resize(photos, (24, 24), antialias=True), shrunk)
    np.testing.assert_allclose(terms["style"].numpy(), (full_terms["style"] + half_terms["style"]).numpy(), rtol=1e-4)
    np.testing.assert_allclose(terms["content"].numpy(), full_terms["content"].numpy(), rtol=1e-5)
    restored = PerceptualLoss.from_config(both.get_config())
    assert restored.style_scales == (1.0, 0.5)
    np.testing.assert_allclose(restored(photos, stylized).numpy(), both(photos, stylized).numpy(), rtol=1e-5)


def test_scale_weights_weigh_each_scales_style_loss(random_backbone):
    painting = synthetic_image(64, 64, seed=9)
    photos = np.stack([synthetic_image(48, 48, seed) for seed in (1, 2)])
    stylized = np.stack([synthetic_image(48, 48, seed) for seed in (3, 4)])

    def style_term(weights):
        loss = PerceptualLoss.from_style_image(painting, style_size=64, backbone=random_backbone,
                                               style_scales=(1, 0.5), scale_weights=weights, **LAYERS)
        return loss, loss.terms(photos, stylized)[1]

    _, full_only = style_term({1: 1.0, 0.5: 0.0})
    _, half_only = style_term({1: 0.0, 0.5: 1.0})
    weighted, terms = style_term({1: 0.2})
    assert weighted.scale_weights == {1.0: 0.2, 0.5: 1.0}
    assert float(tf.reduce_min(full_only["style"])) > 0 and float(tf.reduce_min(half_only["style"])) > 0
    np.testing.assert_allclose(terms["style"].numpy(), (0.2 * full_only["style"] + half_only["style"]).numpy(),
                               rtol=1e-4)
    restored = PerceptualLoss.from_config(weighted.get_config())
    assert restored.scale_weights == {1.0: 0.2, 0.5: 1.0}
    np.testing.assert_allclose(restored(photos, stylized).numpy(), weighted(photos, stylized).numpy(), rtol=1e-5)
    with pytest.raises(UsageError, match="scale_weights names 0.25, not among the style scales 1, 0.5"):
        style_term({0.25: 1.0})


def test_from_style_image_says_once_when_it_falls_back_to_hed(monkeypatch, tmp_path, caplog):
    """The Python path that chooses VGG16 weights says what `kstyle stylize` says (issue 27)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # nothing cached
    monkeypatch.setattr(weights, "_imagenet_reachable", lambda: False)
    PerceptualLoss.from_style_image(synthetic_image(48, 48, seed=9), style_size=48, vgg_weights="auto",
                                    style_layers="block1_conv1", content_layers="block1_conv2")
    notices = [record.getMessage() for record in caplog.records if record.name.startswith("kstyle")]
    assert len(notices) == 1 and notices[0].startswith("ImageNet VGG16 weights unavailable")


def test_colour_weight_adds_each_images_palette_distance_to_its_own_painting(random_backbone):
    paintings = [synthetic_image(48, 48, seed=seed) for seed in (9, 11)]
    plain = PerceptualLoss.from_style_images(paintings, style_size=48, backbone=random_backbone, **LAYERS)
    coloured = PerceptualLoss.from_style_images(paintings, style_size=48, backbone=random_backbone, colour_weight=50.0,
                                                **LAYERS)
    assert plain.term_names == ("style", "content", "tv")
    assert coloured.term_names == ("style", "content", "tv", "colour")
    photos = np.stack([synthetic_image(32, 32, seed) for seed in (1, 2)])
    stylized = np.stack([synthetic_image(32, 32, seed) for seed in (3, 4)])
    index = np.array([1, 0], np.int32)
    total, terms = coloured.terms(photos, stylized, index)
    plain_total, _ = plain.terms(photos, stylized, index)
    expected = [50.0 * float(palette_distance(stylized[i:i + 1], palette(paintings[style])[None])[0])
                for i, style in enumerate(index)]
    np.testing.assert_allclose(terms["colour"].numpy(), expected, rtol=1e-4)
    np.testing.assert_allclose(total.numpy(), (plain_total + terms["colour"]).numpy(), rtol=1e-5)
    restored = PerceptualLoss.from_config({**coloured.get_config(), "backbone": random_backbone})
    assert restored.colour_weight == 50.0
    np.testing.assert_allclose(restored.terms(photos, stylized, index)[0].numpy(), total.numpy(), rtol=1e-5)
    with pytest.raises(UsageError, match="colour_weight needs the paintings' palettes"):
        PerceptualLoss(coloured.style_grams, backbone=random_backbone, colour_weight=1.0, **LAYERS)


def test_periodic_weight_adds_the_peaks_each_output_has_and_its_photo_has_not(random_backbone):
    painting = synthetic_image(48, 48, seed=9)
    plain = PerceptualLoss.from_style_image(painting, style_size=48, backbone=random_backbone, **LAYERS)
    charged = PerceptualLoss.from_style_image(painting, style_size=48, backbone=random_backbone, periodic_weight=3.0,
                                              **LAYERS)
    assert charged.term_names == ("style", "content", "tv", "periodic")
    photos = np.stack([synthetic_image(40, 40, seed) for seed in (1, 2)])
    ys, xs = np.mgrid[0:40, 0:40]
    stylized = np.clip(photos + 30 * np.sin(2 * np.pi * (xs + ys) / 4)[None, :, :, None], 0, 255).astype(np.float32)
    total, terms = charged.terms(photos, stylized)
    expected = 3.0 * new_peaks(stylized, photos).numpy()
    assert np.all(expected > 0)
    np.testing.assert_allclose(terms["periodic"].numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(total.numpy(), (plain.terms(photos, stylized)[0] + terms["periodic"]).numpy(), rtol=1e-5)
    restored = PerceptualLoss.from_config({**charged.get_config(), "backbone": random_backbone})
    assert restored.periodic_weight == 3.0
    with pytest.raises(UsageError, match="periodic_weight must be finite and 0 or more"):
        PerceptualLoss(charged.style_grams, backbone=random_backbone, periodic_weight=-1.0, **LAYERS)
