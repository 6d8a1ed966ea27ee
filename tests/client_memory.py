"""Measures what export/client.py's REST `--blend` allocates for one photo, in a process of its own.

    python client_memory.py CLIENT WIDTH HEIGHT

Runs `blend_rest` against answers made here (the model's metadata, the 16x16 probe, then a stylized image of
the photo's size), and prints one JSON line: the peak of memory traced while the request was built and the
answer read (tracemalloc, which counts numpy's buffers too), whether the pixels sent were the photo's, and
whether the PNG returned holds the answer's pixels. A process of its own: the client defines absl flags that
kstyle's would clash with.
"""

import importlib.util
import io
import json
import sys
import tracemalloc

import numpy as np
from PIL import Image

path, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
spec = importlib.util.spec_from_file_location("client", path)
client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(client)

rng = np.random.default_rng(0)
photo_pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
buffer = io.BytesIO()
Image.fromarray(photo_pixels).save(buffer, format="PNG")
photo = buffer.getvalue()
stylized = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
names = ["wave", "udnie"]
probe = np.zeros((client.PROBE_SIDE, client.PROBE_SIDE, 3), np.uint8)
# What TF Serving answers, made before the measurement: a server's bytes are not the client's doing.
answers = [json.dumps({"predictions": [{"stylized_image": pixels.tolist(), "style_names": names}]}).encode()
           for pixels in (probe, stylized)]
metadata = {"metadata": {"signature_def": {"signature_def": {"blend": {"inputs": {"style_weights": {
    "tensor_shape": {"dim": [{"size": "-1"}, {"size": str(len(names))}]}}}}}}}}


class Response:
    def __init__(self, content):
        self.status_code, self.headers, self.reason, self.content = 200, {"content-type": "application/json"}, "OK", \
            content

    @property
    def text(self):
        return self.content.decode()

    def json(self):
        return json.loads(self.content)


sent = []


def answer(server, method, url, body, timeout):
    if method == "GET":
        return Response(json.dumps(metadata).encode())
    sent.append(body)
    return Response(answers[len(sent) - 1])


client._rest_request = answer
tracemalloc.start()
png = client.blend_rest("localhost:8501", "styles", photo, [("udnie", 1.0)], 0.8)
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
body = sent[-1] if isinstance(sent[-1], dict) else json.loads(sent[-1])
instance = body["instances"][0]
print(json.dumps({"peak_mib": round(peak / 2**20, 1),
                  "sent_the_photo": bool(np.array_equal(np.asarray(instance["image"], np.uint8), photo_pixels)),
                  "weights": instance["style_weights"], "strength": instance["strength"],
                  "got_the_answer": bool(np.array_equal(np.asarray(Image.open(io.BytesIO(png))), stylized))}))
