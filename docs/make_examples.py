"""Renders the example pictures in docs/ that the README shows, from ../shared/images.

    python docs/make_examples.py [--only=NAME,...]

Each picture is a row of results, left to right as the README describes (docs/styles.jpg and
docs/judge_networks.jpg come from benchmarks/judge_networks.py). Inputs stay in
../shared/images; only the results (small JPEGs) are kept here.
"""

import argparse
import os
import sys

import numpy as np
from PIL import Image, ImageFilter

import kstyle
from kstyle.gatys import colors
from kstyle.perceptual import vgg

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "images")
SIZE = 384


def shared(kind, name):
    path = os.path.join(SHARED, kind, name)
    if not os.path.exists(path):
        sys.exit(f"needs {path}")
    return path


def row(images, height=SIZE):
    """Joins images side by side at one height, with a white gutter."""
    resized = [Image.fromarray(np.asarray(image, np.uint8)) for image in images]
    resized = [image.resize((round(image.width * height / image.height), height), Image.Resampling.LANCZOS)
               for image in resized]
    canvas = Image.new("RGB", (sum(image.width for image in resized) + 8 * (len(resized) - 1), height), "white")
    x = 0
    for image in resized:
        canvas.paste(image, (x, 0))
        x += image.width + 8
    return canvas


def save(name, images):
    path = os.path.join(HERE, f"{name}.jpg")
    row(images).save(path, quality=85, optimize=True)
    print("wrote", path, flush=True)


def sky_mask(photo):
    """Where a photo is bright and blue: its sky, roughly, as a 0-255 mask."""
    yiq = colors.to_yiq(photo)
    sky = (yiq[..., 0] > 120) & (yiq[..., 1] < 5)
    mask = np.zeros(sky.shape, np.float32)
    # The sky is what is sky-coloured above the first row that mostly is not.
    for column in range(sky.shape[1]):
        stops = np.flatnonzero(~sky[:, column])
        mask[: stops[0] if len(stops) else sky.shape[0], column] = 255.0
    return np.asarray(Image.fromarray(mask.astype(np.uint8)).filter(ImageFilter.GaussianBlur(3)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    wanted = set(filter(None, args.only.split(",")))
    backbone = vgg.load_vgg16("auto")
    common = dict(max_size=SIZE, backbone=backbone)
    tubingen, chicago = shared("content", "tubingen.jpg"), shared("content", "chicago.jpg")
    starry, scream, wave = (shared("style", name) for name in ("starry_night.jpg", "the_scream.jpg", "wave.jpg"))
    matisse = shared("style", "woman-with-hat-matisse.jpg")

    if not wanted or "blend" in wanted:
        save("blend", [kstyle.stylize(tubingen, starry, **common),
                       kstyle.stylize(tubingen, [starry, scream], style_blend_weights=[3, 7], **common),
                       kstyle.stylize(tubingen, scream, **common)])
    if not wanted or "style_scale" in wanted:
        save("style_scale", [kstyle.stylize(chicago, wave, style_scale=scale, **common) for scale in (0.5, 1.0, 2.0)])
    if not wanted or "preserve_colors" in wanted:
        save("preserve_colors", [kstyle.stylize(tubingen, matisse, preserve_colors=mode, **common)
                                 for mode in ("none", "luminance", "histogram")])
    if not wanted or "masks" in wanted:
        photo = kstyle.read_image(chicago)
        sky = sky_mask(photo)
        save("masks", [photo, np.repeat(sky[..., None], 3, -1),
                       # The wave on the sky: on the city it buries the towers under foam (BENCHMARKS.md, masks).
                       kstyle.stylize(chicago, [wave, starry], style_masks=[sky, 255.0 - sky], **common)])
    if not wanted or "scales" in wanted:
        big = dict(common, max_size=1024)
        save("scales", [kstyle.stylize(tubingen, starry, iterations=100, **big),
                        kstyle.stylize(tubingen, starry, iterations=100, scales=3, **big)])


if __name__ == "__main__":
    main()
