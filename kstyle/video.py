"""Video clips for `kstyle transform`: decoded, painted and encoded frame by frame, sound and timing kept.

A clip is streamed: one decoded frame at a time goes to the painter and on to
the encoder, so memory does not grow with the clip's length. Besides the
pictures, the output keeps what a viewer would miss:

* every frame's timestamp, so the frame count, the frame rate and a variable
  rate (a phone's) come out as they went in;
* the rotation a phone records instead of turning the pixels (the display
  matrix), so the clip plays upright; the frames are painted as stored;
* every audio stream, copied packet by packet; only where the output's
  container cannot hold the codec is it re-encoded, to AAC (`Written.notes`
  says so).

Video is encoded H.264 in yuv420p, which every player plays, at a constant
quality `crf` (x264's scale: 0 lossless, 18 about visually lossless, 23 x264's
own default, 51 worst); yuv420p needs even sides, so an odd row or column is
scaled away. yuv420p also keeps one colour per 2x2 pixels, and a painting's
fine colour strokes, sampled on that fixed grid as they move, alias into a
shimmer: about half of what flickered in a painted clip (BENCHMARKS.md,
"Video"). So the colour (not the brightness) is blurred first, as a filter
before that sampling should (`soften_chroma`). Subtitle and data streams are
left out.

The clip is written to a hidden file beside the output and renamed when it is
complete. Interrupted (Ctrl-C), the frames painted so far are finished into a
playable clip at the output's path, the run's latest result as for images;
interrupted before the first frame, nothing is written. PyAV (FFmpeg) does the
decoding and encoding, imported when a clip is read
(so `kstyle --help` does not wait for it); TensorFlow is not imported.
"""

import collections
import os
import tempfile
import time
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from kstyle import images
from kstyle.errors import INTERRUPTS, Error, ImageError, UsageError, is_interrupt, write_failure

# What a folder is searched for, besides images; FFmpeg reads many more when named directly.
READABLE_EXTENSIONS = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts", ".m2ts",
                       ".3gp", ".wmv", ".flv", ".ogv")
# The Gaussian (pixels) that softens a frame's colour before yuv420p halves its resolution.
CHROMA_SIGMA = 1.0
# The containers H.264 is written in, by the output's extension.
_CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
WRITABLE_EXTENSIONS = tuple(_CONTAINERS)
DEFAULT_CRF = 18
MAX_CRF = 51


class Clip(NamedTuple):
    """What a clip holds, read before painting it.

    Attributes:
        width, height: the frames' size as stored (before rotation).
        frames: how many frames; estimated from the duration where the
            container does not say, 0 where it says nothing at all.
        rate: the average frame rate (frames per second, a Fraction).
        rotation: the degrees a player turns the frames by (0, 90, 180, 270).
        audio: how many audio streams.
    """
    width: int
    height: int
    frames: int
    rate: Fraction
    rotation: int
    audio: int


class Written(NamedTuple):
    """What `transcode` wrote.

    Attributes:
        frames: frames painted and written.
        interrupted: True if Ctrl-C cut the clip short (its frames are playable).
        notes: things the user should know (an audio stream re-encoded).
    """
    frames: int
    interrupted: bool
    notes: tuple


def is_video(path):
    """Whether `path` is named like a video (the check `kstyle transform` sorts its inputs by)."""
    return path.lower().endswith(READABLE_EXTENSIONS)


def check_writable(path):
    """Refuses an output path no H.264 clip can be written to, before any work.

    Raises:
        UsageError: the extension is not one of `WRITABLE_EXTENSIONS`.
        ImageError: the directory does not exist or cannot be written to.
    """
    if not path.lower().endswith(WRITABLE_EXTENSIONS):
        raise UsageError(f"{path}: a video is written as one of {', '.join(WRITABLE_EXTENSIONS)}")
    images.check_writable_file(path)


def check_crf(crf):
    """`crf` as an int, or a `UsageError` when it is off x264's scale."""
    if isinstance(crf, bool) or not isinstance(crf, (int, np.integer)) or not 0 <= crf <= MAX_CRF:
        raise UsageError(f"crf must be a whole number from 0 (lossless) to {MAX_CRF}, got {crf!r}")
    return int(crf)


