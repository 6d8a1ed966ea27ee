"""Runs a tiny, deterministic training in its own process, for the distribution tests.

    python train_helper.py OUT_DIR PHOTO_DIR STYLE STRATEGY [LOGICAL_CPUS]

Writes OUT_DIR/result-PID.json (steps, replicas, per-step losses) and, from the chief, OUT_DIR/weights.npz
and the trained network's output on fixed images, OUT_DIR/output.npy.
"""

import json
import os
import sys

out_dir, photo_dir, style, strategy = sys.argv[1:5]
logical_cpus = int(sys.argv[5]) if len(sys.argv) > 5 else 1
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

if logical_cpus > 1:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * logical_cpus)

import keras  # noqa: E402

from kstyle.feedforward import training  # noqa: E402
from kstyle.feedforward.options import TrainOptions  # noqa: E402

options = TrainOptions.from_kwargs(width=4, residual_blocks=1, crop_size=32, batch_size=4, steps=3, checkpoint_every=3,
                       summary_every=1000, style_size=48, style_layers="block1_conv2,block2_conv2",
                       content_layers="block2_conv2", style_weight=1e-2, vgg_weights="none", precision="float32",
                       strategy=strategy, seed=7)


class Steps(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append([int(self.model.optimizer.iterations.numpy()), float(logs["loss"])])


steps = Steps()
result = training.train(options, style, photo_dir, os.path.join(out_dir, "run"), callbacks=[steps])
if result.chief:
    network = keras.saving.load_model(result.model_path)
    np.savez(os.path.join(out_dir, "weights.npz"), *[w.numpy() for w in network.weights])
    probe = np.random.default_rng(0).uniform(0, 255, (2, 40, 48, 3)).astype(np.float32)
    np.save(os.path.join(out_dir, "output.npy"), network(probe).numpy())
with open(os.path.join(out_dir, f"result-{os.getpid()}.json"), "w") as file:
    json.dump({"steps": result.steps, "replicas": result.replicas, "losses": steps.losses, "chief": result.chief},
              file)
