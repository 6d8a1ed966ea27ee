import pytest

from kstyle.errors import UsageError
from kstyle.gatys.options import StylizeOptions


def test_defaults_are_valid_and_parsed():
    options = StylizeOptions()
    assert options.perceptual.style_layers[0] == ("block1_conv1", 0.2)
    assert options.perceptual.content_layers == (("block4_conv2", 1.0),)


@pytest.mark.parametrize("option, value, message", [
    ("max_size", 0, "between 1 and"),
    ("max_size", 10**6, "between 1 and"),
    ("max_size", 2.5, "whole number"),
    ("iterations", 0, "between 1 and"),
    ("iterations", "100,50", "2 counts given for 1 scale; give one number, or one per scale"),
    ("min_change", -0.1, "non-negative"),
    ("lbfgs_history", 0, "between 1 and"),
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
        StylizeOptions.from_kwargs(**{option: value})


def test_from_kwargs_refuses_unknown_options():
    with pytest.raises(UsageError, match="unknown option.*iterationz"):
        StylizeOptions.from_kwargs(iterationz=3)


def test_scales_forms():
    assert StylizeOptions(max_size=512, scales=3).scales == (128, 256, 512)
    assert StylizeOptions(max_size=512, scales="3").scales == (128, 256, 512)
    assert StylizeOptions(max_size=512, scales="128,256").scales == (128, 256, 512)
    assert StylizeOptions(max_size=512, scales=[200, 512]).scales == (200, 512)
    assert StylizeOptions(max_size=40).scales == (40,)


@pytest.mark.parametrize("scales, message", [
    (7, "first scale would be 8 px; with max_size 512 use fewer scales \\(block5_conv1 needs at least 16"),
    ("256,128", "must increase"),
    ("1024,2048", "larger than max_size"),
    (1000, "too many"),
    ("a,b", "whole number"),
    (0, "between 1 and 12"),
])
def test_bad_scales(scales, message):
    with pytest.raises(UsageError, match=f"scales.*{message}"):
        StylizeOptions(max_size=512, scales=scales)


def test_per_style_options_count_styles():
    options = StylizeOptions(style_blend_weights="3,7", style_masks=["a.png", "b.png"])
    assert options.style_blend_weights == (3.0, 7.0)
    options.check_style_count(2)
    with pytest.raises(UsageError, match="style_blend_weights: 2 given for 3 style images"):
        options.check_style_count(3)


@pytest.mark.parametrize("option, value, message", [
    ("style_blend_weights", "0,0", "above zero"),
    ("style_blend_weights", "1,-1", "non-negative"),
    ("style_blend_weights", "", "empty"),
    ("style_scale", 0, "positive"),
    ("preserve_colors", "yes", "none, luminance, histogram"),
])
def test_bad_control_options(option, value, message):
    with pytest.raises(UsageError, match=f"{option}.*{message}"):
        StylizeOptions(**{option: value})


def test_replace_changes_what_is_given_and_rederives_the_rest():
    """A preset plus a change or two: `max_size` moves the scales a count of scales made."""
    preset = StylizeOptions.from_kwargs(max_size=512, scales=3, style_weight=5.0)
    smaller = preset.replace(max_size=64)
    assert smaller.max_size == 64 and smaller.scales == (16, 32, 64) and smaller.perceptual.style_weight == 5.0
    sized = StylizeOptions.from_kwargs(max_size=512, scales="128,512")
    assert sized.replace(iterations=7).scales == (128, 512)  # explicit sizes stay as given
    with pytest.raises(UsageError, match="scales: 512 is larger than max_size 256"):
        sized.replace(max_size=256)
    with pytest.raises(UsageError, match="unknown option.*colour"):
        preset.replace(colour="blue")


def test_iterations_one_for_every_scale_or_one_per_scale():
    assert StylizeOptions(iterations="80").iterations == 80
    options = StylizeOptions(max_size=512, scales=2, iterations="200,60")
    assert options.iterations == (200, 60) and [options.iterations_at(i) for i in (0, 1)] == [200, 60]
    assert StylizeOptions(scales=3, iterations=50).iterations_at(2) == 50
    with pytest.raises(UsageError, match="iterations: 2 counts given for 3 scales"):
        StylizeOptions(scales=3, iterations=[100, 50])


def test_a_recolored_start_is_a_named_init():
    assert StylizeOptions(init="recolored").init == "recolored"
