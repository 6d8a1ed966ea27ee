"""Checks an exported version the way TF Serving would use it, in a process that cannot import kstyle.

    python -I serving_checks.py VERSION_DIR CASES.npz [DEFAULT_BUDGET_VERSION_DIR]

CASES.npz holds `input_<i>` uint8 batches and `expected_<i>`, the Keras model's uint8 outputs; for a network
of named styles also `blend_image`, `blend_weights`, `blend_strength`, `blend_expected` and `style_names`,
which the `blend` signature must reproduce.
VERSION_DIR was exported with the budget in $KSTYLE_TEST_BUDGET (max_pixels,max_request_pixels,max_batch);
the optional second version has the default budget (4096x4096), for hostile requests at full size, whose
memory growth is measured. Prints one JSON line of findings; exits non-zero on the first failed check.
"""

import base64
import io
import json
import os
import subprocess
import sys
import time
import zlib

sys.modules["kstyle"] = None  # Whatever is installed, this process must manage without kstyle.

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402
from tensorflow.python.framework import op_def_registry  # noqa: E402

version_dir, cases_path = sys.argv[1:3]
cases = np.load(cases_path)
count = sum(name.startswith("input_") for name in cases.files)
inputs = [cases[f"input_{i}"] for i in range(count)]
expected = [cases[f"expected_{i}"] for i in range(count)]
blending = "blend_image" in cases.files
findings = {}


def check(condition, message):
    if not condition:
        print(json.dumps({"failed": message, **findings}))
        sys.exit(1)


try:
    import kstyle  # noqa: F401
    check(False, "kstyle was importable")
except ImportError:
    findings["kstyle_importable"] = False


def png(image):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")  # PIL: works inside the TF1 graph section too
    return buffer.getvalue()


def close(actual, wanted):
    return np.abs(actual.astype(int) - wanted.astype(int)).max() <= 1


# 1. The TF2 loader.
loaded = tf.saved_model.load(version_dir)
check(set(loaded.signatures) == {"serving_default", "serve_bytes", *(["blend"] if blending else [])},
      f"signatures {sorted(loaded.signatures)}")
default, by_bytes = loaded.signatures["serving_default"], loaded.signatures["serve_bytes"]
check(list(default.structured_input_signature[1]) == ["image"], "serving_default input")
check(list(default.structured_outputs) == ["stylized_image"], "serving_default output")
check(list(by_bytes.structured_input_signature[1]) == ["image_bytes"], "serve_bytes input")
check(list(by_bytes.structured_outputs) == ["stylized_image_bytes"], "serve_bytes output")
for batch, wanted in zip(inputs, expected):
    out = default(image=tf.constant(batch))["stylized_image"].numpy()
    check(out.dtype == np.uint8 and out.shape == batch.shape and close(out, wanted), f"tf2 uint8 {batch.shape}")
    files = by_bytes(image_bytes=tf.constant([png(image) for image in batch]))["stylized_image_bytes"].numpy()
    decoded = [tf.io.decode_png(f).numpy() for f in files]
    check(all(close(d, w) for d, w in zip(decoded, wanted)), f"tf2 bytes {batch.shape}")
mixed = by_bytes(image_bytes=tf.constant([png(inputs[0][0]), png(inputs[-1][0])]))["stylized_image_bytes"].numpy()
check([tf.io.decode_png(f).shape for f in mixed] == [inputs[0][0].shape, inputs[-1][0].shape], "mixed sizes")
if blending:
    blend = loaded.signatures["blend"]
    check(sorted(blend.structured_input_signature[1]) == ["image", "strength", "style_weights"], "blend inputs")
    answer = blend(image=tf.constant(cases["blend_image"]), style_weights=tf.constant(cases["blend_weights"]),
                   strength=tf.constant(cases["blend_strength"]))
    check(close(answer["stylized_image"].numpy(), cases["blend_expected"]), "tf2 blend")
    names = [cases["style_names"].tolist()] * len(cases["blend_image"])  # the names in every reply's row
    check(answer["style_names"].numpy().astype(str).tolist() == names, "tf2 style names")
findings["tf2_loader"] = "ok"

