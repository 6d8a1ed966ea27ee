"""Writes the shipped fast variant: the `paintings` network painting at half size, its styles named NAME_fast.

    python tools/fast_variant.py

The same weights as `kstyle/feedforward/models/paintings.keras`, with
`StyleNetwork(shrink=2)`: the mean of each 2x2 block in, the picture enlarged
bilinearly out, so a quarter of the compute and strokes twice as
large, at the price of fine detail (BENCHMARKS.md: "The shipped network painting
at half size"). Written to `kstyle/feedforward/models/paintings_fast.keras`,
which `kstyle.feedforward.shipped.NETWORKS` lists with the suffix `_fast`.
"""

import os

import train_shipped_model  # beside this file, so on the path when it is run as a script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "kstyle", "feedforward", "models")
SUFFIX = "_fast"


def main():
    target = os.path.join(MODELS, "paintings_fast.keras")
    train_shipped_model.install(os.path.join(MODELS, "paintings.keras"), target, SUFFIX, shrink=2)
    print(f"wrote {target} ({os.path.getsize(target) / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
