"""Which numeric precision to run VGG16 in, given the hardware.

bfloat16 keeps float32's range, so gradients need no loss scaling, and where
the hardware multiplies it natively it is several times faster: on this
project's benchmark CPU (Intel AMX) a VGG16 forward and backward pass takes
0.11 s in bfloat16 against 0.51 s in float32 (BENCHMARKS.md). `auto` picks it
there and on NVIDIA GPUs of compute capability 8.0 or later, and float32
everywhere else. Losses, Gram matrices and the image stay float32.
"""

# Keras dtype policies VGG16 can run in, and `auto`, which picks one for the hardware.
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")


def resolve(precision):
    """Returns a concrete policy name (`float32`, `mixed_float16`, `mixed_bfloat16`) for `precision`."""
    if precision != "auto":
        return precision
    import tensorflow as tf
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        capability = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability", (0, 0))
        return "mixed_bfloat16" if tuple(capability) >= (8, 0) else "float32"
    return "mixed_bfloat16" if "amx_bf16" in _cpu_flags() else "float32"


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()

