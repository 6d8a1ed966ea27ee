"""The perceptual instrument both engines measure with.

VGG16 features (`vgg`, with weights from `weights` in a `precision`), the layers
a loss reads (`layers`), the Gram, content and total-variation terms (`losses`)
and the `Objective` that weighs them (`objective`), set by `PerceptualOptions`
(`options`). Nothing here knows about optimizing pixels or training networks.
"""