def runner(session, meta_graph):
    """`run(signature, {input: array})` through a TF1 session, fed by tensor name as TF Serving feeds it."""
    def run(signature, feeds):
        definition = meta_graph.signature_def[signature]
        feed = {definition.inputs[name].name: value for name, value in feeds.items()}
        names = {name: info.name for name, info in definition.outputs.items()}
        return session.run(names, feed_dict=feed)

    return run


# 2. TF Serving's kind of loader: a TF1 session over the MetaGraph.
graph = tf.Graph()
with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
    run = runner(session, tf.compat.v1.saved_model.loader.load(session, ["serve"], version_dir))

    for batch, wanted in zip(inputs, expected):
        out = run("serving_default", {"image": batch})["stylized_image"]
        check(out.shape == batch.shape and close(out, wanted), f"session uint8 {batch.shape}")
        files = run("serve_bytes", {"image_bytes": np.array([png(image) for image in batch], dtype=object)})
        decoded = [np.asarray(Image.open(io.BytesIO(f))) for f in files["stylized_image_bytes"]]
        check(all(close(d, w) for d, w in zip(decoded, wanted)), f"session bytes {batch.shape}")

    if blending:
        feeds = {"image": cases["blend_image"], "style_weights": cases["blend_weights"],
                 "strength": cases["blend_strength"]}
        answer = run("blend", feeds)
        check(close(answer["stylized_image"], cases["blend_expected"]), "session blend")
        check(answer["style_names"].astype(str).tolist() == names, "session style names")
        weights_refused = ("kstyle: style_weights must be finite and non-negative with a finite, positive sum in "
                           "every row")
        infinite, overflowing = (np.zeros_like(cases["blend_weights"]) for _ in range(2))
        infinite[:, 0] = np.inf  # normalized, inf / inf is NaN: a black picture
        overflowing[:, :2] = 3e38  # finite, but their sum is not: every weight would normalize to 0
        for name, (changes, words) in {
                "negative weight": ({"style_weights": -cases["blend_weights"]}, weights_refused),
                "infinite weight": ({"style_weights": infinite}, weights_refused),
                "weights summing past float32": ({"style_weights": overflowing}, weights_refused),
                "strength above 1": ({"strength": cases["blend_strength"] + 2}, "kstyle: strength must be from 0 to 1"),
                "a weight row short": ({"style_weights": cases["blend_weights"][:-1]},
                                       "kstyle: style_weights and strength need one row per image")}.items():
            try:
                run("blend", {**feeds, **changes})
                check(False, f"blend: {name} not refused")
            except tf.errors.InvalidArgumentError as error:
                check(words in str(error), f"blend: {name}: {str(error)[:200]!r}")
        findings["blend"] = "ok"

    # 3. Every warmup record replays through its signature.
    from tensorflow_serving.apis import prediction_log_pb2
    records = 0
    for record in tf.compat.v1.io.tf_record_iterator(os.path.join(version_dir, "assets.extra",
                                                                  "tf_serving_warmup_requests")):
        request = prediction_log_pb2.PredictionLog.FromString(record).predict_log.request
        feeds = {name: tf.make_ndarray(proto) for name, proto in request.inputs.items()}
        run(request.model_spec.signature_name or "serving_default", feeds)
        records += 1
    check(records == (3 if blending else 2), f"{records} warmup records")  # and the blend signature's
    findings["warmup_records"] = records

    # A network of styles is checked for what it adds (the blend signature, above); the REST body, the
    # hostile requests and saved_model_cli go through the same guards as a plain export's, checked there.
    if not blending:
        # 4. A REST :predict body, decoded as TF Serving decodes it ({"b64"} -> bytes, rows -> batch).
        body = json.dumps({"signature_name": "serve_bytes", "instances": [
            {"image_bytes": {"b64": base64.b64encode(png(image)).decode()}} for image in inputs[1]]})
        request = json.loads(body)
        column = np.array([base64.b64decode(row["image_bytes"]["b64"]) for row in request["instances"]], dtype=object)
        stylized = run(request["signature_name"], {"image_bytes": column})["stylized_image_bytes"]
        answer = json.loads(json.dumps({"predictions": [{"b64": base64.b64encode(f).decode()} for f in stylized]}))
        decoded = [np.asarray(Image.open(io.BytesIO(base64.b64decode(p["b64"])))) for p in answer["predictions"]]
        check(all(close(d, w) for d, w in zip(decoded, expected[1])), "rest body")
        findings["rest"] = "ok"

        # 5. Hostile requests fail cleanly, and the model answers the next one.
        def refused(signature, feeds, words):
            try:
                run(signature, feeds)
            except tf.errors.InvalidArgumentError as error:
                return words in str(error)
            return False

        def claiming(image, width, height):
            """The PNG of `image` with an IHDR that claims `width` x `height`, its CRC made right."""
            data = bytearray(png(image))
            data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
            data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
            return bytes(data)

        check(refused("serve_bytes", {"image_bytes": np.array([claiming(inputs[0][0], 30000, 30000)], dtype=object)},
                      "kstyle: an image has more than max_pixels="), "png bomb not refused")
        check(refused("serving_default", {"image": np.zeros((1, 8, 40, 3), np.uint8)},
                      "kstyle: every image must be at least 16x16 pixels"),
              "tiny image not refused")
        max_pixels, max_request_pixels, max_batch = map(int, os.environ["KSTYLE_TEST_BUDGET"].split(","))
        side = int(max_pixels ** 0.5)
        check(refused("serving_default", {"image": np.zeros((1, side + 1, side + 1, 3), np.uint8)},
                      f"kstyle: an image has more than max_pixels={max_pixels} pixels"), "oversize not refused")
        within = np.zeros((1, side, side, 3), np.uint8)
        check(run("serving_default", {"image": within})["stylized_image"].shape == within.shape, "largest image")
        over_budget = 1 + max_request_pixels // (side * side)  # each image allowed, all of them together not
        over_request = f"kstyle: the images of the request have more than max_request_pixels={max_request_pixels} "
        check(refused("serving_default", {"image": np.repeat(within, over_budget, axis=0)}, over_request),
              "request over budget not refused (uint8)")
        check(refused("serve_bytes", {"image_bytes": np.array([png(within[0])] * over_budget, dtype=object)},
                      over_request), "request over budget not refused (bytes)")
        check(refused("serving_default", {"image": np.zeros((max_batch + 1, 16, 16, 3), np.uint8)},
                      f"kstyle: the request holds more than max_batch={max_batch} images"),
              "batch over max_batch not refused")
        check(refused("serving_default", {"image": np.zeros((0, 16, 16, 3), np.uint8)},
                      "kstyle: the request holds no image"), "empty batch not refused")
        # Each side of 0xFFFFFFFF multiplies past int64 into a negative number of pixels, which would pass every
        # limit and pull the request's sum under its budget: the images before it would all be painted.
        overflowing = [png(within[0])] * (max_batch - 1) + [claiming(within[0], 2**32 - 1, 2**32 - 1)]
        hostile = {"empty string": ([b""], "kstyle: an image_bytes entry is empty"),
                   "not an image": ([b"garbage, not an image"], "kstyle: image_bytes must hold JPEG or PNG files"),
                   "cut PNG": ([b"\x89PNG\r\n\x1a\n\x00\x01"], "kstyle: a PNG in image_bytes is cut short or has no "
                               "IHDR header"),
                   "cut JPEG": ([b"\xff\xd8\xff\x00\x01"], "Invalid JPEG data, size 5"),
                   "PNG with sides past int64": (overflowing, "kstyle: a PNG in image_bytes claims a side over "
                                                              "2147483647 pixels, more than PNG allows"),
                   "PNG claiming more pixels than it holds": ([claiming(inputs[0][0], 24, 21)], "Invalid PNG data"),
                   "PNG whose IHDR's CRC is wrong": ([png(inputs[0][0])[:29] + b"\0\0\0\0" + png(inputs[0][0])[33:]],
                                                     "Invalid PNG. Failed to initialize decoder"),
                   }
        for name, (data, words) in hostile.items():
            try:
                run("serve_bytes", {"image_bytes": np.array(data, dtype=object)})
                check(False, f"{name} not refused")
            except tf.errors.InvalidArgumentError as error:  # not a UnicodeDecodeError: the message is text
                message = str(error)
                check(words in message and all(c.isprintable() or c in "\n\t" for c in message),
                      f"{name}: {message[:300]!r}")
        # TensorFlow's PNG decoder allocates what the IHDR claims: a claim of fewer pixels decodes to that size,
        # which the budget was checked against, never to more.
        fewer = run("serve_bytes", {"image_bytes": np.array([claiming(inputs[0][0], 24, 17)], dtype=object)})
        check(Image.open(io.BytesIO(fewer["stylized_image_bytes"][0])).size == (24, 17), "a PNG claiming fewer pixels")
        out = run("serving_default", {"image": inputs[0]})["stylized_image"]
        check(close(out, expected[0]), "no answer after hostile requests")
        findings["hostile"] = "refused, then served"
