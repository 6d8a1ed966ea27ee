"""Style transfer in one pass (Johnson et al.): a network trained with the perceptual loss.

The network (`network`), its loss as a Keras loss (`perceptual_loss`), the model
whose `fit()` trains it (`trainer`), the resumable training run (`training`,
with its Keras `callbacks`, its `data` pipeline and `TrainOptions` from
`options`), applying a trained network to images (`apply`) and to streams of
frames (`frames`), and the networks that ship with the package (`shipped`). It depends on `kstyle.perceptual` only.
"""
