"""Tests of kstyle.errors: what counts as the user's interrupt."""

import pytest

from kstyle.errors import INTERRUPTS, first_line, is_interrupt, write_failure


def _raised(function):
    try:
        function()
    except BaseException as error:  # the test inspects whatever was raised, KeyboardInterrupt included
        return error
    raise AssertionError("nothing was raised")


def _keyboard_interrupt():
    raise KeyboardInterrupt


def _interrupt_in_c_code():
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as interrupt:
        raise SystemError("<built-in method __array__> returned a result with an exception set") from interrupt


def _tensorflow_reraise():
    # What tensorflow/python/util/traceback_utils.py does with every error: `raise e.with_traceback(tb) from None`.
    try:
        _interrupt_in_c_code()
    except Exception as error:
        raise error.with_traceback(None) from None


def _system_error():
    raise SystemError("a real bug")


def _error_while_handling_another():
    try:
        raise ValueError("first")
    except ValueError:
        raise SystemError("second") from None


@pytest.mark.parametrize("function, expected", [
    (_keyboard_interrupt, True),
    (_interrupt_in_c_code, True),
    (_tensorflow_reraise, True),
    (_system_error, False),
    (_error_while_handling_another, False),
])
def test_is_interrupt(function, expected):
    error = _raised(function)
    assert is_interrupt(error) is expected
    if expected:  # and the except clauses that ask is_interrupt see it at all
        assert isinstance(error, INTERRUPTS)


def test_tensorflow_reraise_drops_the_cause_but_keeps_the_context():
    # The case is_interrupt must not miss (seen in CI: SIGTERM inside convert_to_eager_tensor).
    error = _raised(_tensorflow_reraise)
    assert error.__cause__ is None and isinstance(error.__context__, KeyboardInterrupt)


def test_first_line():
    assert first_line(ValueError("one\ntwo")) == "one"
    assert first_line(ValueError("")) == "ValueError"


def test_first_line_leaves_out_tensorflows_wrapping():
    message = ("{{function_node __wrapped__SaveV2_dtypes_47_device_/job:localhost/replica:0/task:0/device:CPU:0}} "
               "run/ckpt-3_temp/part-00000; File too large [Op:SaveV2]")
    assert first_line(RuntimeError(message)) == "run/ckpt-3_temp/part-00000; File too large"


def test_write_failure_is_the_systems_words():
    assert write_failure(OSError(28, "No space left on device")) == "No space left on device"
    long_path = "run/checkpoints/ckpt-3_temp/" + "x" * 200
    assert write_failure(RuntimeError(f"{{{{function_node SaveV2}}}} {long_path}; File too large [Op:SaveV2]")) == \
        "File too large"
