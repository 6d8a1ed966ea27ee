import pytest

from kstyle.errors import UsageError
from kstyle.options import StylizeOptions


def test_defaults_are_valid_and_parsed():
    options = StylizeOptions()
    assert options.style_layers[0] == ("block1_conv1", 0.2)
    assert options.content_layers == (("block4_conv2", 1.0),)


@pytest.mark.parametrize("option, value, message", [
    ("max_size", 0, "between 1 and"),
    ("max_size", 10**6, "between 1 and"),
    ("max_size", 2.5, "whole number"),
    ("iterations", 0, "between 1 and"),
    ("optimizer", "sgd", "lbfgs, adam"),
    ("learning_rate", 0, "positive"),
    ("style_weight", -1, "non-negative"),
    ("content_weight", "lots", "must be a number"),
    ("tv_weight", float("inf"), "non-negative"),
    ("gram_normalization", "l2", "gatys, hw"),
    ("pooling", "min", "max, avg"),
    ("init", "/no/such/image.png", "neither"),
    ("vgg_weights", "/no/such.h5", "neither"),
    ("seed", -1, "between 0 and"),
])
def test_bad_values_name_the_option(option, value, message):
    with pytest.raises(UsageError, match=f"{option}.*{message}"):
        StylizeOptions(**{option: value})


def test_from_kwargs_refuses_unknown_options():
    with pytest.raises(UsageError, match="unknown option.*iterationz"):
        StylizeOptions.from_kwargs(iterationz=3)
