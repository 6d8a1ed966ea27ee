"""Runs a tiny, deterministic training in its own process, for the distribution tests.

    python train_helper.py OUT_DIR PHOTO_DIR STYLE STRATEGY [LOGICAL_CPUS [cli]]

Trains in OUT_DIR/run. Through the Python API (the default), it writes OUT_DIR/result-PID.json (steps,
replicas, per-step losses, chief); with `cli`, it runs `kstyle train` in this process instead (after
configuring the logical CPUs, which only a program's start can do) and exits with its status. Either way
the chief writes the trained network's output on `PROBE`, OUT_DIR/output.npy.
"""

import json
import os
import sys

# The run, as TrainOptions keywords and as `kstyle train` flags (the CLI tests run the same one).
RUN = dict(width=4, residual_blocks=1, crop_size=32, batch_size=4, steps=3, checkpoint_every=3, summary_every=1000,
           style_size=48, style_layers="block1_conv2,block2_conv2", content_layers="block2_conv2", style_weight=1e-2,
           vgg_weights="none", precision="float32", seed=7)


def flags(photo_dir, style, model_dir, strategy):
    """`kstyle train`'s flags for `RUN`."""
    return [*(f"--{name}={value}" for name, value in RUN.items()), f"--strategy={strategy}", f"--style={style}",
            f"--train_images={photo_dir}", f"--model_dir={model_dir}"]


def probe_output(model_path):
    """The trained network's output on fixed images: what the tests compare across strategies."""
    import keras
    import numpy as np
    probe = np.random.default_rng(0).uniform(0, 255, (2, 40, 48, 3)).astype(np.float32)
    return keras.saving.load_model(model_path)(probe).numpy()


def _through_the_api(out_dir, photo_dir, style, strategy):
    import keras

    from kstyle.feedforward import training
    from kstyle.feedforward.options import TrainOptions

    class Steps(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.losses = []

        def on_train_batch_end(self, batch, logs=None):
            self.losses.append([int(self.model.optimizer.iterations.numpy()), float(logs["loss"])])

    steps = Steps()
    result = training.train(TrainOptions.from_kwargs(**RUN, strategy=strategy), style, photo_dir,
                            os.path.join(out_dir, "run"), callbacks=[steps])
    with open(os.path.join(out_dir, f"result-{os.getpid()}.json"), "w") as file:
        json.dump({"steps": result.steps, "replicas": result.replicas, "losses": steps.losses, "chief": result.chief},
                  file)
    return result.model_path if result.chief else None


def main(out_dir, photo_dir, style, strategy, logical_cpus=1, mode="api"):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf
    if logical_cpus > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * logical_cpus)
    if mode == "cli":
        from kstyle.cli import main as cli
        status = cli.main(["kstyle", "train", *flags(photo_dir, style, os.path.join(out_dir, "run"), strategy)])
        model_path = os.path.join(out_dir, "run", "network.keras") if status == 0 else None
    else:
        status, model_path = 0, _through_the_api(out_dir, photo_dir, style, strategy)
    if model_path:
        np.save(os.path.join(out_dir, "output.npy"), probe_output(model_path))
    return status


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(main(*arguments[:4], *([int(arguments[4])] if len(arguments) > 4 else []), *arguments[5:6]))
