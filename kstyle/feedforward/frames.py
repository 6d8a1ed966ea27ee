"""Painting a stream of frames (a video, a webcam) one by one, as a generator.

`kstyle transform` paints clips through this, and so can your own decoder:

    >>> from kstyle.feedforward import apply, frames
    >>> network = apply.load_network("starry_night")
    >>> for painted in frames.stylize_frames(network, my_camera_frames()):
    ...     show(painted)

Frames are pulled one at a time, so a stream of any length (or none) takes the
memory of a few frames. A network's strokes follow the smallest changes in the
picture, so frames painted each on its own flicker; by default each painting is
averaged with the few before it along the optical flow
(`kstyle.feedforward.temporal`), and `temporal="none"` paints each on its own.
"""

import numpy as np

from kstyle.feedforward import apply, temporal as temporal_module


def stylize_frames(network, frames, max_size=None, temporal=temporal_module.DEFAULT_MODE):
    """Each frame of `frames` painted, uint8 `[h, w, 3]`, as it is asked for (a generator).

    Args:
        network: what `apply.load_network` returns (any function from float
            0-255 `[1, h, w, 3]` batches to painted ones).
        frames: an iterable of RGB frames `[h, w, 3]`, uint8 or float 0-255,
            in order.
        max_size: frames with a longer side are shrunk to it first.
        temporal: one of `kstyle.feedforward.temporal.MODES`.

    Raises:
        UsageError: an unknown `temporal` mode (at once, before any frame is
            read), or a frame smaller than the network accepts (as it comes).
        Error: the machine has not the memory to paint a frame.
    """
    steady = temporal_module.Steadier() if temporal_module.check_mode(temporal) == "flow" else None
    return _painted(network, frames, max_size, steady)


def _painted(network, frames, max_size, steady):
    for frame in frames:
        painted = apply.stylize(network, np.asarray(frame, np.float32), max_size)
        yield painted if steady is None else steady(frame, painted)
