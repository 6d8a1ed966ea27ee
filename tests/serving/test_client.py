"""export/client.py against a stand-in TF Serving on 127.0.0.1, over REST and gRPC."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_image
from PIL import Image
from serving_standin import StandIn

from kstyle.feedforward.network import StyleNetwork
from kstyle.serving import savedmodel

CLIENT = os.path.join(os.path.dirname(__file__), "..", "..", "export", "client.py")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    keras.utils.set_random_seed(0)
    network = StyleNetwork(width=4, residual_blocks=1)
    network(np.zeros((1, 32, 32, 3), np.float32))
    version = savedmodel.export(network, str(tmp_path_factory.mktemp("models") / "starry"))
    with StandIn("starry", version) as standin:
        yield standin, network


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.fromarray(synthetic_image(45, 61).astype(np.uint8)).save(path, quality=95)
    return path


def client(*args):
    return subprocess.run([sys.executable, CLIENT, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_client_round_trip(server, photo, tmp_path, protocol):
    standin, network = server
    port = standin.rest_port if protocol == "rest" else standin.grpc_port
    output = tmp_path / "out.png"
    done = client(f"--protocol={protocol}", f"--server=127.0.0.1:{port}", "--model=starry", f"--input={photo}",
                  f"--output={output}")
    assert done.returncode == 0, done.stderr
    result = np.asarray(Image.open(output))
    sent = tf.io.decode_jpeg(photo.read_bytes()).numpy().astype(np.float32)  # the server's JPEG decoder
    expected = np.clip(np.rint(network(sent[None]).numpy()[0]), 0, 255)
    assert result.shape == (45, 61, 3)
    assert np.abs(result.astype(int) - expected).max() <= 1


@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_client_errors_are_one_line(server, tmp_path, protocol):
    standin, _ = server
    port = standin.rest_port if protocol == "rest" else standin.grpc_port
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"not an image at all")
    done = client(f"--protocol={protocol}", f"--server=127.0.0.1:{port}", "--model=starry", f"--input={garbage}",
                  f"--output={tmp_path / 'out.png'}")
    assert done.returncode == 1 and "JPEG or PNG" in done.stderr and done.stderr.count("\n") == 1
    assert not (tmp_path / "out.png").exists()
    done = client(f"--protocol={protocol}", f"--server=127.0.0.1:{port}", "--model=nosuch",
                  f"--input={garbage}", f"--output={tmp_path / 'out.png'}")
    assert done.returncode == 1 and "nosuch" in done.stderr


def test_unreachable_server(photo, tmp_path):
    done = client("--server=127.0.0.1:9", "--model=starry", f"--input={photo}", f"--output={tmp_path / 'o.png'}")
    assert done.returncode == 1 and done.stderr.startswith("client: cannot reach")
