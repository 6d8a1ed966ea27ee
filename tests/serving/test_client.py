"""export/client.py against a stand-in TF Serving on 127.0.0.1, over REST and gRPC.

Answers the stand-in cannot give (HTML, a wrong-size PNG, silence) come from throwaway servers made here.
"""

import base64
import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_image, styled_network
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


@pytest.fixture(scope="module")
def styles_server(tmp_path_factory):
    network = styled_network(seed=7)
    version = savedmodel.export(network, str(tmp_path_factory.mktemp("models") / "styles"),
                                style_weights=[1.0, 0.0, 0.0])
    with StandIn("styles", version) as standin:
        yield standin, network


@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_client_blend_and_strength(styles_server, photo, tmp_path, protocol):
    standin, network = styles_server
    port = standin.rest_port if protocol == "rest" else standin.grpc_port
    common = [f"--protocol={protocol}", f"--server=127.0.0.1:{port}", "--model=styles", f"--input={photo}"]
    sent = np.asarray(Image.open(photo).convert("RGB"), np.float32)  # --blend sends the decoded pixels
    output = tmp_path / "blend.png"
    done = client(*common, "--blend=udnie:1,the_scream:3", "--strength=0.6", f"--output={output}")
    assert done.returncode == 0, done.stderr
    expected = network(sent[None], style_weights=[[0.0, 0.25, 0.75]], strength=[0.6]).numpy()[0]
    assert np.abs(np.asarray(Image.open(output), int) - np.clip(np.rint(expected), 0, 255)).max() <= 1
    if protocol == "grpc":  # the rest is the same over both: serving_default, then the mix and the names' check
        return
    # --strength alone: the served picture (serving_default's style, here wave) mixed with the photo.
    done = client(*common, "--strength=0.5", f"--output={output}")
    assert done.returncode == 0, done.stderr
    decoded = tf.io.decode_jpeg(photo.read_bytes()).numpy().astype(np.float32)  # what the server stylized
    full = np.clip(np.rint(network(decoded[None], style_weights=[[1.0, 0.0, 0.0]]).numpy()[0]), 0, 255)
    assert np.abs(np.asarray(Image.open(output), int) - (0.5 * sent + 0.5 * full)).max() <= 1.5
    done = client(*common, "--blend=starry_night", f"--output={output}")
    assert done.returncode == 1 and "paints wave, udnie, the_scream, not starry_night" in done.stderr
    assert done.stderr.count("\n") == 1


def test_client_blend_needs_a_model_of_styles(server, photo, tmp_path):
    standin, _ = server
    done = client(f"--server=127.0.0.1:{standin.rest_port}", "--model=starry", f"--input={photo}",
                  f"--output={tmp_path / 'o.png'}", "--blend=wave")
    assert done.returncode == 1 and "has no blend signature" in done.stderr and done.stderr.count("\n") == 1


def test_unreachable_server(photo, tmp_path):
    done = client("--server=127.0.0.1:9", "--model=starry", f"--input={photo}", f"--output={tmp_path / 'o.png'}")
    assert done.returncode == 1 and done.stderr.startswith("client: cannot reach")


# What the throwaway servers answer: the photo fixture's size, and images of it that are right or wrong.
WIDTH, HEIGHT = 61, 45


def encoded(image, format):
    buffer = io.BytesIO()
    Image.fromarray(image.astype(np.uint8)).save(buffer, format)
    return buffer.getvalue()


GOOD_PNG = encoded(synthetic_image(HEIGHT, WIDTH, seed=3), "PNG")
HTML = b"<html><body><h1>Service Unavailable</h1><p>upstream down</p></body></html>"


def predictions(image_bytes):
    return json.dumps({"predictions": [{"b64": base64.b64encode(image_bytes).decode()}]}).encode()


@contextlib.contextmanager
def canned_server(status=200, body=None, content_type="application/json"):
    """An HTTP server on 127.0.0.1 that answers every POST with `status` and `body` (default: GOOD_PNG as
    TF Serving sends it); yields its port and the paths it was asked for, to tell whether the client asked."""
    body = predictions(GOOD_PNG) if body is None else body
    paths = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            paths.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))  # read it all, or closing resets
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], paths
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def silent_server():
    """A port whose connections the kernel completes and nobody ever answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def out_dir(tmp_path):
    path = tmp_path / "out"
    path.mkdir()
    return path


def assert_fails(done, out_dir, *words, status=1, left=()):
    """The client's promise on failure: one `client: ` line naming the problem, no traceback, nothing written."""
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("client: "), done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert done.stdout == ""
    assert sorted(os.listdir(out_dir)) == sorted(left)


