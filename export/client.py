"""Sends a photo to a TF Serving deployment of a kstyle model and writes the stylized PNG.

    python export/client.py --server=localhost:8501 --model=starry_night --input=photo.jpg --output=out.png
    python export/client.py --protocol=grpc --server=localhost:8500 --model=starry_night ...
    python export/client.py --model=styles --blend=starry_night:0.7,wave:0.3 --strength=0.8 ...

REST (port 8501) posts the photo's bytes as `{"b64": ...}` to the `serve_bytes` signature, as
any HTTP client can; gRPC (port 8500) sends the same through TF Serving's PredictionService.
`--blend` uses the `blend` signature of a model exported from a network of several styles: the
client reads how many styles it has from the model's metadata, learns their names from a
16x16 request, then sends the photo's pixels with the weights in the model's order. `--strength`
alone mixes the stylized picture with the photo here, as the model would.
Needs `requests` (REST) or `grpcio` and `tensorflow-serving-api` (gRPC), and Pillow; numpy too for
`--blend` over REST.

The answer is trusted only once it is a PNG of the photo's own size (the model keeps height and
width), and it reaches --output whole or not at all. Every failure is one line on stderr starting
with `client: `, exit status 1 (2 for bad flags), so scripts can report it as it is.
"""

import base64
import binascii
import contextlib
import io
import json
import os
import re
import sys
import tempfile
import warnings

from absl import app, flags
from PIL import Image

_SERVER = flags.DEFINE_string("server", "localhost:8501", "host:port of TF Serving (REST 8501, gRPC 8500).")
_PROTOCOL = flags.DEFINE_enum("protocol", "rest", ["rest", "grpc"], "How to talk to the server.")
_MODEL = flags.DEFINE_string("model", None, "The model's name in the server's model config.")
_VERSION = flags.DEFINE_integer("version", None, "A specific version (default: the server's latest).")
_INPUT = flags.DEFINE_string("input", None, "The photo to send (JPEG or PNG).")
_OUTPUT = flags.DEFINE_string("output", None, "Where to write the stylized PNG (its directory must exist).")
_TIMEOUT = flags.DEFINE_float("timeout", 60.0, "Seconds to wait for the server, to connect and to answer.")
_BLEND = flags.DEFINE_string("blend", None, "Styles of a model of several to paint, NAME or NAME:WEIGHT,... "
                             "(weights are normalized by the model).")
_STRENGTH = flags.DEFINE_float("strength", None, "From 0 (the photo back) to 1 (the full style, the default).")

SIGNATURE = "serve_bytes"
OUTPUT_NAME = "stylized_image_bytes"
BLEND_SIGNATURE = "blend"
PROBE_SIDE = 16  # the smallest image a model takes: the request that asks for the style names
INSTALL = "pip install 'kstyle[serving]'"


class ClientError(Exception):
    """Something the user can act on went wrong: the server, its answer, or a file."""


class UsageError(ClientError):
    """The flags ask for something the client cannot do."""


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


def _no_answer(server, timeout):
    return f"{server} did not answer within {timeout:g} s (--timeout)"


def _reason(error):
    """The operating system's words inside a `requests` error (its own text nests three exceptions)."""
    found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(error))
    return found.group(1).strip() if found else summary(str(error))


def stylize_rest(server, model, photo, version=None, timeout=60.0):
    """Returns the PNG bytes of `photo` (JPEG/PNG bytes) stylized by the REST API.

    Raises:
        ClientError: the server is unreachable or silent, refused the request, or answered
            something other than TF Serving's `{"predictions": [{"b64": ...}]}`.
    """
    body = {"signature_name": SIGNATURE, "instances": [{"image_bytes": {"b64": base64.b64encode(photo).decode()}}]}
    return _rest_image(server, _rest_answer(server, _rest_request(
        server, "POST", f"{_rest_base(server, model, version)}:predict", body, timeout)))


def _rest_base(server, model, version):
    return f"http://{server}/v1/models/{model}" + (f"/versions/{version}" if version else "")


