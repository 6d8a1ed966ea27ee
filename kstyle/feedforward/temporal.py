"""Painting video without flicker: each painted frame averaged with the few before it, carried along the flow.

A network paints each frame on its own, and its strokes follow the smallest
changes in the picture (a sensor's noise, a pan by a fraction of a pixel), so
they shimmer from frame to frame. In the `flow` mode each painted frame is
averaged with the paintings of up to `HISTORY` frames before it, each carried to
where its pixels are now by the optical flow between the input frames (OpenCV's
DIS), with bicubic resampling (bilinear blurs what it carries by up to half a
pixel, which no restoring gives back). Where a carried input frame does not
match the current one around a pixel (a thing that came into view, a flow that
went wrong) its painting counts less, down to nothing, so nothing ghosts; older
paintings count less too (`DECAY`). A frame that matches the one before it
nowhere (a cut) starts afresh. The flow, its chaining from frame to frame and
the matching are all done on the input frames halved: they are smooth, and a
quarter of the pixels cost a quarter; only the paintings are carried at full
size.

Averaging strokes that do not line up lowers their contrast: a plain average of
three paintings is visibly softer. So each band of detail (the levels of a
Laplacian pyramid, `LEVELS` of them) of the average is given back, per channel,
the energy it has in the frame's own painting: the picture stays about as crisp
as one painting, and what is kept of each stroke is what the frames agree on.
Nothing is trained, so it works with every network and form
(`kstyle.feedforward.apply`).
What it costs and what it buys is in BENCHMARKS.md ("Video").
"""

import numpy as np

from kstyle import checks

# `flow` (the default for clips): averaged along the optical flow, as above; `none`: each frame painted on its own.
MODES = ("flow", "none")
DEFAULT_MODE = "flow"
# Earlier paintings averaged with each frame's own, and how much each frame of age lowers one's weight.
HISTORY = 2
DECAY = 0.8
# Grey levels (0-255) of mismatch between a carried input frame and the current one, averaged over a few pixels
# around each (`REACH`, in full-size pixels), at which its painting's weight falls to 1/e: sensor noise and
# resampling stay well under it, a thing that moved in front does not. A frame whose median mismatch is above it
# is a cut.
TOLERANCE = 25.0
REACH = 2.0
# Levels of the Laplacian pyramid whose energies are restored: periods of about 2-4, 4-8 and 8-16 px.
LEVELS = 3
# Frames with a shorter side are given back as painted: DIS needs 12 px, and a flow needs room to be found.
MIN_SIDE = 32
_OUTSIDE = 1e4


def check_mode(mode):
    """`mode` if it is one of `MODES`, else a `UsageError` that names them."""
    return checks.choice("temporal", mode, MODES)


