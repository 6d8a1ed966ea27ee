import dataclasses

import pytest

from kstyle.errors import UsageError
from kstyle.feedforward.options import JOHNSON_PERCEPTUAL, TrainOptions
from kstyle.gatys.options import StylizeOptions
from kstyle.perceptual.options import FIELDS, PerceptualOptions


def test_parsed_once_and_idempotent():
    options = PerceptualOptions(style_layers="block1_conv1:2,block3_conv1", content_layers=["block4_conv2"])
    assert options.style_layers == (("block1_conv1", 2.0), ("block3_conv1", 0.5))
    assert options.layer_names == ["block1_conv1", "block3_conv1", "block4_conv2"]
    assert options.deepest_layer() == "block4_conv2" and options.min_side() == 8
    # Parsed values go through the checks again unchanged: replace() and configs rebuild the same options.
    assert dataclasses.replace(options) == options
    assert PerceptualOptions(**options.to_config()) == options


def test_each_engine_composes_it_with_its_own_defaults():
    assert StylizeOptions().perceptual == PerceptualOptions()
    assert TrainOptions().perceptual == PerceptualOptions(**JOHNSON_PERCEPTUAL)
    assert TrainOptions().perceptual.gram_normalization == "hw" and StylizeOptions().perceptual.tv_weight == 10
    # Total variation per pixel for the optimizer (one look at every size), summed for training (Johnson's).
    assert (StylizeOptions().perceptual.tv_normalization, TrainOptions().perceptual.tv_normalization) == (
        "pixels", "sum")


def test_flat_keywords_reach_the_perceptual_options():
    options = StylizeOptions.from_kwargs(style_weight="5", max_size=300, pooling="avg")
    assert (options.max_size, options.perceptual.style_weight, options.perceptual.pooling) == (300, 5.0, "avg")
    flat = options.flat()
    assert set(flat) == set(StylizeOptions.names()) and set(FIELDS) <= set(flat)
    assert StylizeOptions.from_kwargs(**flat) == options
    train = TrainOptions.from_kwargs(style_weight=1e-2, width=8)
    assert train.perceptual.style_layers == TrainOptions().perceptual.style_layers  # the rest stay Johnson's
    assert (train.width, train.perceptual.style_weight) == (8, 1e-2)


def test_an_options_object_and_keywords_combine():
    base = PerceptualOptions(style_weight=3)
    options = StylizeOptions.from_kwargs(perceptual=base, tv_weight=0)
    assert (options.perceptual.style_weight, options.perceptual.tv_weight) == (3.0, 0.0)
    with pytest.raises(UsageError, match="perceptual must be PerceptualOptions"):
        StylizeOptions(perceptual={"style_weight": 3})


def test_cross_checks_use_the_composed_layers():
    assert StylizeOptions.from_kwargs(max_size=64, scales=4, style_layers="block2_conv1",
                                      content_layers="block2_conv2").scales == (8, 16, 32, 64)
    with pytest.raises(UsageError, match="block5_conv1 needs at least 16"):
        StylizeOptions.from_kwargs(max_size=64, scales=4, style_layers="block5_conv1")