def _rest_request(server, method, url, body, timeout):
    """The server's response to one call (`body`: a JSON value, or its text already), or a ClientError saying why not."""
    try:
        import requests
    except ImportError:
        raise ClientError(f"REST needs requests: {INSTALL}") from None
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body)
    try:
        return requests.request(method, url, timeout=timeout, data=body, headers={"Content-Type": "application/json"})
    except requests.Timeout:
        raise ClientError(_no_answer(server, timeout)) from None
    except requests.ConnectionError as error:
        if "timed out" in str(error):  # a read that times out mid-body arrives as a ConnectionError
            raise ClientError(_no_answer(server, timeout)) from None
        raise ClientError(f"cannot reach {server}: {_reason(error)}") from None
    except requests.RequestException as error:
        raise ClientError(f"{server}: {_reason(error)}") from None


def _rest_answer(server, response):
    """The decoded JSON of a successful answer, or the reason the server gave for failing."""
    content_type = response.headers.get("content-type", "")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code != 200:
        if isinstance(answer, dict) and isinstance(answer.get("error"), str):
            details = summary(answer["error"])
        elif answer is None and "html" not in content_type and response.text.strip():
            details = summary(response.text)
        else:  # an HTML error page (a proxy's, say) says no more than its status line
            details = response.reason or "(no details)"
        raise ClientError(f"{server} answered {response.status_code}: {details}")
    if answer is None:
        raise ClientError(f"{server} answered with something that is not JSON ({content_type or 'no content type'})")
    return answer


def _rest_image(server, answer):
    """The image bytes in a REST answer, or the reason there are none."""
    predictions = answer.get("predictions") if isinstance(answer, dict) else None
    if not isinstance(predictions, list) or not predictions:
        raise ClientError(f'{server}\'s answer has no "predictions"')
    prediction = predictions[0]
    if isinstance(prediction, dict) and OUTPUT_NAME in prediction:  # the row format names outputs when it must
        prediction = prediction[OUTPUT_NAME]
    encoded = prediction.get("b64") if isinstance(prediction, dict) else None
    if not isinstance(encoded, str):
        raise ClientError(f'{server}\'s prediction holds no {{"b64": ...}} image')
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ClientError(f"{server}'s image is not base64") from None


def stylize_grpc(server, model, photo, version=None, timeout=60.0):
    """Returns the PNG bytes of `photo` stylized through gRPC's PredictionService.

    Raises:
        ClientError: the server is unreachable or silent, answered an error, or sent no image.
    """
    try:
        import grpc
        with _stderr_silenced():  # the protos import TensorFlow, whose C++ start-up notices go to stderr
            from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
            from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc
    except ImportError:
        raise ClientError(f"gRPC needs grpcio and tensorflow-serving-api: {INSTALL}") from None
    request = predict_pb2.PredictRequest()
    _model_spec(request.model_spec, model, version, SIGNATURE)
    request.inputs["image_bytes"].CopyFrom(tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING, string_val=[photo],
        tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)])))
    with grpc.insecure_channel(server, options=[("grpc.max_receive_message_length", 256 << 20),
                                                ("grpc.max_send_message_length", 256 << 20)]) as channel:
        try:
            response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(request, timeout=timeout)
        except grpc.RpcError as error:
            raise ClientError(_grpc_failure(server, error.code(), error.details() or "", timeout)) from None
    if OUTPUT_NAME not in response.outputs or not response.outputs[OUTPUT_NAME].string_val:
        raise ClientError(f"{server}'s answer has no {OUTPUT_NAME}")
    return response.outputs[OUTPUT_NAME].string_val[0]


def _model_spec(spec, model, version, signature=None):
    """Fills a gRPC request's ModelSpec: which model, which version (the latest if None), which signature."""
    spec.name = model
    if signature:
        spec.signature_name = signature
    if version:
        spec.version.value = version


def _grpc_failure(server, code, details, timeout):
    """Words for a gRPC status: gRPC reports a refused connection and a silent server as statuses too."""
    if code.name == "DEADLINE_EXCEEDED":
        return _no_answer(server, timeout)
    if code.name == "UNAVAILABLE":
        return f"cannot reach {server}: {summary(details)}"
    return f"{server} answered {code.name}: {summary(details)}"


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


