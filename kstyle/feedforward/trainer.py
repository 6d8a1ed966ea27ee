"""`StyleTrainer`: a Keras model whose `fit()` trains a style network with a perceptual loss.

Each batch of photos is its own content target, so it fits on a dataset of
photos without labels; it logs the loss and each weighted term, so the usual
callbacks (ModelCheckpoint, TensorBoard, EarlyStopping) just work.

Besides the perceptual loss, the trainer can charge the network for what it
paints locked to its own pixel grid (`lattice_weight`, see
`kstyle.perceptual.losses.lattice_energy`): a term about the network, not the
picture, so it lives here rather than in the loss.
"""

import keras
import tensorflow as tf

from kstyle.perceptual.losses import lattice_energy

LATTICE_TERM = "lattice"


class StyleTrainer(keras.Model):
    """Trains `network` with `perceptual` (a `PerceptualLoss`) under `fit()`.

    Fit it on a dataset of photo batches, float 0-255, without labels; for a
    network of several styles, on `{"photos": batch, "style": int [batch]}`,
    which style each photo is painted in and judged against (the first if
    omitted).

    Args:
        network: the image model to train (a `StyleNetwork` or any other).
        perceptual: a `PerceptualLoss`.
        lattice_weight: the weight of the `lattice` term, the network's
            output's `lattice_energy` at its `lattice_period` (a network
            without stride-2 stages has none to charge).

    Example:
        >>> trainer = StyleTrainer(kstyle.StyleNetwork(width=16), kstyle.PerceptualLoss.from_style_image("p.jpg"))
        >>> trainer.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> trainer.fit(photo_batches, epochs=10, steps_per_epoch=500,
        ...             callbacks=[keras.callbacks.TensorBoard("runs/p")])
    """

    def __init__(self, network, perceptual, lattice_weight=0.0, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.perceptual = perceptual
        self.lattice_weight = float(lattice_weight)
        self.lattice_period = int(getattr(network, "lattice_period", 1))
        self.term_trackers = [keras.metrics.Mean(name=name) for name in self.term_names]

    @property
    def term_names(self):
        """The weighted terms that add up to the loss, as logged."""
        return self.perceptual.term_names + ((LATTICE_TERM,) if self.charges_lattice else ())

    @property
    def charges_lattice(self):
        return self.lattice_weight > 0 and self.lattice_period > 1

    def call(self, inputs, training=False):
        photos, style = _unpack(inputs)
        if not getattr(self.network, "styles", ()):
            return self.network(photos)
        style = tf.zeros([tf.shape(photos)[0]], tf.int32) if style is None else style
        return self.network(photos, style_weights=tf.one_hot(style, len(self.network.styles)))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        del y, sample_weight, training  # Each photo is its own content target.
        photos, style = _unpack(x)
        total, terms = self.perceptual.terms(photos, y_pred, style)
        if self.charges_lattice:
            terms = {**terms, LATTICE_TERM: self.lattice_weight * lattice_energy(y_pred, self.lattice_period)}
            total += terms[LATTICE_TERM]
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


def _unpack(inputs):
    """`(photos, style index or None)` from a batch of photos or `{"photos", "style"}`."""
    if isinstance(inputs, dict):
        return inputs["photos"], inputs.get("style")
    return inputs, None
