"""Batch stylization on Apache Beam: one pipeline from a laptop to Dataflow, Flink or Spark.

    python -m kstyle.beam --input=PATTERN --output=PREFIX --model=NAME|PATH [--blend=...] [--strength=S]
        [--max_size=N] [--image_format=png|jpeg] [--skip_existing] [Beam pipeline options]

Needs the `beam` extra (`pip install 'kstyle[beam]'`). In your own pipeline,
`StylizeFiles` is the whole job as one transform and `NetworkHandler` the
RunInference model handler alone. Importing this package does not import Beam:
the command's flags are checked first (`kstyle.beam.paths` needs neither Beam
nor TensorFlow).
"""

_LAZY = {"StylizeFiles": "kstyle.beam.pipeline", "NetworkHandler": "kstyle.beam.handler"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