# Runs the client in a process after `setup`, so what the setup plants can know the client's pid.
LAUNCHER = """
import os, runpy, sys
client, setup, *args = sys.argv[1:]
exec(setup)
sys.argv = [client, *args]
runpy.run_path(client, run_name="__main__")
"""


def launched_client(setup, *args):
    return subprocess.run([sys.executable, "-c", LAUNCHER, CLIENT, setup, *args], capture_output=True, text=True,
                          timeout=120)


def test_a_good_answer_is_written_whole_with_the_usual_permissions(photo, out_dir):
    output = out_dir / "out.png"
    with canned_server() as (port, paths):
        done = client(f"--server=127.0.0.1:{port}", "--model=starry", "--version=3", f"--input={photo}",
                      f"--output={output}")
    assert done.returncode == 0, done.stderr
    assert paths == ["/v1/models/starry/versions/3:predict"]
    assert output.read_bytes() == GOOD_PNG and os.listdir(out_dir) == ["out.png"]
    umask = os.umask(0)
    os.umask(umask)
    assert output.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


@pytest.mark.parametrize("status, body, content_type, words", [
    (200, HTML, "text/html", ["not JSON", "text/html"]),
    (200, b'{"outputs": [1, 2]}', "application/json", ['no "predictions"']),
    (200, b'{"predictions": []}', "application/json", ['no "predictions"']),
    (200, b'{"predictions": [[1, 2, 3]]}', "application/json", ['no {"b64": ...} image']),
    (200, b'{"predictions": [{"b64": "@@ not base64 @@"}]}', "application/json", ["not base64"]),
    (200, predictions(encoded(synthetic_image(HEIGHT, WIDTH), "JPEG")), "application/json", ["not a PNG"]),
    (200, predictions(b"plain bytes"), "application/json", ["not a PNG"]),
    (200, predictions(encoded(synthetic_image(20, 30), "PNG")), "application/json", ["30x20", f"{WIDTH}x{HEIGHT}"]),
    (200, predictions(GOOD_PNG[:len(GOOD_PNG) // 2]), "application/json", ["damaged"]),
    (500, b'{"error": "Traceback of the server\\n  frames\\nkstyle: image too big"}', "application/json",
     ["answered 500", "kstyle: image too big"]),
    (503, HTML, "text/html", ["answered 503", "Service Unavailable"]),
    (502, b"", "text/plain", ["answered 502", "Bad Gateway"]),
], ids=["html-200", "no-predictions", "empty-predictions", "no-b64", "not-base64", "jpeg", "not-an-image",
        "wrong-size", "truncated-png", "error-json", "error-html", "error-empty"])
def test_bad_answers_are_one_line_and_write_nothing(photo, out_dir, status, body, content_type, words):
    with canned_server(status, body, content_type) as (port, paths):
        done = client(f"--server=127.0.0.1:{port}", "--model=starry", f"--input={photo}",
                      f"--output={out_dir / 'out.png'}")
    assert paths == ["/v1/models/starry:predict"]
    assert_fails(done, out_dir, f"127.0.0.1:{port}", *words)


@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_server_errors_are_one_line_and_write_nothing(server, photo, out_dir, protocol):
    standin, _ = server
    port = standin.rest_port if protocol == "rest" else standin.grpc_port
    done = client(f"--protocol={protocol}", f"--server=127.0.0.1:{port}", "--model=nosuch", f"--input={photo}",
                  f"--output={out_dir / 'out.png'}")
    assert_fails(done, out_dir, "404" if protocol == "rest" else "NOT_FOUND", "nosuch")


@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_a_refused_connection_is_one_line(photo, out_dir, protocol):
    port = closed_port()
    done = client(f"--protocol={protocol}", f"--server=127.0.0.1:{port}", "--model=starry", f"--input={photo}",
                  f"--output={out_dir / 'out.png'}")
    assert_fails(done, out_dir, f"cannot reach 127.0.0.1:{port}", "onnection refused")


@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_a_silent_server_times_out_after_timeout(photo, out_dir, protocol):
    with silent_server() as port:
        started = time.monotonic()
        done = client(f"--protocol={protocol}", f"--server=127.0.0.1:{port}", "--model=starry", f"--input={photo}",
                      f"--output={out_dir / 'out.png'}", "--timeout=1")
    assert time.monotonic() - started < 50  # the default is 60 s: --timeout was honoured
    assert_fails(done, out_dir, f"127.0.0.1:{port} did not answer within 1 s")


def test_files_are_checked_before_the_server_is_asked(photo, tmp_path, out_dir):
    (out_dir / "taken").mkdir()
    cases = [([f"--input={tmp_path / 'nope.jpg'}", f"--output={out_dir / 'out.png'}"], ["nope.jpg", "No such file"]),
             ([f"--input={tmp_path}", f"--output={out_dir / 'out.png'}"], ["Is a directory"]),
             ([f"--input={photo}", f"--output={out_dir / 'missing' / 'out.png'}"], ["missing does not exist"]),
             ([f"--input={photo}", f"--output={out_dir / 'taken'}"], ["taken: is a directory"])]
    with canned_server() as (port, paths):
        for args, words in cases:
            done = client(f"--server=127.0.0.1:{port}", "--model=starry", *args)
            assert_fails(done, out_dir, *words, left=["taken"])
    assert paths == []


@pytest.mark.parametrize("args, words", [
    (["--protocol=smoke"], ["--protocol=smoke", "rest|grpc"]),
    (["--timeout=0"], ["--timeout must be a positive number"]),
    (["--version=0"], ["--version must be a positive integer"]),
    (["--server=http://localhost:8501"], ["--server wants host:port"]),
    (["--model="], ["--model is required"]),
    (["stray"], ["unexpected arguments: stray"]),
    (["--strength=2"], ["--strength must be from 0"]),
    (["--blend=wave:x"], ["--blend: 'wave:x' is not NAME:WEIGHT"]),
    (["--blend=wave:0"], ["at least one positive weight"]),
], ids=["protocol", "timeout", "version", "server-url", "model", "positional", "strength", "blend", "blend-zero"])
def test_bad_flags_are_one_line_with_status_2(photo, out_dir, args, words):
    done = client("--model=starry", f"--input={photo}", f"--output={out_dir / 'out.png'}", *args)
    assert_fails(done, out_dir, *words, status=2)


def test_a_failed_write_leaves_no_temporary_file(photo, out_dir):
    with canned_server() as (port, _):
        done = launched_client("import resource; resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))",
                               f"--server=127.0.0.1:{port}", "--model=starry", f"--input={photo}",
                               f"--output={out_dir / 'out.png'}")
    assert_fails(done, out_dir, "cannot write", "File too large")


def test_planted_symlinks_are_neither_followed_nor_overwritten(photo, tmp_path, out_dir):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    output = out_dir / "out.png"
    os.symlink(victim, output)
    # Where a naive client would put its temporary file; the client's pid is known only inside its process.
    setup = (f"for name in ({str(output)!r} + f'.{{os.getpid()}}.partial', {str(output)!r} + '.partial', "
             f"{str(output)!r} + '.tmp'): os.symlink({str(victim)!r}, name)")
    with canned_server() as (port, _):
        done = launched_client(setup, f"--server=127.0.0.1:{port}", "--model=starry", f"--input={photo}",
                               f"--output={output}")
    assert done.returncode == 0, done.stderr
    assert victim.read_bytes() == b"precious"
    assert not output.is_symlink() and output.read_bytes() == GOOD_PNG
    planted = [out_dir / name for name in os.listdir(out_dir) if name != "out.png"]
    assert len(planted) == 3 and all(os.readlink(path) == str(victim) for path in planted)


MEMORY = os.path.join(os.path.dirname(__file__), "..", "client_memory.py")


@pytest.mark.parametrize("width, height", [(1000, 750), (37, 23)])
def test_rest_blend_builds_no_python_list_per_pixel(width, height):
    """REST carries the blend signature's uint8 pixels as JSON text; Python lists of them took 152 MiB at 0.75 MP
    (about 2.4 GiB at 12 MP), request and answer together."""
    done = subprocess.run([sys.executable, MEMORY, CLIENT, str(width), str(height)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["sent_the_photo"] and found["got_the_answer"], found
    assert (found["weights"], found["strength"]) == ([0.0, 1.0], 0.8)
    assert found["peak_mib"] <= 64 * width * height / 2**20 + 1, found  # at most 64 bytes a pixel
