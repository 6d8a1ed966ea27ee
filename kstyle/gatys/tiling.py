"""The exact loss and gradient of an `Objective` over an image too large for one pass.

A Gram matrix is a sum over positions, so the style loss needs only each layer's
`F^T F`, which tiles can add up. Pass 1 runs VGG16 forward over each tile and sums
`F^T F`, the mask energies and the content errors of the tile's interior; the
style loss and its derivative `C = dE/d(F^T F)` then follow from the sums, by the
same `Objective.style_term` as an untiled evaluation. Pass 2 runs forward and
backward over each tile on `<C, F^T F> + content error`, whose gradient with
respect to the tile's features is exactly the whole image's, and adds up the
tiles' pixel gradients. Tiles overlap by a halo at least VGG16's receptive-field
radius and start on the pooling grid, so every interior feature is computed as
on the whole image: results differ from an untiled evaluation only by float
rounding (tested). Memory is bounded by one tile plus the image; the price is
the second forward pass and the halos: at 2048x1536 with 1024 px tiles, 2.1x the
untiled time per iteration for 0.66x its peak memory (BENCHMARKS.md). Each tile's
passes are `tf.function`s traced once per tile geometry (eager tiles were 2x slower).
"""

import math

import tensorflow as tf

from kstyle.gatys.memory import tile_size_for  # noqa: F401 (when to tile is decided with the memory budget)
from kstyle.perceptual import losses
from kstyle.perceptual.layers import geometry, stride


def _spans(length, tile, halo):
    """`(start, end, window_start, window_end)` of each tile along one axis."""
    return [(start, min(start + tile, length), max(0, start - halo), min(length, start + tile + halo))
            for start in range(0, length, tile)]


