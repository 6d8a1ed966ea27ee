"""`kstyle.video`: clips painted frame by frame keep their frames, timing, rotation and sound."""

import itertools
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from clips import frame_image, make_clip, read_clip

from kstyle import video
from kstyle.errors import Error, ImageError, UsageError


def unchanged(frames):
    yield from frames


def inverted(frames):
    for frame in frames:
        yield 255 - frame


def leftovers(directory):
    return [name for name in os.listdir(directory) if name.endswith(".partial")]


def test_a_variable_rate_rotated_clip_keeps_its_frames_stamps_rotation_and_sound(tmp_path):
    source, target = tmp_path / "phone.mov", tmp_path / "out.mp4"
    stamps = make_clip(source, frames=15, milliseconds=(50, 33), rotation=90)
    written = video.transcode(str(source), str(target), unchanged)
    assert written == video.Written(15, False, ())
    frames, out_stamps, rotation, audio, codecs, rate = read_clip(target)
    _, _, _, source_audio, source_codecs, source_rate = read_clip(source)
    assert frames.shape == (15, 48, 64, 3) and rotation == 90
    np.testing.assert_allclose(out_stamps, stamps, atol=1e-3)
    assert abs(float(rate) / float(source_rate) - 1) < 0.01
    assert codecs == source_codecs == ["aac"] and audio == source_audio  # the very same packets
    expected = np.stack([frame_image(index, 48, 64) for index in range(15)]).astype(np.float32)
    assert np.abs(frames - expected).mean() < 4  # H.264 at crf 18, twice, and yuv420p's halved colour


def test_the_painter_paints_every_frame(tmp_path):
    source, target = tmp_path / "clip.mp4", tmp_path / "out.mkv"
    make_clip(source, frames=6, audio=None)
    video.transcode(str(source), str(target), inverted, crf=0)
    original, painted = read_clip(source)[0].astype(np.float32), read_clip(target)[0].astype(np.float32)
    assert painted.shape == original.shape
    assert np.abs(painted - (255 - original)).mean() < 3


def test_max_size_shrinks_and_sides_stay_even(tmp_path):
    source, target = tmp_path / "clip.mp4", tmp_path / "out.mp4"
    make_clip(source, frames=3, size=(50, 90), audio=None)
    seen = []

    def recorded(frames):
        for frame in frames:
            seen.append(frame.shape)
            yield frame

    video.transcode(str(source), str(target), recorded, max_size=45)
    assert seen == [(24, 44, 3)] * 3  # 25x45 at 45 px, less an odd row and column
    assert read_clip(target)[0].shape == (3, 24, 44, 3)
    assert video.output_size(video.Clip(width=91, height=51, frames=1, rate=Fraction(25), rotation=0, audio=0)) \
        == (50, 90)


def test_audio_a_container_cannot_hold_is_reencoded_and_said(tmp_path):
    source, target = tmp_path / "old.mov", tmp_path / "out.mp4"
    make_clip(source, frames=20, audio="pcm_mulaw")
    written = video.transcode(str(source), str(target), unchanged)
    assert len(written.notes) == 1 and "pcm_mulaw" in written.notes[0] and "AAC" in written.notes[0]
    assert read_clip(target)[4] == ["aac"]


def test_each_frame_is_written_before_the_next_is_decoded(tmp_path):
    source = tmp_path / "clip.mp4"
    make_clip(source, frames=8)
    written, seen = [0], []

    def checking(frames):
        for index, frame in enumerate(frames):
            seen.append(written[0] == index)  # every frame before this one is already in the encoder
            yield frame

    video.transcode(str(source), str(tmp_path / "out.mp4"), checking,
                    on_frame=lambda done: written.__setitem__(0, done))
    assert seen == [True] * 8


