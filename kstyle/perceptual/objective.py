"""The perceptual objective: weighted style, content and total-variation terms.

One `Objective` serves both engines: the optimizer (Gatys) evaluates it on a
single image against fixed content features, the feed-forward trainer (Johnson)
on a batch of network outputs against the features of the batch's photos.
Following magenta's habit, it returns `(total, terms)` so each weighted term can
be logged, and the terms add up to the total that is minimized.
"""

from typing import NamedTuple, Optional

import numpy as np
import tensorflow as tf

from kstyle.perceptual import losses

# The objective's terms, in the order they are logged; each is already weighted.
TERMS = ("style", "content", "tv")


class StyleTarget(NamedTuple):
    """What one region of the output should look like.

    Attributes:
        grams: `{layer: F^T F / M}` of the style image(s), `[N, N]` each: the
            per-position Gram, independent of the style image's size.
        mask: optional `[h, w]` weights in [0, 1] over the output image; the
            style applies where the mask is on. `None` means everywhere.
        weight: how much this target counts relative to the others.
    """
    grams: dict
    mask: Optional[np.ndarray] = None
    weight: float = 1.0


def style_grams(extractor, style_image, layers):
    """Returns `{layer: F^T F / M}` for one 0-255 style image `[h, w, 3]`."""
    features = extractor(tf.convert_to_tensor(style_image, tf.float32)[None])
    return {layer: losses.gram_matrix(tf.cast(features[layer], tf.float32), "hw")[0]
            for layer in layers}


def blend_grams(grams_per_style, weights):
    """Returns the weighted average of several styles' Grams, weights normalized."""
    weights = np.asarray(weights, np.float64) / np.sum(weights)
    return {layer: tf.add_n([float(w) * grams[layer] for w, grams in zip(weights, grams_per_style)])
            for layer in grams_per_style[0]}


class Objective:
    """`total = style_weight * sum_l w_l E_l + content_weight * sum_l w_l C_l + tv_weight * TV`.

    Each term is averaged over the images of a batch.

    Args:
        extractor: a `vgg.feature_extractor` returning every layer named below.
        style_targets: `StyleTarget`s; their weights are normalized to sum to 1.
        style_layers: `((layer, weight), ...)`, see `layer_spec`.
        content_layers: `((layer, weight), ...)`.
        style_weight, content_weight, tv_weight: the weights of the three terms.
        normalization: `gatys` or `hw`, see `losses`.
        tv_normalization: `sum` or `pixels`, see `losses.total_variation`.
    """

    def __init__(self, extractor, style_targets, style_layers, content_layers, *,
                 style_weight, content_weight, tv_weight, normalization="gatys", tv_normalization="sum"):
        losses.check_normalization(normalization)
        self.extractor = extractor
        self.style_layers = tuple(style_layers)
        self.content_layers = tuple(content_layers)
        self.style_weight = float(style_weight)
        self.content_weight = float(content_weight)
        self.tv_weight = float(tv_weight)
        self.tv_normalization = tv_normalization
        self.normalization = normalization
        total = sum(target.weight for target in style_targets)
        self._targets = [
            (target.grams,
             None if target.mask is None else tf.constant(np.asarray(target.mask, np.float32)[None, :, :, None]),
             target.weight / total)
            for target in style_targets]

    @classmethod
    def from_options(cls, extractor, style_targets, options):
        """The objective that `PerceptualOptions` describe."""
        return cls(extractor, style_targets, options.style_layers, options.content_layers,
                   style_weight=options.style_weight, content_weight=options.content_weight,
                   tv_weight=options.tv_weight, normalization=options.gram_normalization,
                   tv_normalization=options.tv_normalization)

    def content_features(self, content_images):
        """Returns the content layers' features of 0-255 images `[b, h, w, 3]`."""
        features = self.extractor(tf.convert_to_tensor(content_images, tf.float32))
        return {layer: tf.cast(features[layer], tf.float32) for layer, _ in self.content_layers}

    def __call__(self, images, content_features):
        """Returns `(total, {"style", "content", "tv"})`, scalars (means over the batch), for 0-255 `images`."""
        _, terms = self.per_image(images, content_features)
        terms = {name: tf.reduce_mean(value) for name, value in terms.items()}
        return terms["style"] + terms["content"] + terms["tv"], terms

    def per_image(self, images, content_features, style_grams=None):
        """Like calling the objective, but every value is per image, `[batch]`.

        Args:
            images, content_features: as when calling the objective.
            style_grams: optional `{layer: [batch, N, N]}` per-position Grams, a
                target per image that replaces the objective's own (unmasked);
                how one network learns several styles at once.
        """
        features = self.extractor(images)
        features = {name: tf.cast(value, tf.float32) for name, value in features.items()}
        sums = {}
        for index in range(len(self._targets)):
            for layer, _ in self.style_layers:
                mask = self.mask_at(index, tf.shape(features[layer]))
                sums[index, layer] = (losses.gram_sum(features[layer], mask), losses.positions(features[layer], mask))
        content = 0.0
        for layer, layer_weight in self.content_layers:
            content += layer_weight * losses.content_layer_loss(features[layer], content_features[layer])
        tv = losses.total_variation(tf.cast(images, tf.float32), self.tv_normalization)
        terms = {"style": self.style_term(sums, style_grams), "content": self.content_weight * content,
                 "tv": self.tv_weight * tv}
        return terms["style"] + terms["content"] + terms["tv"], terms

    def style_per_image(self, images, style_grams):
        """The weighted style loss alone, `[batch]`, of 0-255 `images` against per-image `style_grams`.

        What a coarser view of a network's output is judged by (see
        `kstyle.feedforward.perceptual_loss`): no content or TV at that scale.
        """
        features = {name: tf.cast(value, tf.float32) for name, value in self.extractor(images).items()}
        sums = {(0, layer): (losses.gram_sum(features[layer]), losses.positions(features[layer]))
                for layer, _ in self.style_layers}
        return self.style_term(sums, style_grams)

    @property
    def num_targets(self):
        return len(self._targets)

    def mask_at(self, index, feature_shape):
        """Returns target `index`'s mask resized to a feature map `[b, h, w, ch]`, or None."""
        mask = self._targets[index][1]
        if mask is None:
            return None
        mask = tf.image.resize(mask, feature_shape[1:3], method="area")
        return tf.tile(mask, [feature_shape[0], 1, 1, 1])

    def style_term(self, sums, style_grams=None):
        """Returns the weighted style loss per image `[b]` from `{(target, layer): (F^T F, M)}`.

        The one place the style formula is applied, whether the sums come from a
        whole image or were accumulated tile by tile, against the objective's
        targets or against per-image `style_grams` (see `per_image`).
        """
        style = 0.0
        targets = self._targets if style_grams is None else [(style_grams, None, 1.0)]
        for index, (grams, _, target_weight) in enumerate(targets):
            for layer, layer_weight in self.style_layers:
                sum_of_products, num_positions = sums[index, layer]
                gram = losses.gram_from_sum(sum_of_products, num_positions, self.normalization)
                per_position = grams[layer] if style_grams is not None else grams[layer][None]
                target = losses.target_gram(per_position, num_positions, self.normalization)
                style += target_weight * layer_weight * losses.style_layer_loss(
                    gram, target, num_positions, self.normalization)
        return self.style_weight * style
