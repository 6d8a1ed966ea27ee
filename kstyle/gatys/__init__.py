"""Style transfer by optimization (Gatys et al.): the pixels of one image are optimized.

A run is planned without TensorFlow (`plan`: inputs read and checked once, from
`StylizeOptions` in `options`), then `stylize` runs it scale by scale: colours
prepared (`colors`), an `Objective` per scale, the optimizer loop (`optimize`,
with `lbfgs`), the loss evaluated whole or in exact tiles (`tiling`), and
`callbacks` watching. It depends on `kstyle.perceptual` only.
"""
