import pytest

from kstyle.errors import UsageError
from kstyle.feedforward.options import TrainOptions
from kstyle.feedforward.sizes import MIN_SIDE, max_dilation


def test_dilations_come_as_text_or_numbers():
    assert TrainOptions(downsamplings=0, dilations="2, 4,8").dilations == (2, 4, 8)
    assert TrainOptions(downsamplings=0, dilations=[2, 4]).dilations == (2, 4)
    assert TrainOptions(dilations="").dilations == () == TrainOptions().dilations


def test_a_dilation_must_pad_at_the_residual_blocks_resolution():
    assert (max_dilation(0), max_dilation(2)) == (MIN_SIDE - 1, MIN_SIDE // 4 - 1)
    assert TrainOptions(downsamplings=2, dilations="3").dilations == (3,)
    with pytest.raises(UsageError, match=r"dilations must be between 1 and 3, got 4"):
        TrainOptions(downsamplings=2, dilations="2,4")
    with pytest.raises(UsageError, match="dilations must be a whole number, got 'x'"):
        TrainOptions(downsamplings=0, dilations="2,x")


def test_widths_scales_and_the_lattice_charge_are_checked():
    options = TrainOptions(widths="16,32,32", decoder_widths="8,4", style_scales="1,0.5", lattice_weight="10")
    assert (options.widths, options.decoder_widths, options.style_scales, options.lattice_weight) == (
        (16, 32, 32), (8, 4), (1.0, 0.5), 10.0)
    assert TrainOptions().style_scales == (1.0,) and TrainOptions().lattice_weight == 0.0
    with pytest.raises(UsageError, match="widths needs 3 numbers with 2 downsamplings"):
        TrainOptions(widths="16,32")
    with pytest.raises(UsageError, match="decoder_widths needs 1 numbers with 1 downsamplings"):
        TrainOptions(downsamplings=1, decoder_widths="8,4")
    with pytest.raises(UsageError, match="style_scales must be 1, then coarser scales between 0 and 1"):
        TrainOptions(style_scales="0.5,1")
    with pytest.raises(UsageError, match="lattice_weight must be a non-negative number"):
        TrainOptions(lattice_weight=-1)
    assert TrainOptions(style_scales="1,0.5", style_scale_weights="0.2,1").style_scale_weights == (0.2, 1.0)
    assert TrainOptions().style_scale_weights == ()
    with pytest.raises(UsageError, match="style_scale_weights needs 2 numbers of 0 or more, one per style scale"):
        TrainOptions(style_scales="1,0.5", style_scale_weights="0.2")
