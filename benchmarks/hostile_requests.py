"""What hostile requests cost a served model: time to refusal and the process's memory growth.

    python benchmarks/hostile_requests.py [--model=starry_night]

Exports the network with the default budget (kstyle.serving.limits), loads the version the way
TF Serving does (a TF1 session over the MetaGraph, in this process), warms both signatures, then
sends each request below and records how long the refusal took and how much the peak resident
memory (VmHWM, reset before each request) rose above the resident size before it; then one
ordinary request, which must be served. The requests' own arrays are built before the clock
starts, as a server holds a request before the model sees it.
"""

import argparse
import io
import os
import re
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def memory_kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def png(array):
    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="starry_night")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                                      "hostile_requests.json"))
    args = parser.parse_args()

    import tensorflow as tf

    from kstyle.feedforward import apply
    from kstyle.serving import limits, savedmodel

    network, weights = apply.load_with_weights(args.model)
    version = savedmodel.export(network, os.path.join(tempfile.mkdtemp(), "m"), style_weights=weights)
    flat = png(np.full((4096, 4096, 3), 200, np.uint8))
    small = np.full((1, 64, 48, 3), 90, np.uint8)
    requests = {
        "serving_default: 3 images of 4096x4096": ("serving_default", {"image": np.zeros((3, 4096, 4096, 3),
                                                                                         np.uint8)}),
        "serving_default: 65 images of 64x64": ("serving_default", {"image": np.zeros((65, 64, 64, 3), np.uint8)}),
        "serve_bytes: 3 compressible 4096x4096 PNGs": ("serve_bytes", {"image_bytes": np.array([flat] * 3,
                                                                                                dtype=object)}),
        "serve_bytes: a PNG cut after 10 bytes": ("serve_bytes", {"image_bytes": np.array(
            [b"\x89PNG\r\n\x1a\n\x00\x01"], dtype=object)}),
        "serve_bytes: an empty string": ("serve_bytes", {"image_bytes": np.array([b""], dtype=object)}),
    }
    results = {"machine": common.machine(), "date": time.strftime("%Y-%m-%d"), "budget": limits.budget()._asdict(),
               "png_request_bytes": 3 * len(flat), "requests": {}}
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
        meta_graph = tf.compat.v1.saved_model.loader.load(session, ["serve"], version)

        def run(signature, feeds):
            definition = meta_graph.signature_def[signature]
            feed = {definition.inputs[name].name: value for name, value in feeds.items()}
            return session.run({name: info.name for name, info in definition.outputs.items()}, feed_dict=feed)

        run("serving_default", {"image": small})
        run("serve_bytes", {"image_bytes": np.array([png(small[0])], dtype=object)})
        for name, (signature, feeds) in requests.items():
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")
            before, started = memory_kib("VmRSS"), time.perf_counter()
            try:
                run(signature, feeds)
                error = "served"
            except tf.errors.InvalidArgumentError as refusal:
                found = re.search(r"kstyle: [^\n\]]*", str(refusal))
                error = found.group(0) if found else str(refusal).strip().splitlines()[-1][:200]
            results["requests"][name] = {"ms": round(1000 * (time.perf_counter() - started), 1),
                                         "growth_mib": round((memory_kib("VmHWM") - before) / 1024, 1),
                                         "error": error}
        started = time.perf_counter()
        run("serving_default", {"image": small})
        results["next_ordinary_request_ms"] = round(1000 * (time.perf_counter() - started), 1)
    common.report(results, args.out)


if __name__ == "__main__":
    main()