class Steadier:
    """Averages each painted frame with the ones before it, carried along the optical flow (see the module).

    Call it with each input frame and its painting, in order; it keeps what
    the next frame needs (a few frames' worth of memory, whatever the clip's
    length).

    Args:
        history: earlier paintings averaged in (0: each painting as it is).
        decay: the weight of a painting one frame older, relative.
        tolerance: see `TOLERANCE`.
    """

    def __init__(self, history=HISTORY, decay=DECAY, tolerance=TOLERANCE):
        import cv2
        self._cv2 = cv2
        self.history = int(history)
        self.decay = float(decay)
        self.tolerance = float(tolerance)
        self._flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        # (painting, its input frame halved and grey, where each halved pixel of the current frame is in that one)
        self._kept = []
        self._grey = None
        self._grid = None  # each halved pixel's own place
        self._size = None  # the full size, and how much larger than the halved one it is
        self._scale = None

    def __call__(self, frame, painting):
        """Returns the steadied painting, uint8 `[h, w, 3]`, of `frame` (the input) and `painting` (its painting).

        `frame` is resized to the painting's size if it differs (the network
        may have painted it shrunk). Paintings under `MIN_SIDE` are given
        back as they are.
        """
        cv2 = self._cv2
        painting = np.asarray(painting, np.float32)
        height, width = painting.shape[:2]
        frame = np.asarray(frame)
        if frame.shape[:2] != (height, width):
            frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
        if min(height, width) < MIN_SIDE:
            self._kept, self._grey = [], None
            return np.clip(np.rint(painting), 0, 255).astype(np.uint8)
        # The flow, and how well each carried frame matches, are found on the frames halved: both are smooth.
        grey = cv2.resize(cv2.cvtColor(np.ascontiguousarray(frame, np.uint8), cv2.COLOR_RGB2GRAY),
                          (width // 2, height // 2), interpolation=cv2.INTER_AREA)
        if self._grey is None or self._size != (height, width):
            self._kept, self._size = [], (height, width)
            self._scale = np.float32([width / grey.shape[1], height / grey.shape[0]])
            self._grid = np.stack(np.meshgrid(np.arange(grey.shape[1], dtype=np.float32),
                                              np.arange(grey.shape[0], dtype=np.float32)), -1)
        elif self._kept:
            # Maps are [h, w, 2] float32 (x, y), which cv2.remap reads whole: three times faster than two planes.
            there = self._grid + self._flow.calc(grey, self._grey, None)
            self._kept = [(old, old_grey, cv2.remap(where, there, None, cv2.INTER_LINEAR,
                                                     borderMode=cv2.BORDER_REPLICATE))
                          for old, old_grey, where in self._kept]
        level = grey.astype(np.float32)
        steadied = self._average(painting, level) if self._kept else None
        if steadied is None:  # the first frame, or a cut
            self._kept, steadied = [], painting
        if self.history > 0:
            self._kept = (self._kept + [(painting, level, self._grid)])[-self.history:]
        self._grey = grey
        return cv2.convertScaleAbs(cv2.max(steadied, 0))  # rounded, and saturated at 255

    def _average(self, painting, grey):
        """The average with the kept paintings, detail restored; None if the frame matches the last nowhere."""
        cv2 = self._cv2
        height, width = painting.shape[:2]
        total, summed = 1.0, painting
        for age, (old, old_grey, where) in enumerate(reversed(self._kept), 1):
            # What came from outside the old frame is a mismatch too: its border is far off every grey level.
            carried = cv2.remap(old_grey, where, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                borderValue=_OUTSIDE)
            mismatch = cv2.GaussianBlur(cv2.absdiff(carried, grey), (0, 0), REACH / 2)
            if age == 1 and np.median(mismatch[::2, ::2]) > self.tolerance:
                return None
            weight = cv2.resize(np.exp(-np.square(mismatch * np.float32(1 / self.tolerance))) * np.float32(
                self.decay ** age), (width, height), interpolation=cv2.INTER_LINEAR)
            # From halved pixels to full-size ones, centre to centre: x -> (x + 0.5) * 2 - 0.5.
            full = (cv2.resize(where, (width, height), interpolation=cv2.INTER_LINEAR) + 0.5) * self._scale - 0.5
            carried_painting = cv2.remap(old, full, None, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
            summed = cv2.add(summed, cv2.multiply(carried_painting, cv2.cvtColor(weight, cv2.COLOR_GRAY2RGB)))
            total = weight + total
        return restore_detail(cv2.divide(summed, cv2.cvtColor(total, cv2.COLOR_GRAY2RGB)), painting)


def restore_detail(average, painting, levels=LEVELS):
    """`average` with each level of its Laplacian pyramid scaled, per channel, to the energy of `painting`'s.

    Args:
        average, painting: float32 `[h, w, 3]` on the 0-255 scale.
        levels: the pyramid's levels of detail (each halves the size); what
            is coarser than all of them stays the average's.
    """
    import cv2

    def split(image):
        detail = []
        for _ in range(levels):
            smaller = cv2.pyrDown(image)
            detail.append(cv2.subtract(image, cv2.pyrUp(smaller, dstsize=image.shape[1::-1])))
            image = smaller
        return detail, image

    def deviations(image):  # per channel; OpenCV's is several times NumPy's speed on [h, w, 3]
        return cv2.meanStdDev(image)[1].ravel().astype(np.float32)

    average, painting = np.asarray(average, np.float32), np.asarray(painting, np.float32)
    detail, restored = split(average)
    for ours, theirs in reversed(list(zip(detail, split(painting)[0]))):
        gain = deviations(theirs) / np.maximum(deviations(ours), 1e-3)
        restored = cv2.add(cv2.pyrUp(restored, dstsize=ours.shape[1::-1]),
                           cv2.transform(ours, np.diag(gain)))  # per channel, in one pass
    return restored
