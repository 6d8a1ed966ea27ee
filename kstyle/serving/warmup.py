"""TF Serving's warmup records, written with TensorFlow alone.

TF Serving replays `assets.extra/tf_serving_warmup_requests` (a TFRecord file of
`PredictionLog` protos) before it reports a version ready, so the first user does
not pay for tracing. The protos live in `tensorflow-serving-api`, whose releases
require the TensorFlow of their own number (2.21 needs tensorflow>=2.21), which
would narrow what kstyle installs with; the three messages a record needs are
small, so they are encoded here by the protobuf wire format around TensorFlow's
own `TensorProto`. The tests parse them back with `tensorflow-serving-api`.
"""

import os

import numpy as np
import tensorflow as tf

from kstyle.feedforward.exported import BLEND_SIGNATURE

FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")

# Field numbers, from tensorflow_serving/apis/{prediction_log,predict,model}.proto.
_PREDICTION_LOG_PREDICT_LOG = 6
_PREDICT_LOG_REQUEST = 1
_REQUEST_MODEL_SPEC = 1
_REQUEST_INPUTS = 2
_MODEL_SPEC_SIGNATURE_NAME = 3
_MAP_KEY, _MAP_VALUE = 1, 2


def write(path, size=32, styles=0):
    """Writes one small request per signature of a kstyle SavedModel.

    `styles`: how many the network paints; above 0 its blend signature gets a
    request too (an even blend at full strength), so its first user does not
    pay for the tracing either.
    """
    image = np.random.default_rng(0).integers(0, 256, (1, size, size, 3), dtype=np.uint8)
    png = tf.io.encode_png(image[0]).numpy()
    requests = {"serving_default": {"image": tf.make_tensor_proto(image)},
                "serve_bytes": {"image_bytes": tf.make_tensor_proto([png], dtype=tf.string)}}
    if styles:
        requests[BLEND_SIGNATURE] = {"image": tf.make_tensor_proto(image),
                                     "style_weights": tf.make_tensor_proto(np.full((1, styles), 1 / styles,
                                                                                   np.float32)),
                                     "strength": tf.make_tensor_proto(np.ones(1, np.float32))}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for signature, inputs in requests.items():
            writer.write(prediction_log(signature, inputs))


def prediction_log(signature, inputs):
    """A serialized `PredictionLog` holding a `PredictRequest` for `signature` with `{name: TensorProto}`."""
    request = _field(_REQUEST_MODEL_SPEC, _field(_MODEL_SPEC_SIGNATURE_NAME, signature.encode()))
    for name, proto in inputs.items():
        entry = _field(_MAP_KEY, name.encode()) + _field(_MAP_VALUE, proto.SerializeToString())
        request += _field(_REQUEST_INPUTS, entry)
    return _field(_PREDICTION_LOG_PREDICT_LOG, _field(_PREDICT_LOG_REQUEST, request))


def _field(number, payload):
    """A length-delimited field (wire type 2): the key, the length, the bytes."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value):
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)