def probe(source):
    """Returns the `Clip` in `source`, decoding its first frame to be sure it can be painted.

    Raises:
        ImageError: `source` is missing, is not a video, or has no video stream
            FFmpeg can decode.
    """
    import av
    with _opened(source) as container:
        if not container.streams.video:
            raise ImageError(f"{source}: has no video stream")
        stream = container.streams.video[0]
        try:
            first = next(container.decode(stream), None)
        except av.FFmpegError as error:
            raise ImageError(f"{source}: cannot decode its video ({_reason(error)})") from None
        if first is None:
            raise ImageError(f"{source}: its video stream has no frames")
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        frames = stream.frames
        if not frames and stream.duration and stream.time_base:
            frames = round(float(stream.duration * stream.time_base * rate))
        elif not frames and container.duration:
            frames = round(container.duration / av.time_base * float(rate))
        return Clip(first.width, first.height, int(frames or 0), Fraction(rate), int(first.rotation or 0) % 360,
                    len(container.streams.audio))


def output_size(clip, max_size=None):
    """`(height, width)` of the painted frames: shrunk to `max_size` on the longest side, even for yuv420p."""
    height, width = clip.height, clip.width
    if max_size and max(height, width) > max_size:
        scale = max_size / max(height, width)
        height, width = round(height * scale), round(width * scale)
    return max(2, height - height % 2), max(2, width - width % 2)


def transcode(source, target, paint_frames, *, crf=DEFAULT_CRF, max_size=None, on_frame=None):
    """Paints the clip `source` into `target`, streaming, with its timing, rotation and sound.

    Args:
        source: a video file.
        target: the clip to write (`check_writable`); replaced only when complete
            (or interrupted with frames done).
        paint_frames: a function from an iterator of uint8 `[h, w, 3]` frames to
            an iterator of painted ones, one out for each in and in order
            (`kstyle.feedforward.frames.stylize_frames` with a network): a
            generator can keep state from frame to frame.
        crf: H.264's constant quality, 0-51 (see the module's docstring).
        max_size: frames with a longer side are shrunk to it.
        on_frame: called with the count of frames written after each one.

    Returns:
        `Written`.

    Raises:
        ImageError: `source` is not a clip kstyle can read.
        Error: `target` cannot be written; whatever `paint_frames` raises.
        KeyboardInterrupt: Ctrl-C before the first frame was written.
    """
    import av
    crf = check_crf(crf)
    check_writable(target)
    clip = probe(source)
    height, width = output_size(clip, max_size)
    directory, name = os.path.split(os.path.abspath(target))
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".partial")
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(handle, 0o666 & ~umask)  # a new file's permissions, not mkstemp's 0600
        os.close(handle)
    except OSError as error:
        raise Error(f"{target}: cannot write in {directory} ({write_failure(error)})") from None
    done, interrupted, notes = 0, False, []
    try:
        with _opened(source) as reader, av.open(temporary, "w", format=_CONTAINERS[_extension(target)]) as writer:
            video_in = reader.streams.video[0]
            video_in.thread_type = "AUTO"
            video_out = writer.add_stream("libx264", rate=clip.rate, options={"crf": str(crf)})
            video_out.width, video_out.height, video_out.pix_fmt = width, height, "yuv420p"
            video_out.codec_context.time_base = video_in.time_base
            if clip.rotation:
                video_out.set_display_rotation(clip.rotation)
            try:
                audio = {stream.index: _AudioOut(stream, writer, _extension(target), notes, source)
                         for stream in reader.streams.audio}
            except ValueError as error:  # PyAV refuses a stream it cannot describe to the muxer
                raise Error(f"{source}: cannot carry its audio into {target} ({_reason(error)})") from None
            stamps, durations = collections.deque(), {}
            frames = _decoded(reader, video_in, audio, stamps, height, width, source)
            try:
                for painted in paint_frames(frames):
                    frame = av.VideoFrame.from_ndarray(soften_chroma(_checked(painted, height, width)),
                                                       format="rgb24")
                    pts, durations[pts] = stamps.popleft()
                    frame.pts, frame.time_base = pts, video_in.time_base
                    writer.mux(_timed(video_out.encode(frame), durations))
                    done += 1
                    if on_frame:
                        on_frame(done)
            except INTERRUPTS as error:
                if not is_interrupt(error) or not done:
                    raise
                interrupted = True
            writer.mux(_timed(video_out.encode(None), durations))
            for out in audio.values():
                out.finish()
        os.replace(temporary, target)
    except BaseException as error:
        if os.path.exists(temporary):
            os.unlink(temporary)
        if isinstance(error, av.FFmpegError):
            raise Error(f"{target}: cannot write the clip ({_reason(error)})") from None
        if isinstance(error, OSError):
            raise Error(f"{target}: cannot write it ({write_failure(error)})") from None
        raise
    return Written(done, interrupted, tuple(notes))