def _open_image(data):
    """Pillow's view of `data` from its header alone (no pixels decoded), or None if Pillow cannot read it.

    Pillow's decompression-bomb guard protects decoding, which never happens here; its warning
    would only add a second line to stderr.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except Exception:  # Pillow raises more than OSError for malformed headers
        return None


def read_photo(path):
    """Returns the photo's bytes and its (width, height), None if Pillow cannot tell.

    A file Pillow cannot read is still sent: the server decides what it accepts and says why
    it refuses, which helps the user more than a guess here would.

    Raises:
        ClientError: the file cannot be read.
    """
    try:
        with open(path, "rb") as file:
            photo = file.read()
    except OSError as error:
        raise ClientError(f"{path}: {error.strerror}") from None
    image = _open_image(photo)
    return photo, (image.size if image else None)


def check_png(png, size, server, photo_path):
    """Raises ClientError unless `png` is a whole PNG of `size` pixels (width, height).

    The model answers with its input's height and width, so any other size means the server
    ran something else, or the answer was mangled on the way.
    """
    image = _open_image(png)
    if image is None or image.format != "PNG":
        raise ClientError(f"{server}'s answer is not a PNG")
    if size is None:
        raise ClientError(f"{photo_path}: Pillow cannot read its size, so the answer cannot be checked")
    if image.size != size:
        raise ClientError(f"{server}'s PNG is {image.size[0]}x{image.size[1]} pixels, "
                          f"the photo {size[0]}x{size[1]} (width x height)")
    try:
        image.verify()  # chunk lengths and checksums: a truncated or corrupted answer fails here
    except Exception as error:
        raise ClientError(f"{server}'s PNG is damaged ({error})") from None


def check_output(path):
    """Raises ClientError if `path` cannot be written: asked before the server is, to spare it the work."""
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        raise ClientError(f"{path}: the directory {directory} does not exist")
    if os.path.isdir(path):
        raise ClientError(f"{path}: is a directory")


def write_atomically(path, data):
    """Writes `data` to `path` so that no reader sees part of it and a failure leaves nothing behind.

    The bytes go to a temporary file that `mkstemp` creates exclusively (O_EXCL: it never opens
    a file or symlink already there) under an unguessable name in `path`'s own directory, so
    `os.replace` is an atomic rename on one file system; a symlink at `path` itself is replaced,
    not followed. The temporary file is removed on any failure, and the result gets the usual
    permissions for a new file rather than mkstemp's private 0600.

    Raises:
        ClientError: the file cannot be written.
    """
    directory = os.path.dirname(path) or "."
    try:
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                                                 suffix=".partial")
    except OSError as error:
        raise ClientError(f"{path}: cannot write in {directory} ({error.strerror})") from None
    replaced = False
    try:
        with os.fdopen(descriptor, "wb") as file:
            os.fchmod(file.fileno(), 0o666 & ~_umask())
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
        replaced = True
    except OSError as error:
        raise ClientError(f"{path}: cannot write it ({error.strerror})") from None
    finally:
        if not replaced:
            with contextlib.suppress(OSError):
                os.remove(temporary)


def _umask():
    mask = os.umask(0)  # the only way to read it; the client is single-threaded
    os.umask(mask)
    return mask


def parse_blend(text):
    """`[(name, weight)]` from `NAME[:WEIGHT],...`; raises UsageError for anything else."""
    pairs = []
    for part in (part.strip() for part in text.split(",")):
        if not part:
            continue
        name, _, weight = part.partition(":")
        try:
            value = float(weight) if weight.strip() else 1.0
        except ValueError:
            raise UsageError(f"--blend: {part!r} is not NAME:WEIGHT with a number for WEIGHT") from None
        if not value >= 0 or value == float("inf"):
            raise UsageError(f"--blend: the weight of {name.strip()} must be a non-negative number")
        pairs.append((name.strip(), value))
    if not pairs or sum(weight for _, weight in pairs) <= 0:
        raise UsageError("--blend: give style names with at least one positive weight, e.g. starry_night:0.7,wave:0.3")
    return pairs


def blend_weights(pairs, names, server):
    """The weights in the model's order of `names`; ClientError for a name the model does not paint."""
    unknown = [name for name, _ in pairs if name not in names]
    if unknown:
        raise ClientError(f"{server}'s model paints {', '.join(names)}, not {', '.join(unknown)}")
    given = dict(pairs)
    return [float(given.get(name, 0.0)) for name in names]


