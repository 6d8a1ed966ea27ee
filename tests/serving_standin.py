"""A stand-in for TF Serving on 127.0.0.1, backed by a SavedModel: its gRPC Predict and REST :predict.

Enough of both protocols for clients to be tested without the server binary: named inputs (cast
to the signature's dtypes), the row ("instances") REST format with {"b64": ...} for binary data,
outputs whose names end in "_bytes" returned as {"b64": ...} and other strings as text, as TF
Serving does; and the signature_def metadata (REST GET .../metadata, gRPC GetModelMetadata).
"""

import base64
import json
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import numpy as np
import tensorflow as tf
from google.protobuf import json_format
from tensorflow_serving.apis import get_model_metadata_pb2, predict_pb2, prediction_service_pb2_grpc


class StandIn:
    """Serves the SavedModel at `version_dir` as model `name` over gRPC and REST."""

    def __init__(self, name, version_dir):
        self.name = name
        self.signatures = tf.saved_model.load(version_dir).signatures
        self.signature_defs = get_model_metadata_pb2.SignatureDefMap()
        from tensorflow.python.saved_model import loader_impl
        for key, value in loader_impl.parse_saved_model(version_dir).meta_graphs[0].signature_def.items():
            self.signature_defs.signature_def[key].CopyFrom(value)
        self.grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(_Predictions(self), self.grpc_server)
        self.grpc_port = self.grpc_server.add_insecure_port("127.0.0.1:0")
        self.rest_server = ThreadingHTTPServer(("127.0.0.1", 0), _rest_handler(self))
        self.rest_port = self.rest_server.server_address[1]

    def __enter__(self):
        self.grpc_server.start()
        threading.Thread(target=self.rest_server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.grpc_server.stop(None)
        self.rest_server.shutdown()

    def predict(self, model, signature, inputs):
        if model != self.name:
            raise LookupError(f"Servable not found for request: Latest({model})")
        function = self.signatures[signature or "serving_default"]
        specs = function.structured_input_signature[1]
        try:
            given = {k: tf.constant(v, dtype=specs[k].dtype) for k, v in inputs.items()}
        except (KeyError, TypeError, ValueError) as error:
            raise tf.errors.InvalidArgumentError(None, None, f"bad inputs: {error}") from None
        return {name: value.numpy() for name, value in function(**given).items()}

    def metadata(self, model):
        if model != self.name:
            raise LookupError(f"Servable not found for request: Latest({model})")
        return self.signature_defs


class _Predictions(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, standin):
        self.standin = standin

    def Predict(self, request, context):
        try:
            outputs = self.standin.predict(request.model_spec.name, request.model_spec.signature_name,
                                           {k: tf.make_ndarray(v) for k, v in request.inputs.items()})
        except LookupError as error:
            context.abort(grpc.StatusCode.NOT_FOUND, str(error))
        except tf.errors.InvalidArgumentError as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, error.message)
        response = predict_pb2.PredictResponse()
        for name, value in outputs.items():
            response.outputs[name].CopyFrom(tf.make_tensor_proto(value))
        return response

    def GetModelMetadata(self, request, context):
        try:
            found = self.standin.metadata(request.model_spec.name)
        except LookupError as error:
            context.abort(grpc.StatusCode.NOT_FOUND, str(error))
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        response.model_spec.name = request.model_spec.name
        response.metadata["signature_def"].Pack(found)
        return response


def _decode(value):
    if isinstance(value, dict) and set(value) == {"b64"}:
        return base64.b64decode(value["b64"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _encode(name, value):
    if name.endswith("_bytes"):
        return {"b64": base64.b64encode(value).decode()}
    value = value.tolist() if isinstance(value, np.ndarray) else value
    return _text(value)


def _text(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value


def _rest_handler(standin):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            model = self.path.split("/v1/models/", 1)[-1].split("/", 1)[0]
            if not self.path.endswith("/metadata"):
                return self._answer(404, {"error": "not found"})
            try:
                found = standin.metadata(model)
            except LookupError as error:
                return self._answer(404, {"error": str(error)})
            self._answer(200, {"model_spec": {"name": model}, "metadata": {"signature_def": json_format.MessageToDict(
                found, preserving_proto_field_name=True)}})

        def do_POST(self):
            model = self.path.split("/v1/models/", 1)[-1].split(":", 1)[0].split("/versions/")[0]
            try:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                rows = body["instances"]
                names = list(rows[0]) if isinstance(rows[0], dict) else None
                inputs = ({name: np.array([_decode(row[name]) for row in rows], dtype=object
                                          if isinstance(_decode(rows[0][name]), bytes) else None) for name in names})
                outputs = standin.predict(model, body.get("signature_name"), inputs)
                columns = list(outputs.items())
                if len(columns) == 1:
                    predictions = [_encode(columns[0][0], v) for v in columns[0][1]]
                else:
                    predictions = [{n: _encode(n, v[i]) for n, v in columns} for i in range(len(rows))]
                self._answer(200, {"predictions": predictions})
            except LookupError as error:
                self._answer(404, {"error": str(error)})
            except (tf.errors.InvalidArgumentError, KeyError, ValueError) as error:
                self._answer(400, {"error": getattr(error, "message", str(error))})

        def _answer(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