class Rate:
    """Frames per second over the last few seconds, for a progress line."""

    def __init__(self, window=5.0, clock=time.monotonic):
        self._window, self._clock = window, clock
        self._times = collections.deque()

    def tick(self):
        """Records a frame; returns the rate (0 until two frames were seen)."""
        now = self._clock()
        self._times.append(now)
        while len(self._times) > 2 and now - self._times[0] > self._window:
            self._times.popleft()
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0


class _AudioOut:
    """One audio stream of the output: the input's packets copied, or re-encoded to AAC where they cannot be."""

    def __init__(self, stream, writer, extension, notes, source):
        self._writer = writer
        codec = stream.codec_context.name
        if codec in writer.supported_codecs:
            self._stream, self._encoder = writer.add_stream_from_template(stream), None
        else:
            self._encoder = writer.add_stream("aac", rate=stream.codec_context.sample_rate or 48000)
            self._encoder.layout = stream.codec_context.layout
            self._stream = self._encoder
            notes.append(f"{source}: its {codec} audio cannot go in a {extension} file; "
                         "it was re-encoded to AAC")

    def put(self, packet):
        if packet.dts is None:  # the demuxer's empty packet at the end of the stream
            return
        if self._encoder is None:
            packet.stream = self._stream
            self._writer.mux(packet)
            return
        for frame in packet.decode():
            frame.pts = None  # the encoder counts samples itself
            self._writer.mux(self._encoder.encode(frame))

    def finish(self):
        if self._encoder is not None:
            self._writer.mux(self._encoder.encode(None))


def _decoded(reader, video_in, audio, stamps, height, width, source):
    """Yields the frames, uint8 `[height, width, 3]` RGB, copying audio packets to the output as they come.

    Each frame's timestamp and duration go on `stamps` (the last frame's
    duration is the clip's end); a frame without a timestamp is given the one
    after its predecessor's at the clip's frame rate.
    """
    import av
    step = max(1, round(1 / (float(video_in.average_rate or 30) * float(video_in.time_base))))
    last = None
    try:
        for packet in reader.demux(video_in, *[reader.streams[index] for index in audio]):
            if packet.stream.type == "audio":
                audio[packet.stream.index].put(packet)
                continue
            for frame in packet.decode():
                pts = frame.pts if frame.pts is not None else (0 if last is None else last + step)
                if last is not None and pts <= last:  # a repeated or reordered stamp: H.264 needs them rising
                    pts = last + 1
                stamps.append((pts, frame.duration or step))
                last = pts
                yield frame.to_ndarray(format="rgb24", width=width, height=height, interpolation="LANCZOS")
    except av.FFmpegError as error:
        raise ImageError(f"{source}: cannot decode its video ({_reason(error)})") from None


def _timed(packets, durations):
    """`packets` with each frame's own duration (x264 drops it, and the muxer guesses the last frame's)."""
    for packet in packets:
        packet.duration = durations.pop(packet.pts, packet.duration)
    return packets


def soften_chroma(rgb, sigma=CHROMA_SIGMA):
    """`rgb` (uint8 `[h, w, 3]`) with its colour blurred by a Gaussian of `sigma` px and its brightness kept.

    What yuv420p keeps of colour is one sample per 2x2 pixels; colour finer
    than that aliases, and in a moving picture the aliases move with the pixel
    grid, not the picture. The blur is the filter before that sampling.
    """
    import cv2
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    ycrcb[..., 1:] = cv2.GaussianBlur(ycrcb[..., 1:], (0, 0), sigma)
    return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB)


def _checked(painted, height, width):
    painted = np.asarray(painted)
    if painted.shape != (height, width, 3):
        raise Error(f"the painter returned a frame of shape {painted.shape}, not {(height, width, 3)}")
    return np.ascontiguousarray(painted, np.uint8)


class _opened:
    """`av.open(source)` for reading, whose failures are one-line `ImageError`s."""

    def __init__(self, source):
        self._source = source

    def __enter__(self):
        import av
        if not os.path.isfile(self._source):
            raise ImageError(f"{self._source}: no such file")
        try:
            self._container = av.open(self._source)
        except (av.FFmpegError, UnicodeDecodeError) as error:
            raise ImageError(f"{self._source}: not a video kstyle can read ({_reason(error)})") from None
        return self._container

    def __exit__(self, *exc):
        self._container.close()


def _extension(path):
    return os.path.splitext(path)[1].lower()


def _reason(error):
    """FFmpeg's words for what went wrong, without the errno and path PyAV adds."""
    text = getattr(error, "strerror", None) or str(error)
    return text.strip().rstrip(".")
