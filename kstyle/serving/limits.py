"""What a served model accepts, stated without TensorFlow so the CLI can show and check it.

A server's memory is bounded by what one request may ask for, so the budget is
per request, not only per image: the pixels of each image, the pixels of all
images in the request together, and how many images it holds. The exported
graph enforces it before anything is decoded or run (`kstyle.serving.guards`);
`kstyle export` takes its flags' defaults and help from here.
"""

from typing import NamedTuple

from kstyle import checks
from kstyle.errors import UsageError

# The largest image (height x width) a served model accepts.
DEFAULT_MAX_PIXELS = 4096 * 4096
# Images in one request: many small ones are fine, the pixel budget bounds the rest.
DEFAULT_MAX_BATCH = 64
_MIN_PIXELS = 16 * 16  # the network's smallest input (kstyle.feedforward.network.MIN_SIDE squared)
# The largest limits: far beyond any image or request, and small enough that the graph's int64 sum of a
# request's pixels (at most max_batch images of max_pixels each, or it is refused) cannot overflow.
_LARGEST_PIXELS = 2**40
_LARGEST_BATCH = 2**20


class Budget(NamedTuple):
    """A request's budget.

    Attributes:
        max_pixels: height x width of one image.
        max_request_pixels: the pixels of every image in one request, added up;
            the network's peak memory follows it. Defaults to `max_pixels`, so a
            request costs at most what its largest allowed image costs.
        max_batch: images in one request.
    """
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_request_pixels: int = DEFAULT_MAX_PIXELS
    max_batch: int = DEFAULT_MAX_BATCH


def budget(max_pixels=None, max_request_pixels=None, max_batch=None):
    """Returns a checked `Budget`; None takes the default (`max_request_pixels`: `max_pixels`).

    Raises:
        UsageError: a limit below one smallest image or above `_LARGEST_PIXELS` (`_LARGEST_BATCH` images),
            or a request budget below one largest image.
    """
    max_pixels = DEFAULT_MAX_PIXELS if max_pixels is None else _within(
        "max_pixels", max_pixels, _MIN_PIXELS, _LARGEST_PIXELS)
    max_request_pixels = max_pixels if max_request_pixels is None else _within(
        "max_request_pixels", max_request_pixels, _MIN_PIXELS, _LARGEST_PIXELS)
    max_batch = DEFAULT_MAX_BATCH if max_batch is None else _within("max_batch", max_batch, 1, _LARGEST_BATCH)
    if max_request_pixels < max_pixels:
        raise UsageError(f"max_request_pixels {max_request_pixels} is below max_pixels {max_pixels}: "
                         "the largest image allowed could never be sent")
    return Budget(max_pixels, max_request_pixels, max_batch)


def _within(name, value, low, high):
    value = checks.integer(name, value, -(2**62), 2**62)
    if value < low:
        raise UsageError(f"{name} must be at least {low}, got {value}")
    if value > high:
        raise UsageError(f"{name} must be at most {high}, got {value}")
    return value
