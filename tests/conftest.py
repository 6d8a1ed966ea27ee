"""Shared fixtures: small synthetic images and VGG16 backbones built once per session."""

import os
import signal

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

SHARED_IMAGES = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "images")


def interruptible():
    """`preexec_fn` for a child the test sends SIGINT: a shell running the suite in the background
    (`make test &`) leaves SIGINT ignored, and an ignored SIGINT would be inherited; Ctrl-C must reach it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def synthetic_image(height=48, width=64, seed=0):
    """A float 0-255 RGB image with edges, gradients and texture, so features are not trivial."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack([255 * xs / width, 255 * ys / height, 128 + 60 * np.sin(xs / 3 + ys / 5)], axis=-1)
    image[height // 4: height // 2, width // 4: width // 2] = rng.uniform(0, 255, 3)
    return np.clip(image + rng.normal(0, 10, image.shape), 0, 255).astype(np.float32)


def styled_network(styles=("wave", "udnie", "the_scream"), seed=0):
    """A small StyleNetwork of named styles whose scales and shifts are drawn at random: a freshly built
    network gives every style the same normalization, so blends and choices could not be told apart."""
    import keras

    from kstyle.feedforward.network import StyleNetwork
    keras.utils.set_random_seed(seed)
    network = StyleNetwork(width=4, residual_blocks=1, styles=tuple(styles))
    network(np.zeros((1, 32, 32, 3), np.float32))
    rng = np.random.default_rng(seed)
    for variable in network.weights:
        if variable.path.endswith(("gamma", "beta")):
            variable.assign(rng.uniform(0.2, 2.0, variable.shape).astype(np.float32))
    return network


def shared_image(kind, name):
    path = os.path.join(SHARED_IMAGES, kind, name)
    if not os.path.exists(path):
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(scope="session")
def random_backbone():
    """VGG16 with seeded random weights: fast, and enough to test mechanics."""
    import keras

    from kstyle.perceptual import vgg
    keras.utils.set_random_seed(1)
    return vgg.load_vgg16("none")


@pytest.fixture(scope="session")
def hed_backbone():
    """The offline pretrained backbone, for tests of quality."""
    from kstyle.perceptual import vgg
    return vgg.load_vgg16("hed")