findings["session_loader"] = "ok"


def memory_kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


# 5b. At the default budget, full-size hostile requests: refused quickly, the process barely grows.
if len(sys.argv) > 3:
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
        run_default = runner(session, tf.compat.v1.saved_model.loader.load(session, ["serve"], sys.argv[3]))

        # Warm both signatures, as a loaded server has done: the times below are then the refusals' own.
        run_default("serving_default", {"image": inputs[0]})
        run_default("serve_bytes", {"image_bytes": np.array([png(inputs[0][0])], dtype=object)})
        flat = Image.fromarray(np.full((4096, 4096, 3), 200, np.uint8))
        buffer = io.BytesIO()
        flat.save(buffer, format="PNG")  # compresses to a few tens of KB
        requests = {"three 4096x4096 images (uint8)": ("serving_default", {"image": np.zeros((3, 4096, 4096, 3),
                                                                                             np.uint8)}),
                    "three compressible 4096x4096 PNGs": ("serve_bytes", {"image_bytes": np.array(
                        [buffer.getvalue()] * 3, dtype=object)})}
        growth = {}
        for name, (signature, feeds) in requests.items():
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")  # resets the peak (VmHWM) to the current size
            before, started = memory_kib("VmRSS"), time.perf_counter()
            try:
                run_default(signature, feeds)
                check(False, f"{name} not refused")
            except tf.errors.InvalidArgumentError as error:
                check("kstyle: the images of the request have more than max_request_pixels=16777216 " in str(error),
                      f"{name}: {str(error)[:200]!r}")
            growth[name] = {"mib": round((memory_kib("VmHWM") - before) / 1024, 1),
                            "ms": round(1000 * (time.perf_counter() - started), 1)}
            check(growth[name]["mib"] <= 300, f"{name} grew the process by {growth[name]['mib']} MiB")
        out = run_default("serving_default", {"image": inputs[0]})["stylized_image"]
        check(close(out, expected[0]), "no answer after full-size hostile requests")
        findings["hostile_full_size"] = growth

