"""`StyleTrainer`: a Keras model whose `fit()` trains a style network with a perceptual loss.

Each batch of photos is its own content target, so it fits on a dataset of
photos without labels; it logs the loss and each weighted term, so the usual
callbacks (ModelCheckpoint, TensorBoard, EarlyStopping) just work.
"""

import keras
import tensorflow as tf

from kstyle.perceptual.objective import TERMS


class StyleTrainer(keras.Model):
    """Trains `network` with `perceptual` (a `PerceptualLoss`) under `fit()`.

    Fit it on a dataset of photo batches, float 0-255, without labels.

    Example:
        >>> trainer = StyleTrainer(kstyle.StyleNetwork(width=16), kstyle.PerceptualLoss.from_style_image("p.jpg"))
        >>> trainer.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> trainer.fit(photo_batches, epochs=10, steps_per_epoch=500,
        ...             callbacks=[keras.callbacks.TensorBoard("runs/p")])
    """

    def __init__(self, network, perceptual, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.perceptual = perceptual
        self.term_trackers = [keras.metrics.Mean(name=name) for name in TERMS]

    def call(self, photos, training=False):
        return self.network(photos)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        del y, sample_weight, training  # Each photo is its own content target.
        total, terms = self.perceptual.terms(x, y_pred)
        for tracker in self.term_trackers:
            tracker.update_state(terms[tracker.name])
        # Keras sums gradients over replicas, so each replica's loss is scaled like a Keras Loss's.
        return tf.reduce_mean(total) / tf.distribute.get_strategy().num_replicas_in_sync

    def train_step(self, data):
        logs = super().train_step(data)
        strategy = tf.distribute.get_strategy()
        if (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
                and strategy.extended._in_multi_worker_mode()):
            # Keras 3 reduces multi-worker logs with `reduce(MEAN, axis=0)`, which fails on the
            # scalars it produces itself (tensorflow/tensorflow#72388): give it an axis to reduce.
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    @property
    def metrics(self):
        return [m for m in super().metrics if m not in self.term_trackers] + self.term_trackers
