"""Style networks side by side: Gatys style and content losses, and high-frequency energy.

For each `.keras` network given (or shipped name), on the four shared photos at 512 px: the
style and content losses with flags/gatys.flags' definitions (as in feedforward.py), and the
mean absolute Laplacian of the output's grey level, a number for the fine hatching a small
network can leave (the photos themselves: 15-24). Writes a picture of 256 px crops, one column per
network, for judging by eye.

    python benchmarks/compare_networks.py starry_night runs/other/network.keras \
        [--out=benchmarks/results/compare_networks.json] [--picture=/tmp/compare_networks.png]
"""

import argparse
import datetime
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import feedforward  # noqa: E402


def laplacian_energy(image):
    grey = image.astype(np.float32).mean(-1)
    return float(np.abs(4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1]
                        - grey[1:-1, :-2] - grey[1:-1, 2:]).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("networks", nargs="+")
    parser.add_argument("--out", default="benchmarks/results/compare_networks.json")
    parser.add_argument("--picture", default=None)
    args = parser.parse_args()

    from kstyle import images
    from kstyle.feedforward import apply
    from kstyle.perceptual import vgg
    backbone = vgg.load_vgg16("hed")
    style = images.read_image(common.shared_image("style", "starry_night.jpg"))
    measure = feedforward.gatys_losses(backbone, images.resize_longest(style, 512))
    networks = [apply.load_network(name) for name in args.networks]
    results = {"date": datetime.date.today().isoformat(), "machine": common.machine(),
               "command": " ".join([os.path.basename(sys.executable)] + sys.argv), "per_photo": {}}
    crops = []
    for photo in feedforward.PHOTOS:
        content = images.resize_longest(images.read_image(common.shared_image("content", photo)), 512)
        row = {"photo": {"laplacian": laplacian_energy(content)}}
        outputs = []
        for name, network in zip(args.networks, networks):
            output = images.to_uint8(np.asarray(network(content[None]))[0])
            style_loss, content_loss = measure(output, content)
            row[name] = {"style": style_loss, "content": content_loss, "laplacian": laplacian_energy(output)}
            outputs.append(output[100:356, 100:356])
        results["per_photo"][photo] = row
        crops.append(np.concatenate(outputs, 1))
    results["mean"] = {name: {key: float(np.mean([row[name][key] for row in results["per_photo"].values()]))
                              for key in ("style", "content", "laplacian")} for name in args.networks}
    if args.picture:
        Image.fromarray(np.concatenate(crops, 0)).save(args.picture)
    common.report(results, args.out)


if __name__ == "__main__":
    main()
