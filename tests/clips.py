"""Generated video clips for the tests: moving bars with known timestamps, rotation and sound (PyAV)."""

from fractions import Fraction

import numpy as np

TIME_BASE = Fraction(1, 1000)


def frame_image(index, height, width):
    """Frame `index`: a white bar moving right over a colour gradient, uint8 `[height, width, 3]`."""
    y, x = np.mgrid[0:height, 0:width]
    image = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), np.full_like(x, 96)], -1)
    left = (index * 3) % width
    image[:, left:left + max(width // 8, 2)] = 255
    return image.astype(np.uint8)


def make_clip(path, frames=12, size=(48, 64), milliseconds=(40,), rotation=0, audio="aac", container=None):
    """Writes an H.264 clip; returns each frame's timestamp in seconds.

    Args:
        path: where (the extension picks the container unless `container` does).
        frames: how many frames.
        size: `(height, width)`.
        milliseconds: the frames' durations, repeated in turn (`(50, 33)` is a variable rate).
        rotation: the display matrix's rotation in degrees.
        audio: an audio codec for one mono stream of a 440 Hz tone as long as the clip, or None.
        container: FFmpeg's format name, when the extension does not say.
    """
    import av
    height, width = size
    stamps, pts = [], 0
    with av.open(str(path), "w", format=container) as out:
        video = out.add_stream("libx264", rate=round(1000 / np.mean(milliseconds)), options={"crf": "10"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.time_base = TIME_BASE
        if rotation:
            video.set_display_rotation(rotation)
        sound = None
        if audio:
            sound = out.add_stream(audio, rate=16000)
            sound.layout = "mono"
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(frame_image(index, height, width), format="rgb24")
            frame.pts, frame.time_base = pts, TIME_BASE
            stamps.append(pts / 1000)
            pts += milliseconds[index % len(milliseconds)]
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            samples, block = int(16000 * pts / 1000), 1024
            tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / 16000)).astype(np.float32)
            fmt = sound.codec_context.format.name
            for start in range(0, samples, block):
                chunk = tone[start:start + block][None]
                if fmt == "s16":
                    chunk = (chunk * 32767).astype(np.int16)
                piece = av.AudioFrame.from_ndarray(chunk, format=fmt, layout="mono")
                piece.sample_rate, piece.pts = 16000, start
                out.mux(sound.encode(piece))
            out.mux(sound.encode(None))
    return stamps


def read_clip(path):
    """`(frames uint8 [n, h, w, 3], timestamps in seconds, rotation, audio packets' bytes per stream, rate)`."""
    import av
    with av.open(str(path)) as clip:
        stream = clip.streams.video[0]
        frames, stamps, rotation = [], [], 0
        for frame in clip.decode(stream):
            frames.append(frame.to_ndarray(format="rgb24"))
            stamps.append(float(frame.pts * frame.time_base))
            rotation = frame.rotation
        rate = stream.average_rate
    with av.open(str(path)) as clip:
        streams = list(clip.streams.audio)
        audio = {index: [] for index, _ in enumerate(streams)}
        for packet in clip.demux(*streams) if streams else ():
            if packet.size:
                audio[streams.index(packet.stream)].append(bytes(packet))
        codecs = [stream.codec_context.name for stream in streams]
    return np.stack(frames), stamps, rotation, audio, codecs, rate
