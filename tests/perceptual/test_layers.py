import pytest

from kstyle.errors import UsageError
from kstyle.perceptual.layers import deepest, format_layer_weights, geometry, min_side, parse_layer_weights, stride


def test_default_weights_are_one_over_count():
    assert parse_layer_weights("block1_conv1, block2_conv1") == (("block1_conv1", 0.5), ("block2_conv1", 0.5))


def test_explicit_weights_and_forms():
    expected = (("block1_conv1", 2.0), ("block3_conv1", 0.5))
    assert parse_layer_weights("block1_conv1:2,block3_conv1:0.5") == expected
    assert parse_layer_weights({"block1_conv1": 2, "block3_conv1": 0.5}) == expected
    assert parse_layer_weights([("block1_conv1", 2), "block3_conv1:0.5"]) == expected
    assert parse_layer_weights(["block4_conv2"]) == (("block4_conv2", 1.0),)


@pytest.mark.parametrize("spec, message", [
    ("block6_conv1", "unknown VGG16 layer 'block6_conv1'"),
    ("block1_conv1:abc", "must be a number"),
    ("block1_conv1:-1", "non-negative"),
    ("block1_conv1:nan", "non-negative"),
    ("block1_conv1:0", "above zero"),
    ("block1_conv1,block1_conv1", "twice"),
    ("", "at least one"),
    (" , ", "at least one"),
    (42, "expected layer names"),
])
def test_bad_specs(spec, message):
    with pytest.raises(UsageError, match=message):
        parse_layer_weights(spec, "style_layers")


def test_deepest_and_format():
    style = parse_layer_weights("block1_conv1,block5_conv1")
    content = parse_layer_weights("block4_conv2")
    assert deepest(style, content) == "block5_conv1"
    assert parse_layer_weights(format_layer_weights(style)) == style


def test_min_side_follows_the_pools_before_the_deepest_layer():
    assert min_side(parse_layer_weights("block1_conv2")) == 1
    assert min_side(parse_layer_weights("block1_conv1,block2_conv1")) == 2
    assert min_side(parse_layer_weights("block5_conv1"), parse_layer_weights("block1_conv1")) == 16
    assert min_side(parse_layer_weights("block5_pool")) == 32


def test_geometry_follows_the_deepest_layer():
    assert geometry(["block1_conv2"]) == (1, 2)
    assert geometry(["block1_conv1", "block3_conv1"]) == (4, 16)  # radius 1+1+1+2+2+2+4 = 13
    assert geometry(["block5_conv1"]) == (16, 80)
    assert stride("block1_conv1") == 1 and stride("block2_conv1") == 2
    assert stride("block5_pool") == 32
