"""What Apache Beam costs: `kstyle transform` on a folder against `python -m kstyle.beam` on the DirectRunner.

    python benchmarks/beam_throughput.py [--model=starry_night] [--photos=40] [--size=512] [--repeats=3]

The same photos (`--photos` of them, 512 px on the longest side, of mixed aspect ratios: crops of
the shared photos and scikit-image's, written as JPEG to a temporary folder) are painted by

* `transform`: `kstyle transform --input=DIR --output=OUT`, one process;
* `beam_1`: `python -m kstyle.beam` on the DirectRunner in one process;
* `beam_2`: the same with `--direct_running_mode=multi_processing --direct_num_workers=2`;

each a fresh command, side by side in turns (`--repeats` rounds, case order rotated), timed end to
end as a user waits for it: start-up, the model's load, reading and writing included. Each case
also paints the set twice over (each photo again under another name) so that the extra photos'
time, over the extra photos, gives the steady rate without start-up. Peak resident memory is read
from /proc for every process of the command (the launcher and each Beam worker), sampled every
0.2 s, and reported per process. Writes benchmarks/results/beam_throughput.json. Run it alone: it
keeps both cores busy.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

from kstyle.beam.workers import descendants  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = ("transform", "beam_1", "beam_2")


def make_photos(folder, count, size):
    """`count` JPEGs of `size` px on the longest side, crops of varied aspect ratio from the photos at hand."""
    from PIL import Image

    from kstyle import images, samples
    sources = [images.read_image(f"sample:{name}") for name in samples.PHOTOS]
    shared = os.path.join(common.SHARED, "content")
    if os.path.isdir(shared):
        sources += [images.read_image(os.path.join(shared, name)) for name in sorted(os.listdir(shared))
                    if name.lower().endswith((".jpg", ".jpeg", ".png"))]
    rng = np.random.default_rng(0)
    os.makedirs(folder, exist_ok=True)
    for index in range(count):
        photo = sources[index % len(sources)]
        height, width = photo.shape[:2]
        aspect = rng.choice([1.0, 4 / 3, 3 / 2, 3 / 4, 2 / 3])
        crop_h = min(height, int(round(min(width / aspect, height))))
        crop_w = min(width, int(round(crop_h * aspect)))
        top, left = rng.integers(0, height - crop_h + 1), rng.integers(0, width - crop_w + 1)
        crop = images.resize_longest(photo[top:top + crop_h, left:left + crop_w], size)
        Image.fromarray(images.to_uint8(crop)).save(os.path.join(folder, f"photo{index:03d}.jpg"), quality=95)


def command(case, model, inputs, output):
    python = [sys.executable]
    if case == "transform":
        return python + ["-m", "kstyle", "transform", f"--model={model}", f"--input={inputs}", f"--output={output}",
                         "--quiet"]
    beam = python + ["-m", "kstyle.beam", f"--model={model}", f"--input={inputs}", f"--output={output}"]
    return beam + (["--direct_running_mode=multi_processing", "--direct_num_workers=2"] if case == "beam_2" else [])


def run(arguments):
    """`(seconds, {pid: (name, peak kB)})` of a command, watching every process it starts."""
    started = time.perf_counter()
    process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks, done = {}, threading.Event()

    def watch():
        while not done.is_set():
            for pid in [process.pid, *descendants(process.pid)]:
                peak = _peak_kb(pid)
                if peak:
                    peaks[pid] = (_name(pid) or peaks.get(pid, ("?", 0))[0], max(peak, peaks.get(pid, ("", 0))[1]))
            done.wait(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    if process.returncode:
        raise SystemExit(f"{' '.join(arguments)} failed ({process.returncode}): {err[-2000:]}")
    return seconds, peaks


def _peak_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as file:
            for line in file:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _name(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            words = file.read().decode(errors="replace").split("\0")
        module = words[words.index("-m") + 1] if "-m" in words else os.path.basename(words[0])
        return module
    except (OSError, IndexError, ValueError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="starry_night")
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "beam_throughput.json"))
    args = parser.parse_args()
    cases = [case for case in args.cases.split(",") if case]
    work = tempfile.mkdtemp(prefix="kstyle-beam-bench-")
    try:
        single = os.path.join(work, "single")
        make_photos(single, args.photos, args.size)
        double = os.path.join(work, "double")  # the set twice, under other names too (transform writes flat)
        shutil.copytree(single, double)
        for name in os.listdir(single):
            shutil.copyfile(os.path.join(single, name), os.path.join(double, f"again-{name}"))
        inputs = {"single": single, "double": double}
        timings = {case: {"single": [], "double": []} for case in cases}
        memory = {case: {} for case in cases}
        for round_index in range(args.repeats):
            order = cases[round_index % len(cases):] + cases[:round_index % len(cases)]
            for case in order:
                for which in ("single", "double"):
                    output = os.path.join(work, f"out-{case}-{which}-{round_index}")
                    seconds, peaks = run(command(case, args.model, inputs[which], output))
                    timings[case][which].append(seconds)
                    written = sum(len(files) for _, _, files in os.walk(output))
                    expected = args.photos * (2 if which == "double" else 1) + (0 if case == "transform" else 1)
                    if written != expected:  # the failures list is a file beside Beam's pictures
                        raise SystemExit(f"{case} wrote {written} files, expected {expected}")
                    shutil.rmtree(output)
                    for name, peak in peaks.values():
                        memory[case][name] = max(memory[case].get(name, 0), peak)
                    print(f"round {round_index + 1} {case} {which}: {seconds:.1f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = {"machine": common.machine(), "date": time.strftime("%Y-%m-%d"), "photos": args.photos,
               "size": args.size, "model": args.model, "repeats": args.repeats, "cases": {}}
    for case in cases:
        single_s, double_s = (float(np.median(timings[case][which])) for which in ("single", "double"))
        results["cases"][case] = {
            "seconds": timings[case], "median_seconds": single_s,
            "images_per_second": args.photos / single_s,
            "steady_images_per_second": args.photos / max(double_s - single_s, 1e-9),
            "peak_rss_mb_per_process": {name: round(kb / 1024, 1) for name, kb in memory[case].items()
                                        if kb > 50 * 1024},  # not the shell a Beam worker is started through
        }
    base = results["cases"].get("transform")
    for case, entry in results["cases"].items():
        if base:
            entry["ratio_to_transform"] = entry["images_per_second"] / base["images_per_second"]
            entry["steady_ratio_to_transform"] = entry["steady_images_per_second"] / base["steady_images_per_second"]
        print(f"{case}: {entry['images_per_second']:.2f} images/s end to end, "
              f"{entry['steady_images_per_second']:.2f} steady; ratios {entry.get('ratio_to_transform', 1):.2f}, "
              f"{entry.get('steady_ratio_to_transform', 1):.2f}; peak MB {entry['peak_rss_mb_per_process']}",
              flush=True)
    common.report(results, args.out)


if __name__ == "__main__":
    main()