def mix(photo, stylized_png, strength):
    """PNG bytes of the photo and the stylized picture mixed in pixels, as the model's strength does."""
    with Image.open(io.BytesIO(photo)) as original, Image.open(io.BytesIO(stylized_png)) as stylized:
        mixed = Image.blend(original.convert("RGB"), stylized.convert("RGB"), strength)
    buffer = io.BytesIO()
    mixed.save(buffer, format="PNG")
    return buffer.getvalue()


def pixels(photo):
    """The photo as uint8 RGB `(bytes, width, height)`, for the `blend` signature's `image`."""
    try:
        with Image.open(io.BytesIO(photo)) as image:
            image = image.convert("RGB")
            return image.tobytes(), image.width, image.height
    except Exception as error:  # Pillow raises many kinds for files it cannot decode
        raise ClientError(f"--blend sends pixels, and Pillow cannot decode the photo ({error})") from None


def png_of(data, width, height):
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), bytes(data)).save(buffer, format="PNG")
    return buffer.getvalue()


# Each uint8 value as three characters, padded with spaces (JSON allows them): pixels of a fixed width.
_DIGITS = [f"{value:3d}".encode() for value in range(256)]
_PIXEL = len(b"[255,255,255],")
_ARRAY_END = re.compile(rb"\]\s*\]\s*\]")
_BRACKETS = bytes.maketrans(b"[]", b"  ")
_ANSWER_CHUNK = 1 << 22  # bytes of an answer's text parsed at once


def pixels_json(data, width, height):
    """The text of a JSON uint8 `[height, width, 3]` array of RGB `data`, written by numpy (a bytes-like view).

    TF Serving's REST API takes a uint8 tensor only as nested JSON lists of
    numbers; built as Python lists they cost about 120 bytes a pixel (1.4 GiB for
    a 12 MP photo), where this text is 14 bytes a pixel, and numpy writes it in
    place, a row at a time, with no object per value.
    """
    import numpy as np
    digits = np.frombuffer(b"".join(_DIGITS), np.uint8).reshape(256, 3)
    values = np.frombuffer(data, np.uint8).reshape(height, width, 3)
    text = np.empty(1 + height * (width * _PIXEL + 2), np.uint8)
    text[0] = ord("[")
    rows = text[1:].reshape(height, width * _PIXEL + 2)
    rows[:, 0], rows[:, -1] = ord("["), ord(",")  # each row's brackets; a comma between rows
    pixels = rows[:, 1:-1].reshape(height, width, _PIXEL)
    pixels[..., 0], pixels[..., 12], pixels[..., 13] = ord("["), ord("]"), ord(",")
    for channel in range(3):
        pixels[..., 1 + 4 * channel:4 + 4 * channel] = digits[values[..., channel]]
        if channel < 2:
            pixels[..., 4 + 4 * channel] = ord(",")
    pixels[:, -1, 13] = ord("]")  # a row's last pixel closes the row
    rows[-1, -1] = ord("]")  # the last row closes the image
    return memoryview(text)


def pixels_from_answer(content, name, width, height):
    """The uint8 RGB bytes of the `[height, width, 3]` array `name` in a REST answer's JSON text.

    Parsed by numpy from the text, a few MiB at a time: `json` would build a
    Python list per pixel (see `pixels_json`). Only the array is read;
    ClientError unless it holds `width` x `height` x 3 whole numbers from 0 to 255.
    """
    import numpy as np
    start = re.search(rb'"' + name.encode() + rb'"\s*:\s*\[', content)
    end = _ARRAY_END.search(content, start.end()) if start else None
    if end is None:
        raise ClientError(f"the answer has no {name} [height, width, 3]")
    refused = ClientError(f"the answer's {name} is not {width}x{height} uint8 pixels")
    pixels, filled, position = np.empty(width * height * 3, np.uint8), 0, start.end()
    while position < end.end():
        cut = content.find(b"]", min(position + _ANSWER_CHUNK, end.end() - 1), end.end()) + 1  # a pixel's end
        text = content[position:cut].translate(_BRACKETS).strip(b" ,\t\r\n")
        position = cut
        try:
            values = np.fromstring(text, np.int16, sep=",") if text else np.empty(0, np.int16)
        except ValueError:  # not all numbers
            raise refused from None
        if filled + values.size > pixels.size or values.size and not 0 <= values.min() <= values.max() <= 255:
            raise refused
        pixels[filled:filled + values.size] = values
        filled += values.size
    if filled != pixels.size:
        raise refused
    return pixels.tobytes()


