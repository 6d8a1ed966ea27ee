"""Painting a stream of frames (a video, a webcam) one by one, as a generator.

`kstyle transform` paints clips through this, and so can your own decoder:

    >>> from kstyle.feedforward import apply, frames
    >>> network = apply.load_network("starry_night")
    >>> for painted in frames.stylize_frames(network, my_camera_frames()):
    ...     show(painted)

Frames are pulled one at a time, so a stream of any length (or none) takes the
memory of one frame. Each is painted on its own: a network's strokes follow the
picture, so a frame that barely changes can still flicker.
"""

import numpy as np

from kstyle.feedforward import apply


def stylize_frames(network, frames, max_size=None):
    """Yields each frame of `frames` painted, uint8 `[h, w, 3]`, as it is asked for.

    Args:
        network: what `apply.load_network` returns (any function from float
            0-255 `[1, h, w, 3]` batches to painted ones).
        frames: an iterable of RGB frames `[h, w, 3]`, uint8 or float 0-255.
        max_size: frames with a longer side are shrunk to it first.

    Raises:
        UsageError: a frame smaller than the network accepts.
        Error: the machine has not the memory to paint a frame.
    """
    for frame in frames:
        yield apply.stylize(network, np.asarray(frame, np.float32), max_size)
