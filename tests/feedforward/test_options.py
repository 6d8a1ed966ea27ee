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