def _style_count(signature_defs, server):
    """How many styles the `blend` signature's `style_weights` has, from a SignatureDefMap as JSON."""
    blend = signature_defs.get(BLEND_SIGNATURE)
    if not isinstance(blend, dict):
        raise ClientError(f"{server}'s model has no {BLEND_SIGNATURE} signature: it was exported for one style; "
                          "drop --blend, or export a network of several styles")
    try:
        weights = blend["inputs"]["style_weights"]
        return int(weights.get("tensor_shape", weights.get("tensorShape"))["dim"][1]["size"])
    except (KeyError, IndexError, TypeError, ValueError):
        raise ClientError(f"{server}'s {BLEND_SIGNATURE} signature has no style_weights [batch, styles]") from None


def blend_rest(server, model, photo, pairs, strength, version=None, timeout=60.0):
    """PNG bytes of `photo` painted with a blend, through REST: metadata, the names, then the photo."""
    base = _rest_base(server, model, version)

    def call(method, url, body=None):
        answer = _rest_answer(server, _rest_request(server, method, url, body, timeout))
        if not isinstance(answer, dict):
            raise ClientError(f"{server} answered with something that is not a JSON object")
        return answer

    metadata = call("GET", f"{base}/metadata")
    try:
        signature_defs = metadata["metadata"]["signature_def"]["signature_def"]
    except (KeyError, TypeError):
        raise ClientError(f"{server}'s metadata has no signature_def") from None
    count = _style_count(signature_defs, server)

    def predict(data, width, height, weights, amount):
        """The answer's bytes: the pixels go out and come back as JSON text that no Python list holds."""
        body = b"".join([b'{"signature_name": ', json.dumps(BLEND_SIGNATURE).encode(), b', "instances": [{"image": ',
                         pixels_json(data, width, height), b', "style_weights": ', json.dumps(weights).encode(),
                         b', "strength": ', json.dumps(amount).encode(), b"}]}"])
        response = _rest_request(server, "POST", f"{base}:predict", body, timeout)
        if response.status_code != 200:
            _rest_answer(server, response)  # raises with the server's reason
        return response.content

    probe = predict(bytes(PROBE_SIDE * PROBE_SIDE * 3), PROBE_SIDE, PROBE_SIDE, [1.0] * count, 0.0)
    try:
        names = json.loads(probe)["predictions"][0]["style_names"]
    except (ValueError, KeyError, IndexError, TypeError):
        names = None
    if not isinstance(names, list) or len(names) != count:
        raise ClientError(f"{server}'s answer has no style_names for its {count} styles")
    data, width, height = pixels(photo)
    answer = predict(data, width, height, blend_weights(pairs, names, server), strength)
    try:
        flat = pixels_from_answer(answer, "stylized_image", width, height)
    except ClientError as error:
        raise ClientError(f"{server}: {error}") from None
    return png_of(flat, width, height)