# 6. Only stock ops, no Python, no XLA.
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402

saved = saved_model_pb2.SavedModel()
with open(os.path.join(version_dir, "saved_model.pb"), "rb") as file:
    saved.ParseFromString(file.read())
nodes = [node for meta in saved.meta_graphs for node in meta.graph_def.node]
nodes += [node for meta in saved.meta_graphs for function in meta.graph_def.library.function
          for node in function.node_def]
functions = {f.signature.name for meta in saved.meta_graphs for f in meta.graph_def.library.function}
ops = {node.op for node in nodes if node.op not in functions}
unknown = sorted(op for op in ops if op_def_registry.get(op) is None)
check(not unknown, f"ops outside the stock registry: {unknown}")
check(not ops & {"PyFunc", "PyFuncStateless", "EagerPyFunc"}, "py_function in the graph")
check(not any(node.attr["_XlaMustCompile"].b for node in nodes), "XLA-compiled function")
findings["ops"] = len(ops)

# 7. saved_model_cli, TF Serving's loader from the command line (a plain export's is enough, see 4).
if not blending:
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    request_file = os.path.join(os.path.dirname(os.path.abspath(cases_path)), "saved_model_cli_input.npy")
    np.save(request_file, np.full((1, 17, 23, 3), 128, np.uint8))
    done = subprocess.run([cli, "run", "--dir", version_dir, "--tag_set", "serve", "--signature_def",
                           "serving_default", "--inputs", f"image={request_file}"], capture_output=True, text=True)
    check(done.returncode == 0 and "stylized_image" in done.stdout, f"saved_model_cli: {done.stderr[-300:]}")
    findings["saved_model_cli"] = "ok"
print(json.dumps({"failed": None, **findings}))
