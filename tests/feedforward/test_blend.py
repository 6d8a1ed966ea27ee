import pytest

from kstyle.errors import UsageError
from kstyle.feedforward import blend

STYLES = ("starry_night", "the_scream", "wave")


def test_weights_are_per_style_in_the_network_order_and_sum_to_one():
    assert blend.weights("wave:3,starry_night:1", STYLES) == [0.25, 0.0, 0.75]
    assert blend.weights("the_scream", STYLES) == [0.0, 1.0, 0.0]
    assert blend.weights([("wave", 2.0)], STYLES) == [0.0, 0.0, 1.0]


@pytest.mark.parametrize("text, message", [
    ("", "give style names"),
    ("wave:x", "not NAME:WEIGHT"),
    ("wave:-1", "non-negative"),
    ("wave:nan", "non-negative"),
    ("wave,wave:2", "given twice"),
    ("udnie:1", "not udnie"),
    ("wave:0,the_scream:0", "add up to 0"),
])
def test_bad_blends_are_one_line_errors(text, message):
    with pytest.raises(UsageError, match=message) as error:
        blend.weights(text, STYLES)
    assert "\n" not in str(error.value)


def test_strength_is_a_number_from_0_to_1():
    assert blend.strength("0.25") == 0.25 and blend.strength(1) == 1.0
    for bad in ("-0.1", "1.5", "strong", None):
        with pytest.raises(UsageError, match="strength"):
            blend.strength(bad)


def test_choose_says_which_styles_a_run_paints():
    assert blend.choose((), None) is None  # a network from before styles had names
    assert blend.choose(("wave",)) == [1.0]
    assert blend.choose(STYLES, style="wave") == [0.0, 0.0, 1.0]  # --model=wave, a shipped style
    assert blend.choose(STYLES, "starry_night:1,wave:1", style="wave") == [0.5, 0.0, 0.5]  # --blend wins
    with pytest.raises(UsageError, match=r"^net.keras paints 3 styles \(starry_night, the_scream, wave\); say "):
        blend.choose(STYLES, model="net.keras")
    with pytest.raises(UsageError, match="one style without a name"):
        blend.choose((), "wave")
