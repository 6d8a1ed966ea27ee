"""The exported SavedModel and LiteRT file against the Keras model they came from, in one run.

For the shipped `starry_night` network at 512 and 1024 px (longest side; median of 10 after 2
warm-up calls): the Keras model as `kstyle transform` runs it (a `tf.function` over float
images), the Keras model called eagerly, the SavedModel loaded with `tf.saved_model.load`
through both signatures: `serving_default` (uint8 in and out) and `serve_bytes` (PNG in, PNG
out; the PNG decode and encode inside it are also timed alone, for reference), and the LiteRT
file in `ai-edge-litert`'s interpreter (input resized to the photo; XNNPACK, as it comes).
Also the files' sizes and the largest pixel difference of each against `serving_default`.

    python benchmarks/export_latency.py [--model=starry_night] [--out=benchmarks/results/export_latency.json]
"""

import argparse
import datetime
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="starry_night")
    parser.add_argument("--out", default="benchmarks/results/export_latency.json")
    args = parser.parse_args()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)

    import tensorflow as tf
    from kstyle import images
    from kstyle.feedforward import apply
    from ai_edge_litert.interpreter import Interpreter

    from kstyle.serving import litert, savedmodel

    from kstyle.feedforward.painter import painter
    network, weights = apply.load_with_weights(args.model)
    keras_graph = apply.load_network(args.model)
    version = savedmodel.export(network, os.path.join(tempfile.mkdtemp(), args.model), style_weights=weights)
    tflite = os.path.join(tempfile.mkdtemp(), f"{args.model}.tflite")
    litert.write(painter(network, weights, in_strips=False), tflite)
    interpreter = Interpreter(model_path=tflite)
    (given,), (answer,) = interpreter.get_input_details(), interpreter.get_output_details()

    def run_litert(image):
        interpreter.set_tensor(given["index"], image)
        interpreter.invoke()
        return interpreter.get_tensor(answer["index"])

    loaded = tf.saved_model.load(version)
    default, by_bytes = loaded.signatures["serving_default"], loaded.signatures["serve_bytes"]
    photo = images.read_image(common.shared_image("content", "tubingen.jpg"))
    results = {"date": datetime.date.today().isoformat(), "machine": common.machine(),
               "command": " ".join([os.path.basename(sys.executable)] + sys.argv), "model": args.model,
               "bytes": {"savedmodel (directory)": sum(os.path.getsize(os.path.join(root, name))
                                                       for root, _, names in os.walk(version) for name in names),
                         "tflite": os.path.getsize(tflite)},
               "latency_seconds": {}}
    for size in (512, 1024):
        image = images.resize_longest(photo, size)
        as_uint8 = tf.constant(images.to_uint8(image)[None])
        as_float = tf.cast(as_uint8, tf.float32)  # the same pixels as the SavedModel gets
        png = tf.io.encode_png(as_uint8[0])
        interpreter.resize_tensor_input(given["index"], as_uint8.shape)
        interpreter.allocate_tensors()
        uint8_array = as_uint8.numpy()
        times = {
            "keras tf.function (kstyle transform)": lambda: keras_graph(as_float).numpy(),
            "keras eager call": lambda: network(as_float).numpy(),
            "savedmodel serving_default (uint8)": lambda: default(image=as_uint8)["stylized_image"].numpy(),
            "savedmodel serve_bytes (PNG)": lambda: by_bytes(image_bytes=tf.reshape(png, [1]))[
                "stylized_image_bytes"].numpy(),
            "PNG decode + encode alone": lambda: tf.io.encode_png(tf.io.decode_png(png)).numpy(),
            "litert interpreter (uint8)": lambda: run_litert(uint8_array),
        }
        row = {name: common.median_seconds(function, 10, warmup=2)[0] for name, function in times.items()}
        row["serving_default_over_keras_tf_function"] = (row["savedmodel serving_default (uint8)"]
                                                         / row["keras tf.function (kstyle transform)"])
        results["latency_seconds"][f"{image.shape[1]}x{image.shape[0]}"] = row
        check = default(image=as_uint8)["stylized_image"].numpy().astype(int)
        expected = np.clip(np.rint(keras_graph(as_float).numpy()), 0, 255).astype(int)
        row["max_pixel_difference"] = int(np.abs(check - expected).max())
        row["litert_over_serving_default"] = (row["litert interpreter (uint8)"]
                                              / row["savedmodel serving_default (uint8)"])
        row["litert_max_pixel_difference"] = int(np.abs(run_litert(uint8_array).astype(int) - check).max())
    common.report(results, args.out)


if __name__ == "__main__":
    main()