def style_grams(extractor, style_image, layers, tile_size):
    """`{layer: F^T F / M}` of a 0-255 style image `[h, w, 3]`, summed over tiles; the same as untiled.

    What `kstyle.perceptual.objective.style_grams` computes in one pass, with the
    peak memory of one tile: forward passes only, over windows with VGG16's halo.
    """
    align, halo = geometry(layers)
    tile = math.ceil(tile_size / align) * align
    height, width = style_image.shape[:2]
    image = tf.constant(style_image[None], tf.float32)
    sums = {layer: 0.0 for layer in layers}
    counts = {layer: 0 for layer in layers}
    for rows in _spans(height, tile, halo):
        for columns in _spans(width, tile, halo):
            (start, end, top, bottom), (first, last, left, right) = rows, columns
            features = extractor(image[:, top:bottom, left:right])
            for layer in layers:
                s = stride(layer)
                interior = tf.cast(features[layer], tf.float32)[
                    :, start // s - top // s: end // s - top // s, first // s - left // s: last // s - left // s]
                sums[layer] += losses.gram_sum(interior)[0]
                counts[layer] += int(interior.shape[1]) * int(interior.shape[2])
    return {layer: sums[layer] / counts[layer] for layer in layers}


class TiledEvaluator:
    """`image01 [1, h, w, 3] -> (total, terms, gradient)` like `optimize.loss_and_gradient`, in tiles.

    Args:
        objective: an `objective.Objective`.
        content_image: float 0-255 `[h, w, 3]`, the size of the images evaluated.
        tile_size: tile side in pixels (rounded up to the pooling grid).
    """

    def __init__(self, objective, content_image, tile_size):
        self.objective = objective
        self.style_layers = [name for name, _ in objective.style_layers]
        self.content_layers = [name for name, _ in objective.content_layers]
        layers = self.style_layers + self.content_layers
        align, self.halo = geometry(layers)
        tile = math.ceil(tile_size / align) * align
        height, width = content_image.shape[:2]
        self.shape = (1, height, width, 3)
        self.tiles = [(rows, columns) for rows in _spans(height, tile, self.halo)
                      for columns in _spans(width, tile, self.halo)]
        self.strides = {layer: stride(layer) for layer in layers}
        self.masks = {(index, layer): objective.mask_at(
            index, (1, height // self.strides[layer], width // self.strides[layer], 1))
            for index in range(objective.num_targets) for layer in self.style_layers}
        content01 = tf.constant(content_image[None] / 255.0, tf.float32)
        self.content_targets = [
            {layer: features[layer] for layer in self.content_layers}
            for features in (self._interior_features(self._window(content01, t), t) for t in self.tiles)]
        self.content_counts = {layer: sum(int(tf.size(t[layer])) for t in self.content_targets)
                               for layer in self.content_layers}

    def __call__(self, image01):
        image01 = tf.convert_to_tensor(image01, tf.float32)
        objective = self.objective
        # Pass 1: sums over every tile's interior.
        sums = {key: [0.0, 0.0] for key in self.masks}
        squared = {layer: 0.0 for layer in self.content_layers}
        for tile, targets in zip(self.tiles, self.content_targets):
            tile_sums, tile_squared = self._tile_sums(image01, tile, targets)
            for key in sums:
                sums[key][0] += tile_sums[key][0]
                sums[key][1] += tile_sums[key][1]
            for layer in self.content_layers:
                squared[layer] += tile_squared[layer]
        sum_tensors = {key: tf.convert_to_tensor(value[0]) for key, value in sums.items()}
        with tf.GradientTape() as tape:
            tape.watch(sum_tensors)
            style = tf.reduce_mean(objective.style_term(
                {key: (sum_tensors[key], tf.reshape(sums[key][1], [1])) for key in sums}))
        slopes = tape.gradient(style, sum_tensors)
        content_scale = {layer: objective.content_weight * weight / self.content_counts[layer]
                         for layer, weight in objective.content_layers}
        content = tf.add_n([content_scale[layer] * squared[layer] for layer in self.content_layers])
        with tf.GradientTape() as tape:
            tape.watch(image01)
            tv = objective.tv_weight * tf.reduce_mean(losses.total_variation(image01 * 255.0,
                                                                             objective.tv_normalization))
        gradient = tape.gradient(tv, image01).numpy()
        # Pass 2: each tile's share of the gradient, through its own features.
        scales = {layer: tf.constant(value, tf.float32) for layer, value in content_scale.items()}
        for tile, targets in zip(self.tiles, self.content_targets):
            (_, _, top, bottom), (_, _, left, right) = tile
            gradient[:, top:bottom, left:right] += self._tile_gradient(image01, tile, targets, slopes,
                                                                        scales).numpy()
        terms = {"style": style, "content": content, "tv": tv}
        return style + content + tv, terms, tf.constant(gradient)

    @tf.function
    def _tile_sums(self, image01, tile, targets):
        """Pass 1 for one tile (traced once per tile: its geometry is static)."""
        features = self._interior_features(self._window(image01, tile), tile)
        sums = {}
        for (index, layer), mask in self.masks.items():
            crop = self._crop_mask(mask, tile, layer)
            sums[index, layer] = (losses.gram_sum(features[layer], crop), losses.positions(features[layer], crop))
        squared = {layer: tf.reduce_sum(tf.square(features[layer] - targets[layer]))
                   for layer in self.content_layers}
        return sums, squared

    @tf.function
    def _tile_gradient(self, image01, tile, targets, slopes, content_scale):
        """Pass 2 for one tile: the gradient of `<slopes, F^T F> + content error` on its window."""
        window = self._window(image01, tile)
        with tf.GradientTape() as tape:
            tape.watch(window)
            features = self._interior_features(window, tile)
            surrogate = 0.0
            for (index, layer), mask in self.masks.items():
                products = losses.gram_sum(features[layer], self._crop_mask(mask, tile, layer))
                surrogate += tf.reduce_sum(slopes[index, layer] * products)
            for layer in self.content_layers:
                surrogate += content_scale[layer] * tf.reduce_sum(tf.square(features[layer] - targets[layer]))
        return tape.gradient(surrogate, window)

    def _window(self, image01, tile):
        (_, _, top, bottom), (_, _, left, right) = tile
        return image01[:, top:bottom, left:right]

    def _interior_features(self, window01, tile):
        """The tile's interior of each layer, computed on the window with its halo."""
        (start, end, top, _), (first, last, left, _) = tile
        features = self.objective.extractor(window01 * 255.0)
        interior = {}
        for layer, value in features.items():
            s = self.strides[layer]
            interior[layer] = tf.cast(value, tf.float32)[
                :, start // s - top // s: end // s - top // s, first // s - left // s: last // s - left // s]
        return interior

    def _crop_mask(self, mask, tile, layer):
        if mask is None:
            return None
        (start, end, _, _), (first, last, _, _) = tile
        s = self.strides[layer]
        return mask[:, start // s: end // s, first // s: last // s]
