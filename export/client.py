"""Sends a photo to a TF Serving deployment of a kstyle model and writes the stylized PNG.

    python export/client.py --server=localhost:8501 --model=starry_night --input=photo.jpg --output=out.png
    python export/client.py --protocol=grpc --server=localhost:8500 --model=starry_night ...

REST (port 8501) posts the photo's bytes as `{"b64": ...}` to the `serve_bytes` signature, as
any HTTP client can; gRPC (port 8500) sends the same through TF Serving's PredictionService.
Needs `requests` (REST) or `grpcio` and `tensorflow-serving-api` (gRPC).
"""

import base64
import contextlib
import json
import os
import re
import sys

from absl import app, flags

_SERVER = flags.DEFINE_string("server", "localhost:8501", "host:port of TF Serving (REST 8501, gRPC 8500).")
_PROTOCOL = flags.DEFINE_enum("protocol", "rest", ["rest", "grpc"], "How to talk to the server.")
_MODEL = flags.DEFINE_string("model", None, "The model's name in the server's model config.")
_VERSION = flags.DEFINE_integer("version", None, "A specific version (default: the server's latest).")
_INPUT = flags.DEFINE_string("input", None, "The photo to send (JPEG or PNG).")
_OUTPUT = flags.DEFINE_string("output", None, "Where to write the stylized PNG.")
_TIMEOUT = flags.DEFINE_float("timeout", 60.0, "Seconds to wait for the answer.")

SIGNATURE = "serve_bytes"


class ClientError(Exception):
    """The server could not be reached or refused the request."""


def summary(message):
    """The one line of a server error that says what was wrong.

    TF Serving passes TensorFlow's multi-line error text through; the model's own
    checks start with `kstyle:`, so that line is the one a user needs.
    """
    found = re.search(r"kstyle: [^\n\]]*", message)
    if found:
        return found.group(0).strip()
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[0][:300] if lines else "(no details)"


def stylize_rest(server, model, photo, version=None, timeout=60.0):
    """Returns the PNG bytes of `photo` (JPEG/PNG bytes) stylized by the REST API."""
    import requests
    path = f"/v1/models/{model}" + (f"/versions/{version}" if version else "") + ":predict"
    body = {"signature_name": SIGNATURE, "instances": [{"image_bytes": {"b64": base64.b64encode(photo).decode()}}]}
    try:
        response = requests.post(f"http://{server}{path}", data=json.dumps(body), timeout=timeout)
    except requests.RequestException as error:
        raise ClientError(f"cannot reach {server}: {error}") from None
    answer = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    if response.status_code != 200 or "predictions" not in answer:
        raise ClientError(f"{server} answered {response.status_code}: "
                          f"{summary(answer.get('error', response.text[:2000]))}")
    prediction = answer["predictions"][0]
    if isinstance(prediction, dict) and "stylized_image_bytes" in prediction:
        prediction = prediction["stylized_image_bytes"]
    return base64.b64decode(prediction["b64"])


def stylize_grpc(server, model, photo, version=None, timeout=60.0):
    """Returns the PNG bytes of `photo` stylized through gRPC's PredictionService."""
    import grpc
    with _stderr_silenced():  # the protos import TensorFlow, whose C++ start-up notices go to stderr
        from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
        from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = SIGNATURE
    if version:
        request.model_spec.version.value = version
    request.inputs["image_bytes"].CopyFrom(tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING, string_val=[photo],
        tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)])))
    with grpc.insecure_channel(server, options=[("grpc.max_receive_message_length", 256 << 20),
                                                ("grpc.max_send_message_length", 256 << 20)]) as channel:
        try:
            response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(request, timeout=timeout)
        except grpc.RpcError as error:
            raise ClientError(f"{server} answered {error.code().name}: {summary(error.details() or '')}") from None
    return response.outputs["stylized_image_bytes"].string_val[0]


@contextlib.contextmanager
def _stderr_silenced():
    """Discards what C++ code writes to file descriptor 2 meanwhile (Python errors still surface)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def main(argv):
    del argv
    for flag in (_MODEL, _INPUT, _OUTPUT):
        if not flag.value:
            sys.exit(f"client: --{flag.name} is required")
    try:
        with open(_INPUT.value, "rb") as file:
            photo = file.read()
    except OSError as error:
        sys.exit(f"client: {_INPUT.value}: {error.strerror}")
    send = stylize_rest if _PROTOCOL.value == "rest" else stylize_grpc
    try:
        png = send(_SERVER.value, _MODEL.value, photo, _VERSION.value, _TIMEOUT.value)
    except ClientError as error:
        sys.exit(f"client: {error}")
    temporary = f"{_OUTPUT.value}.{os.getpid()}.partial"
    try:
        with open(temporary, "wb") as file:
            file.write(png)
        os.replace(temporary, _OUTPUT.value)
    except OSError as error:
        if os.path.exists(temporary):
            os.remove(temporary)
        sys.exit(f"client: {_OUTPUT.value}: {error.strerror}")
    print(f"wrote {_OUTPUT.value}")


if __name__ == "__main__":
    app.run(main)