_PEAK_MEMORY = """
import resource, sys
sys.path.insert(0, {tests!r})
from clips import make_clip
from kstyle import video
make_clip(sys.argv[1], frames=int(sys.argv[2]), size=(360, 480), audio="aac")
video.transcode(sys.argv[1], sys.argv[1] + ".out.mp4", lambda frames: (255 - frame for frame in frames))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def test_a_long_clip_takes_the_memory_of_a_short_one(tmp_path):
    """Streamed, 240 frames of 360x480 peak where 80 do (x264's own buffers are full by then); held, they
    would add 124 MB."""
    script = _PEAK_MEMORY.format(tests=os.path.dirname(os.path.abspath(__file__)))
    peaks = {}
    for frames in (80, 240):
        run = subprocess.run([sys.executable, "-c", script, str(tmp_path / f"clip{frames}.mp4"), str(frames)],
                             capture_output=True, text=True, check=True)
        peaks[frames] = int(run.stdout.split()[-1])
    assert peaks[240] - peaks[80] < 30 * 2**20, peaks


def test_ctrl_c_keeps_a_playable_clip_of_the_frames_done(tmp_path):
    source, target = tmp_path / "clip.mp4", tmp_path / "out.mp4"
    stamps = make_clip(source, frames=12)

    def interrupted(frames):
        for index, frame in enumerate(frames):
            if index == 5:
                raise KeyboardInterrupt
            yield frame

    written = video.transcode(str(source), str(target), interrupted)
    assert written.frames == 5 and written.interrupted
    frames, out_stamps, _, audio, _, _ = read_clip(target)
    assert len(frames) == 5 and np.allclose(out_stamps, stamps[:5], atol=1e-3)
    assert leftovers(tmp_path) == []


def test_ctrl_c_before_the_first_frame_writes_nothing(tmp_path):
    source, target = tmp_path / "clip.mp4", tmp_path / "out.mp4"
    make_clip(source, frames=4)

    def interrupted(frames):
        next(iter(frames))
        raise KeyboardInterrupt
        yield

    with pytest.raises(KeyboardInterrupt):
        video.transcode(str(source), str(target), interrupted)
    assert not target.exists() and leftovers(tmp_path) == []


def test_a_failing_painter_leaves_no_file_and_the_old_output_alone(tmp_path):
    source, target = tmp_path / "clip.mp4", tmp_path / "out.mp4"
    make_clip(source, frames=6)
    target.write_bytes(b"yesterday's")

    def failing(frames):
        for index, frame in enumerate(frames):
            if index == 3:
                raise Error("out of memory painting 64x48 pixels")
            yield frame

    with pytest.raises(Error, match="out of memory"):
        video.transcode(str(source), str(target), failing)
    assert target.read_bytes() == b"yesterday's" and leftovers(tmp_path) == []


def test_a_painter_returning_the_wrong_shape_is_an_error(tmp_path):
    source = tmp_path / "clip.mp4"
    make_clip(source, frames=2, audio=None)
    with pytest.raises(Error, match=r"\(48, 64, 3\)"):
        video.transcode(str(source), str(tmp_path / "out.mp4"), lambda frames: (f[:10] for f in frames))


@pytest.mark.parametrize("name, content, message", [
    ("notes.mp4", b"not a video at all", "not a video kstyle can read"),
    ("missing.mp4", None, "no such file"),
    ("sound.m4a", "audio", "has no video stream"),
])
def test_what_is_not_a_clip_is_one_line(tmp_path, name, content, message):
    source = tmp_path / name
    if content == "audio":
        import av
        with av.open(str(source), "w", format="mp4") as out:
            sound = out.add_stream("aac", rate=16000)
            piece = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            piece.sample_rate, piece.pts = 16000, 0
            out.mux(sound.encode(piece))
            out.mux(sound.encode(None))
    elif content is not None:
        source.write_bytes(content)
    with pytest.raises(ImageError, match=message) as raised:
        video.transcode(str(source), str(tmp_path / "out.mp4"), unchanged)
    assert "\n" not in str(raised.value) and not (tmp_path / "out.mp4").exists()


@pytest.mark.parametrize("target, crf, error, message", [
    ("out.avi", 18, UsageError, "a video is written as one of .mp4"),
    ("no/dir/out.mp4", 18, Error, "does not exist"),
    ("out.mp4", 52, UsageError, "crf must be a whole number from 0"),
    ("out.mp4", 1.5, UsageError, "crf must be"),
])
def test_outputs_and_qualities_that_cannot_work_are_refused_first(tmp_path, target, crf, error, message):
    with pytest.raises(error, match=message):
        video.transcode(str(tmp_path / "never_read.mp4"), str(tmp_path / target), unchanged, crf=crf)


def test_probe_reads_size_count_rate_rotation_and_sound(tmp_path):
    make_clip(tmp_path / "clip.mp4", frames=10, size=(32, 48), milliseconds=(40,), rotation=270)
    clip = video.probe(str(tmp_path / "clip.mp4"))
    assert (clip.width, clip.height, clip.frames, clip.rotation, clip.audio) == (48, 32, 10, 270, 1)
    assert abs(float(clip.rate) - 25) < 0.5


def test_is_video_goes_by_the_name():
    assert video.is_video("a/Holiday.MOV") and video.is_video("x.mkv") and not video.is_video("x.png")


def test_the_rate_is_frames_per_second_over_its_window():
    now = iter(itertools.count(0.0, 0.25))
    rate = video.Rate(window=2.0, clock=lambda: next(now))
    values = [rate.tick() for _ in range(20)]
    assert values[0] == 0.0 and values[-1] == pytest.approx(4.0)


def test_the_clip_gets_a_new_files_permissions(tmp_path):
    source, target = tmp_path / "clip.mp4", tmp_path / "out.mp4"
    make_clip(source, frames=2, audio=None)
    umask = os.umask(0o022)
    try:
        video.transcode(str(source), str(target), unchanged)
    finally:
        os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o644


def test_an_audio_stream_pyav_refuses_is_one_line(tmp_path, monkeypatch):
    source, target = tmp_path / "clip.mp4", tmp_path / "out.mp4"
    make_clip(source, frames=2)

    def refuse(self, *args, **kwargs):
        raise ValueError("'mp4' format does not support 'xyz' codec")

    monkeypatch.setattr(video._AudioOut, "__init__", refuse)
    message = r"clip.mp4: cannot carry its audio into .*out.mp4 \('mp4' format does not"
    with pytest.raises(Error, match=message) as raised:
        video.transcode(str(source), str(target), unchanged)
    assert "\n" not in str(raised.value) and not target.exists() and leftovers(tmp_path) == []


def _stripes(shift, height=32, width=64, period=4):
    """Red and green stripes `period` px wide in all, moved right by `shift` px: colour finer than yuv420p keeps."""
    red = ((np.arange(width) - shift) % period) < period // 2
    image = np.zeros((height, width, 3), np.uint8)
    image[:, red, 0], image[:, ~red, 1] = 200, 200
    return image


def test_soften_chroma_blurs_the_colour_and_keeps_the_brightness():
    import cv2
    stripes = _stripes(0)
    softened = video.soften_chroma(stripes)
    luma = lambda image: cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)[..., 0].astype(np.float32)  # noqa: E731
    chroma = lambda image: cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)[..., 1:].astype(np.float32)  # noqa: E731
    assert np.abs(luma(softened) - luma(stripes)).max() <= 2
    assert chroma(softened)[:, 8:-8].std(axis=1).mean() < 0.35 * chroma(stripes)[:, 8:-8].std(axis=1).mean()
    flat = np.full((8, 8, 3), (30, 140, 220), np.uint8)
    assert np.abs(video.soften_chroma(flat).astype(int) - flat).max() <= 1  # YCrCb and back rounds


def test_fine_colour_moving_under_yuv420p_shimmers_less_softened(tmp_path, monkeypatch):
    """Stripes moving 1 px a frame: each decoded frame, moved back, is compared with the one before it."""
    source = tmp_path / "clip.mp4"
    make_clip(source, frames=8, size=(32, 64), audio=None)
    sent = [_stripes(index) for index in range(8)]

    def stripes(frames):
        for index, _ in enumerate(frames):
            yield sent[index]

    def shimmer(target):
        video.transcode(str(source), str(target), stripes, crf=0)
        got = read_clip(target)[0].astype(np.float32)[:, :, 8:-8]
        return np.abs(got[1:, :, :-1] - got[:-1, :, 1:]).mean()

    softened = shimmer(tmp_path / "softened.mp4")
    monkeypatch.setattr(video, "soften_chroma", lambda rgb: rgb)
    assert softened < 0.7 * shimmer(tmp_path / "sharp.mp4")
