"""`PerceptualLoss`: Johnson et al.'s training loss as a Keras loss, for any image model.

`y_true` is the batch of photos, `y_pred` the model's stylized output (both 0-255
RGB); the style is fixed at construction, or several are, and `terms` says
which one each image is judged against. It is the same `Objective` that
`kstyle stylize` minimizes, averaged over the batch the Keras way, so a model
compiled with it trains under `fit()`, callbacks and `tf.distribute` like any
other. Its config carries the style's Gram matrices and the perceptual options,
so it serializes with the model and needs no style image to be rebuilt.

The style can also be judged at coarser scales (`style_scales`): the output
shrunk by each factor against the painting shrunk alike. VGG16's layers see a
fixed number of pixels, so at full size its Grams measure fine texture; at half
size the same layers measure strokes twice as large, which a network trained at
full size only can leave out and still score well (it recolours the photo and
lays fine texture over it).

The painting's colours can be asked for too (`colour_weight`): the sliced
Wasserstein distance between the output's pixel colours and the painting's
(`kstyle.perceptual.palette`), which Grams of VGG16 features do not pin down.

And spectral peaks the photo did not have can be charged (`periodic_weight`):
the regular gratings that Grams pay for and viewers see (`kstyle.perceptual.peaks`).
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from kstyle import images
from kstyle.errors import UsageError
from kstyle.feedforward.options import johnson_perceptual
from kstyle.perceptual import vgg
from kstyle.perceptual.objective import TERMS, Objective, StyleTarget, style_grams
from kstyle.perceptual.options import FIELDS, PerceptualOptions
from kstyle.perceptual.palette import palette, palette_distance
from kstyle.perceptual.peaks import new_peaks

COLOUR_TERM = "colour"
PERIODIC_TERM = "periodic"


@keras.saving.register_keras_serializable(package="kstyle")
class PerceptualLoss(keras.losses.Loss):
    """Style of a fixed image, content of `y_true`, total variation; for `y_pred`.

    Args:
        style_grams: `{layer: [N, N]}` per-position Gram matrices of the style
            (see `from_style_image`, which computes them), or a list of them,
            one per style (see `from_style_images`).
        options: `PerceptualOptions`; `kstyle train`'s defaults (Johnson et
            al.'s) if omitted. Any of its fields may also be given as a keyword
            (`style_weight=1e-2`), which changes that one.
        backbone: a `vgg.Backbone` to share; loaded from `options.vgg_weights` if omitted.
        scaled_grams: `{scale: grams}` for each coarser scale the style is also
            judged at (0 < scale < 1), `grams` like `style_grams` but of the
            painting shrunk by `scale`; each scale's style loss adds to the
            style term.
        scale_weights: `{scale: weight}`, how much each scale's style loss
            counts (1 for a scale left out, 1.0 naming the full size). A
            small full-size weight rewards less the fine texture that only
            the full-size Grams see, and more the strokes the coarser ones
            see.
        palettes: the painting's palette (`kstyle.perceptual.palette.palette`,
            `[directions, levels]`), or a list of them, one per style; needed
            when `colour_weight` is above 0.
        colour_weight: the weight of the `colour` term, the output's palette
            distance to the painting's; 0 for none.
        periodic_weight: the weight of the `periodic` term, the spectral
            peaks the output has and its photo has not; 0 for none.

    Example:
        >>> loss = kstyle.PerceptualLoss.from_style_image("painting.jpg", style_weight=1e-2)
        >>> network.compile(optimizer="adam", loss=loss)
        >>> network.fit(photos, photos, epochs=2)  # y = x: content is the photo itself
    """

    def __init__(self, style_grams, options=None, backbone=None, name="perceptual_loss", scaled_grams=None,
                 scale_weights=None, palettes=None, colour_weight=0.0, periodic_weight=0.0, **kwargs):
        changes = {key: kwargs.pop(key) for key in FIELDS if key in kwargs}
        super().__init__(name=name, **kwargs)
        self.options = dataclasses.replace(options or johnson_perceptual(), **changes)
        several = isinstance(style_grams, (list, tuple))
        per_style = self._constants(style_grams, several)
        self.style_grams = per_style if several else per_style[0]
        # [styles, N, N] per layer, gathered per image when several styles train together.
        self._stacked = _stack(per_style, self.options.style_names)
        self.scaled_grams = {}
        for scale, grams in sorted((scaled_grams or {}).items(), key=lambda item: -float(item[0])):
            scale = float(scale)
            if not 0 < scale < 1:
                raise UsageError(f"style scales below 1 are coarser views of the output; got {scale:g}")
            scaled = self._constants(grams, several)
            if len(scaled) != len(per_style):
                raise UsageError(f"scaled_grams at {scale:g} has {len(scaled)} styles, style_grams {len(per_style)}")
            self.scaled_grams[scale] = scaled if several else scaled[0]
        self._scaled_stacked = {scale: _stack(grams if several else [grams], self.options.style_names)
                                for scale, grams in self.scaled_grams.items()}
        weights = {float(scale): float(weight) for scale, weight in (scale_weights or {}).items()}
        unknown = sorted(set(weights) - set(self.style_scales))
        if unknown:
            raise UsageError(f"scale_weights names {', '.join(f'{s:g}' for s in unknown)}, not among the style "
                             f"scales {', '.join(f'{s:g}' for s in self.style_scales)}")
        if any(not np.isfinite(weight) or weight < 0 for weight in weights.values()):
            raise UsageError(f"scale_weights must be finite and 0 or more, got {list(weights.values())}")
        self.scale_weights = {scale: weights.get(scale, 1.0) for scale in self.style_scales}
        self.colour_weight = float(colour_weight)
        if not np.isfinite(self.colour_weight) or self.colour_weight < 0:
            raise UsageError(f"colour_weight must be finite and 0 or more, got {colour_weight}")
        self.periodic_weight = float(periodic_weight)
        if not np.isfinite(self.periodic_weight) or self.periodic_weight < 0:
            raise UsageError(f"periodic_weight must be finite and 0 or more, got {periodic_weight}")
        self.palettes = None
        if palettes is not None:
            each = [np.asarray(one, np.float32) for one in (palettes if several else [palettes])]
            if len(each) != len(per_style):
                raise UsageError(f"palettes has {len(each)} styles, style_grams {len(per_style)}")
            self.palettes = each if several else each[0]
            self._palettes = tf.constant(np.stack(each))
        elif self.colour_weight > 0:
            raise UsageError("colour_weight needs the paintings' palettes (from_style_images computes them)")
        backbone = backbone or vgg.load_vgg16(self.options.vgg_weights, self.options.seed)
        extractor = vgg.feature_extractor(backbone.model, self.options.layer_names, self.options.pooling,
                                          self.options.precision)
        self.objective = Objective.from_options(extractor, [StyleTarget(per_style[0])], self.options)

    def _constants(self, style_grams, several):
        """The Grams of each style as float32 constants, checked for every style layer."""
        per_style = [{layer: tf.constant(np.asarray(gram, np.float32)) for layer, gram in grams.items()}
                     for grams in (style_grams if several else [style_grams])]
        if not per_style:
            raise UsageError("style_grams: give at least one style")
        for grams in per_style:
            missing = sorted(set(self.options.style_names) - set(grams))
            if missing:
                raise UsageError(f"style_grams has no Gram matrix for {', '.join(missing)}")
        return per_style

    @property
    def style_scales(self):
        """The scales the style is judged at: 1 (full size), then the coarser ones."""
        return (1.0, *self.scaled_grams)

    @property
    def term_names(self):
        """The weighted terms `terms` returns, which add up to the loss."""
        return (TERMS + ((COLOUR_TERM,) if self.colour_weight > 0 else ())
                + ((PERIODIC_TERM,) if self.periodic_weight > 0 else ()))

    @property
    def num_styles(self):
        return len(self.style_grams) if isinstance(self.style_grams, list) else 1

    @classmethod
    def from_style_image(cls, style_image, style_size=512, options=None, backbone=None, style_scales=(1.0,),
                         **kwargs):
        """Builds the loss for a style image (path, PIL image or array) resized to `style_size`.

        `style_scales`: 1 and the coarser scales to judge the style at too (see the module).
        """
        return cls._from_images([style_image], False, style_size, options, backbone, style_scales, **kwargs)

    @classmethod
    def from_style_images(cls, style_images, style_size=512, options=None, backbone=None, style_scales=(1.0,),
                          **kwargs):
        """Builds the loss for several styles, each image resized to `style_size` (see `terms`)."""
        return cls._from_images(list(style_images), True, style_size, options, backbone, style_scales, **kwargs)

    @classmethod
    def _from_images(cls, style_images, several, style_size, options, backbone, style_scales, **kwargs):
        changes = {key: kwargs.pop(key) for key in FIELDS if key in kwargs}
        options = dataclasses.replace(options or johnson_perceptual(), **changes)
        if not style_scales or float(style_scales[0]) != 1.0:
            raise UsageError(f"style_scales must start with 1 (the full size), got {list(style_scales)}")
        backbone = backbone or vgg.load_vgg16(options.vgg_weights, options.seed)
        # The targets in float32 whatever the training precision: they are computed once.
        extractor = vgg.feature_extractor(backbone.model, options.style_names, options.pooling, "float32")
        paintings = [images.read_image(image) for image in style_images]

        def grams_at(scale):
            size = max(32, round(style_size * scale))
            grams = [style_grams(extractor, images.resize_longest(painting, size), options.style_names)
                     for painting in paintings]
            return grams if several else grams[0]

        scaled = {float(scale): grams_at(float(scale)) for scale in style_scales[1:]}
        palettes = [palette(images.resize_longest(painting, style_size)) for painting in paintings]
        return cls(grams_at(1.0), options, backbone=backbone, scaled_grams=scaled,
                   palettes=palettes if several else palettes[0], **kwargs)

    def terms(self, photos, stylized, style_index=None):
        """Returns `(total, {term: value})` per image, `[batch]` each, for the terms of `term_names`.

        Args:
            photos, stylized: 0-255 images `[batch, h, w, 3]`.
            style_index: int `[batch]`, which style each image is judged
                against; the first style if omitted.
        """
        content = tf.nest.map_structure(tf.stop_gradient, self.objective.content_features(photos))
        stylized = tf.cast(stylized, tf.float32)
        index = None
        if style_index is not None and self.num_styles > 1:
            index = tf.cast(tf.reshape(style_index, [-1]), tf.int32)
        grams = None if index is None else {layer: tf.gather(stacked, index) for layer, stacked in self._stacked.items()}
        _, terms = self.objective.per_image(stylized, content, grams)
        batch = tf.shape(stylized)[0]
        chosen = tf.zeros([batch], tf.int32) if index is None else index
        if self._scaled_stacked or self.scale_weights[1.0] != 1.0:
            size = tf.cast(tf.shape(stylized)[1:3], tf.float32)
            style = self.scale_weights[1.0] * terms["style"]
            for scale, stacked in self._scaled_stacked.items():
                shrunk = tf.image.resize(stylized, tf.cast(tf.round(size * scale), tf.int32), antialias=True)
                grams = {layer: tf.gather(per_style, chosen) for layer, per_style in stacked.items()}
                style += self.scale_weights[scale] * self.objective.style_per_image(shrunk, grams)
            terms = {**terms, "style": style}
        if self.colour_weight > 0:
            colour = palette_distance(stylized, tf.gather(self._palettes, chosen))
            terms = {**terms, COLOUR_TERM: self.colour_weight * colour}
        if self.periodic_weight > 0:
            terms = {**terms, PERIODIC_TERM: self.periodic_weight * new_peaks(stylized, tf.cast(photos, tf.float32))}
        return sum(terms[name] for name in self.term_names), terms

    def call(self, y_true, y_pred):
        return self.terms(y_true, y_pred)[0]

    def get_config(self):
        return {**super().get_config(), "style_grams": _listed_styles(self.style_grams),
                "scaled_grams": {str(scale): _listed_styles(grams) for scale, grams in self.scaled_grams.items()},
                "scale_weights": {str(scale): weight for scale, weight in self.scale_weights.items()},
                "palettes": _listed_palettes(self.palettes), "colour_weight": self.colour_weight,
                "periodic_weight": self.periodic_weight,
                "options": self.options.to_config()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        options = config.pop("options", None)
        if options is not None:
            options = {"tv_normalization": "sum", **options}  # saved before it existed: total variation was a sum
        if "normalization" in config:  # saved before the options existed: flat keywords, this one renamed
            config["gram_normalization"] = config.pop("normalization")
        return cls(options=None if options is None else PerceptualOptions(**options), **config)


def _stack(per_style, layers):
    """`{layer: [styles, N, N]}` from a list of `{layer: [N, N]}`."""
    return {layer: tf.stack([grams[layer] for grams in per_style]) for layer in layers}


def _listed_styles(grams):
    """One style's `{layer: Gram}`, or a list of them, as plain lists for a config."""
    if isinstance(grams, list):
        return [_listed(one) for one in grams]
    return _listed(grams)


def _listed_palettes(palettes):
    if palettes is None:
        return None
    return [one.tolist() for one in palettes] if isinstance(palettes, list) else palettes.tolist()


def _listed(grams):
    return {layer: gram.numpy().tolist() for layer, gram in grams.items()}
