"""Starts a training run of a new network shape from an older network's weights, where they fit.

    python tools/warm_start.py --from=runs/paintings_strokes/network.keras --model_dir=runs/paintings_wide \
        --flagfile=tools/paintings_wide.flags

Builds the network that `kstyle train` would build from the flags (the flagfile
is read as `kstyle train` reads it), copies every weight of `--from` whose
layer and shape match (walking both networks' weights in order: the encoder and
residual blocks of a network whose decoder was widened, say), and writes the
result as step 0's checkpoint of `--model_dir`, with a fresh optimizer. Then
`kstyle train` (or `tools/train_shipped_model.py --name=...`) with the same
flags trains it from there: the copied layers start where the older run left
them, the others from their initializers. Says which weights were copied and
which were not. Refuses a `--model_dir` that already holds a run.
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", required=True, help="the older network's .keras file")
    parser.add_argument("--model_dir", required=True, help="the new run's directory (must not hold a run)")
    parser.add_argument("--flagfile", required=True, help="the new run's `kstyle train` flags")
    args = parser.parse_args()
    if os.path.exists(os.path.join(args.model_dir, "checkpoints")):
        sys.exit(f"{args.model_dir} already holds a run; warm starts go in a new directory")

    import keras
    import tensorflow as tf

    from kstyle.feedforward import apply
    from kstyle.feedforward.training import CHECKPOINTS_DIR

    old = apply.load_keras(args.source)
    new = _network(args.flagfile, old.styles)
    copied, fresh = [], []
    old_weights = list(old.weights)
    for index, weight in enumerate(new.weights):
        match = old_weights[index] if index < len(old_weights) else None
        if match is not None and _layer(match.path) == _layer(weight.path) and match.shape == weight.shape:
            weight.assign(match)
            copied.append(weight.path)
        else:
            fresh.append(weight.path)
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(new.trainable_variables)
    checkpoint = tf.train.Checkpoint(network=new, optimizer=optimizer)
    manager = tf.train.CheckpointManager(checkpoint, os.path.join(args.model_dir, CHECKPOINTS_DIR), max_to_keep=3)
    path = manager.save(checkpoint_number=0)
    print(f"copied {len(copied)} of {len(new.weights)} weights from {args.source}; fresh: "
          f"{', '.join(sorted({_layer(name) for name in fresh})) or 'none'}")
    print(f"wrote {path}")


def _network(flagfile, styles):
    """The network `kstyle train --flagfile` builds, from every setting the flagfile gives, painting `styles`."""
    from kstyle import presets
    from kstyle.feedforward.options import TrainOptions
    from kstyle.feedforward.training import build_network
    return build_network(TrainOptions.from_kwargs(**presets.file_values(flagfile)), styles)


def _layer(path):
    """The layer a weight belongs to (`style_network/up1/conv2d_13/kernel`: `up1`), whatever Keras numbered it."""
    parts = path.split("/")
    return "/".join(parts[1:2] + parts[-1:])


if __name__ == "__main__":
    main()