def blend_grpc(server, model, photo, pairs, strength, version=None, timeout=60.0):
    """PNG bytes of `photo` painted with a blend, through gRPC: metadata, the names, then the photo."""
    try:
        import grpc
        with _stderr_silenced():
            from google.protobuf import json_format
            from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
            from tensorflow_serving.apis import get_model_metadata_pb2, predict_pb2, prediction_service_pb2_grpc
    except ImportError:
        raise ClientError(f"gRPC needs grpcio and tensorflow-serving-api: {INSTALL}") from None

    def shape(*sizes):
        return tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in sizes])

    with grpc.insecure_channel(server, options=[("grpc.max_receive_message_length", 256 << 20),
                                                ("grpc.max_send_message_length", 256 << 20)]) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)

        def ask(method, request):
            try:
                return method(request, timeout=timeout)
            except grpc.RpcError as error:
                raise ClientError(_grpc_failure(server, error.code(), error.details() or "", timeout)) from None

        request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
        _model_spec(request.model_spec, model, version)
        found = get_model_metadata_pb2.SignatureDefMap()
        ask(stub.GetModelMetadata, request).metadata["signature_def"].Unpack(found)
        count = _style_count(json_format.MessageToDict(found, preserving_proto_field_name=True).get(
            "signature_def", {}), server)

        def predict(data, width, height, weights, amount):
            request = predict_pb2.PredictRequest()
            _model_spec(request.model_spec, model, version, BLEND_SIGNATURE)
            request.inputs["image"].CopyFrom(tensor_pb2.TensorProto(
                dtype=types_pb2.DT_UINT8, tensor_shape=shape(1, height, width, 3), tensor_content=bytes(data)))
            request.inputs["style_weights"].CopyFrom(tensor_pb2.TensorProto(
                dtype=types_pb2.DT_FLOAT, tensor_shape=shape(1, len(weights)), float_val=weights))
            request.inputs["strength"].CopyFrom(tensor_pb2.TensorProto(
                dtype=types_pb2.DT_FLOAT, tensor_shape=shape(1), float_val=[amount]))
            return ask(stub.Predict, request).outputs

        probe = predict(bytes(PROBE_SIDE * PROBE_SIDE * 3), PROBE_SIDE, PROBE_SIDE, [1.0] * count, 0.0)
        names = [name.decode() for name in probe["style_names"].string_val] if "style_names" in probe else []
        if len(names) != count:
            raise ClientError(f"{server}'s answer has no style_names for its {count} styles")
        data, width, height = pixels(photo)
        outputs = predict(data, width, height, blend_weights(pairs, names, server), strength)
    image = outputs["stylized_image"] if "stylized_image" in outputs else None
    flat = (image.tensor_content or bytes(image.int_val)) if image is not None else b""
    if len(flat) != width * height * 3:
        raise ClientError(f"{server}'s answer has no {width}x{height} uint8 stylized_image")
    return png_of(flat, width, height)


def check_flags(argv):
    """Raises UsageError for flags the client cannot work with."""
    if len(argv) > 1:
        raise UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    for flag in (_MODEL, _INPUT, _OUTPUT):
        if not flag.value:
            raise UsageError(f"--{flag.name} is required")
    if _PROTOCOL.value == "rest" and "://" in _SERVER.value:  # gRPC takes its own targets: dns:///..., unix:...
        raise UsageError(f"--server wants host:port, not a URL: {_SERVER.value}")
    if _VERSION.value is not None and _VERSION.value < 1:
        raise UsageError(f"--version must be a positive integer, got {_VERSION.value}")
    if not _TIMEOUT.value > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, got {_TIMEOUT.value:g}")
    if _STRENGTH.value is not None and not 0.0 <= _STRENGTH.value <= 1.0:
        raise UsageError(f"--strength must be from 0 (the photo) to 1 (the full style), got {_STRENGTH.value:g}")
    if _BLEND.value is not None:
        parse_blend(_BLEND.value)


def stylize(argv):
    """Checks the flags and files, asks the server, checks its answer, writes it."""
    check_flags(argv)
    check_output(_OUTPUT.value)
    photo, size = read_photo(_INPUT.value)
    strength = 1.0 if _STRENGTH.value is None else _STRENGTH.value
    if _BLEND.value:
        send = blend_rest if _PROTOCOL.value == "rest" else blend_grpc
        png = send(_SERVER.value, _MODEL.value, photo, parse_blend(_BLEND.value), strength, _VERSION.value,
                   _TIMEOUT.value)
    else:
        send = stylize_rest if _PROTOCOL.value == "rest" else stylize_grpc
        png = send(_SERVER.value, _MODEL.value, photo, _VERSION.value, _TIMEOUT.value)
        check_png(png, size, _SERVER.value, _INPUT.value)
        if _STRENGTH.value is not None:
            png = mix(photo, png, strength)
    check_png(png, size, _SERVER.value, _INPUT.value)
    write_atomically(_OUTPUT.value, png)
    print(f"wrote {_OUTPUT.value}")


def fail(message, status):
    """Ends the program with `message` as one `client: ` line on stderr, whatever newlines it held."""
    print("client: " + " ".join(str(message).split()), file=sys.stderr)
    sys.exit(status)


def parse_flags(argv):
    """absl's parsing, but a bad flag is reported like every other failure (absl prints two lines)."""
    try:
        return flags.FLAGS(argv)
    except flags.Error as error:
        fail(error, 2)


def main(argv):
    try:
        stylize(argv)
    except UsageError as error:
        fail(error, 2)
    except ClientError as error:
        fail(error, 1)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Exception as error:  # a case nobody foresaw: still one line, naming what broke, as promised
        fail(f"unexpected {type(error).__name__}: {error}", 1)


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
