"""Gathers training photographs for the style networks from Debian's wallpaper packages, and records what it took.

    python tools/gather_training_photos.py [--dest=runs/training_photos] [--manifest=tools/training_photos.json]
    python tools/gather_training_photos.py --check     # before training: are the recorded photos still here?
    kstyle train ... --train_images=runs/training_photos

Why: the shipped networks learned from the 15 photos available offline (`kstyle.feedforward.shipped`), too
few for a network that should paint any photo. Debian's wallpaper packages add dozens of large, sharp,
redistributable photographs that install with apt and need no network at training time. Two thirds of
the pictures they ship are not photographs (vector art, 3D renders, gradients, logos), which would teach
a network to paint flat fills, so those are left out, and so are the copies of one picture at many sizes.

How, in order (each image's fate is recorded in the manifest, with the numbers that decided it):

1. `dpkg -L PACKAGE` lists each package's files, so every image is attributed to its package and version.
   A symlink to another listed file (plasma's 640x480.jpg -> 2560x1600.jpg) is recorded as a link only.
2. Plasma's `contents/screenshot.*` previews are skipped.
3. One picture at many sizes (`NAME/contents/images/WxH.jpg`, `Elephants_3840x2160.jpg`) keeps its
   largest file; `images_dark/` is a picture of its own.
4. Identical and near-identical pictures across names and packages keep the larger one: near-identical
   means a perceptual hash (`phash`, 63 bits of a 32x32 grey thumbnail) within NEAR_DUPLICATE_BITS bits.
5. A rule measured on the pixels tells photographs from drawings and renders (`rule`, below); where it
   disagrees with a person's eye, OVERRIDES decides, and says why.
6. The photos held out for judging (`kstyle.feedforward.shipped.HELD_OUT_*`) are never taken. They are
   not wallpapers, but a package could one day ship one: each candidate is compared with them by
   checksum and by perceptual hash.

The manifest has the rule's settings, each package's version (null: not installed), the symlinks
(`links`: name -> target) and one record per candidate in `images`: `path`, `package`, `version`,
`sha256`, `width`, `height`, `measures` (the rule's numbers; null for vector files), `phash`, `rule`
(the rule's verdict), `verdict` (`photo`, or why not: `duplicate of PATH`, `drawing`, `render`,
`painting`, `screenshot`, `held out`, `unreadable`), `why` (in words) and `override` (the reason
from OVERRIDES when it decided, else null). The photos are the records whose verdict is `photo`.

Outputs: `--manifest` (sorted and rounded, so a rerun on the same system writes the identical file; the
package versions are its only dates), and `--dest` holding an absolute symlink to each photo, named
`PACKAGE--PICTURE.ext`, with `SOURCES.txt` listing them. `--check` confirms that the photos of the
manifest are still on this system with the same checksums and that `--dest` links exactly them.
The packages it reads are PACKAGES; missing ones are named with the apt-get command that installs them.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "images")
DEFAULT_MANIFEST = os.path.join(ROOT, "tools", "training_photos.json")
DEFAULT_DEST = os.path.join(ROOT, "runs", "training_photos")
SOURCES_FILE = "SOURCES.txt"

PACKAGES = ("gnome-backgrounds", "lomiri-wallpapers", "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04",
            "mate-backgrounds", "plasma-workspace-wallpapers", "sway-backgrounds", "ukui-wallpapers")
RASTER_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
VECTOR_EXTENSIONS = (".svg", ".svgz")
SHARE = "/usr/share/"  # what override keys and messages leave out of a path

# The rule (see `rule`). The thresholds were read off this system's 111 distinct raster wallpapers against a
# person's verdicts (38 photos): the photos' smooth share runs 0.00-0.70 (fog, sky and bokeh are smooth),
# the opaque drawings' and renders' 0.00-1.00, so no threshold separates them all; any from 0.28 to 0.36
# errs on 17 or 18 pictures, and 0.30 is the round one. Grain evenness is at most 0.84 in the photos and
# 0.94-0.96 in the renders with synthetic grain (gnome's pixels, sway's logo); 9 are transparent.
SMOOTH_PIXELS = 512  # the longer side of the copy whose smoothness is measured: sensor noise averages out
SMOOTH_STEP = 1  # levels (of 255) a colour may change to the next pixel and still count as smooth
SMOOTH_LIMIT = 0.30  # a picture smooth over this share of its pixels is drawn or rendered
GRAIN_BLOCK = 32  # pixels: the side of the blocks whose fine detail is compared
EVENNESS_LIMIT = 0.90  # grain this even across the picture was added by a program, not a sensor
NEAR_DUPLICATE_BITS = 4  # of 63: copies differ in 0-2, variants and other pictures in 6 or more (`phash`)

PHOTO = "photo"
DRAWING = "drawing"  # the rule's word for anything drawn or rendered
NOT_PHOTOS = (DRAWING, "render", "painting")  # what an override may call a picture that is not a photo

# Where the rule and a person's eye disagree (contact sheets of every candidate, viewed one by one):
# path under /usr/share -> (verdict, why). Each must still match a candidate; a stale one is reported.
OVERRIDES = {
    # Photos smooth over more of the picture than SMOOTH_LIMIT: fog, sky, studio walls, out-of-focus petals.
    "backgrounds/Bridge_by_Sander_Klootwijk.jpg": (PHOTO, "sky through a bridge's cables over mudflats"),
    "backgrounds/free_by_Peter_Nerlich.jpg": (PHOTO, "a toy bird under lamps against a smooth grey wall"),
    "backgrounds/greentock_by_Peter_Nerlich.jpg": (PHOTO, "a wall clock close up, its face smooth and white"),
    "backgrounds/mate/nature/FreshFlower.jpg": (PHOTO, "an orange flower close up, petals out of focus"),
    "backgrounds/mate/nature/YellowFlower.jpg": (PHOTO, "a yellow flower against a dark, blurred background"),
    "wallpapers/ColdRipple/contents/images/2560x1600.jpg": (PHOTO, "a jetty in fog, black and white"),
    "wallpapers/DarkestHour/contents/images/2560x1600.jpg": (PHOTO, "a lake in blue fog at dusk"),
    "wallpapers/Grey/contents/images/2560x1600.jpg": (PHOTO, "a building's curved facade, black and white"),
    "wallpapers/Kite/contents/images/2560x1600.jpg": (PHOTO, "a kite in a blue sky with thin clouds"),
    "wallpapers/summer_1am/contents/images/2560x1600.jpg": (PHOTO, "a lake at dawn, mostly smooth sky and water"),
    # Drawn, painted or rendered with texture and noise enough to pass for a photo.
    "backgrounds/gnome/licorice-d.webp": ("render", "3D render of coloured blocks and twisted black posts"),
    "backgrounds/gnome/licorice-l.webp": ("render", "3D render of coloured blocks and twisted black posts"),
    "backgrounds/gnome/wood-d.webp": ("render", "rendered wooden slats, a procedural grain"),
    "backgrounds/gnome/wood-l.webp": ("render", "rendered wooden slats, a procedural grain"),
    "backgrounds/string.jpg": ("render", "3D render of twisted coloured bands"),
    "backgrounds/mate/abstract/Elephants_5640x3172.jpg": ("painting", "a photograph of a painting on canvas"),
    "wallpapers/Autumn/contents/images/2560x1600.jpg": ("painting", "a digital painting of a girl under a tree"),
    "wallpapers/SafeLanding/contents/images/5120x2880.jpg": (DRAWING, "an illustration of a rocket in a landscape"),
}


class Failure(Exception):
    """Something the script cannot do; main prints it as one line and exits 1."""


def main():
    """Parses the flags and runs; a Failure or an OSError becomes one line on stderr and exit status 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", default=DEFAULT_DEST, help="directory for the links to the selected photos "
                        "and SOURCES.txt (default: runs/training_photos, git-ignored)")
    parser.add_argument("--manifest", default=DEFAULT_MANIFEST, help="the JSON record of every candidate "
                        "(default: tools/training_photos.json)")
    parser.add_argument("--shared", default=SHARED, help="the shared images folder, whose content/ holds "
                        "held-out photos (default: ../shared/images)")
    parser.add_argument("--check", action="store_true", help="only verify that the manifest's photos are "
                        "unchanged on this system and linked from --dest; exit 1 if not")
    args = parser.parse_args()
    try:
        if args.check:
            print(check(args.manifest, args.dest))
        else:
            gather(args.manifest, args.dest, args.shared)
    except Failure as error:
        sys.exit(f"{os.path.basename(__file__)}: {error}")
    except OSError as error:  # a folder or file we were told to write cannot be
        sys.exit(f"{os.path.basename(__file__)}: {error.filename or ''}: {error.strerror or error}")
    except KeyboardInterrupt:
        sys.exit(f"{os.path.basename(__file__)}: interrupted (the manifest is left whole; run again for --dest)")


def gather(manifest_path, dest, shared):
    """Finds, sorts and records the candidates, then links the photos into `dest`."""
    check_outputs(manifest_path, dest)
    versions = package_versions(PACKAGES)
    missing = [name for name, version in versions.items() if version is None]
    if len(missing) == len(PACKAGES):
        raise Failure(f"none of the wallpaper packages is installed; sudo apt-get install {' '.join(missing)}")
    if missing:
        print(f"missing packages, left out: {' '.join(missing)} (sudo apt-get install {' '.join(missing)})",
              file=sys.stderr)
    files, links = list_package_images(name for name, version in versions.items() if version)
    records = [describe(path, package, versions[package]) for path, package in files]
    decide(records, held_out_fingerprints(shared))
    for warning in override_warnings(records):
        print(warning, file=sys.stderr)
    photos = [record for record in records if record["verdict"] == PHOTO]
    write_manifest(manifest_path, versions, links, records)
    link_photos(dest, photos)
    print(summary(records, links, photos))
    print(f"wrote {shown(manifest_path)} and {len(photos)} links in {shown(dest)} (listed in {SOURCES_FILE})")


def check_outputs(manifest_path, dest):
    """Fails before the minute of reading images if the outputs could not be written."""
    folder = os.path.dirname(os.path.abspath(manifest_path))
    if not os.path.isdir(folder):
        raise Failure(f"--manifest {shown(manifest_path)}: no folder {shown(folder)}")
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise Failure(f"--dest {shown(dest)}: exists and is not a directory")


def shown(path):
    """`path` relative to the current folder when inside it, else absolute: what a message should say."""
    relative = os.path.relpath(path)
    return os.path.abspath(path) if relative.startswith("..") else relative


# --- finding the candidates ---------------------------------------------------------------------------

def package_versions(packages):
    """`{package: version, or None if not installed}`, asking dpkg-query one package at a time."""
    versions = {}
    for package in packages:
        try:
            done = subprocess.run(["dpkg-query", "-W", "-f=${Status}\t${Version}", package],
                                  capture_output=True, text=True)
        except FileNotFoundError:
            raise Failure("dpkg-query not found: the wallpapers are read from Debian packages") from None
        status, _, version = done.stdout.partition("\t")
        versions[package] = version if done.returncode == 0 and status.endswith(" installed") else None
    return versions


def list_package_images(packages):
    """Returns `[(path, package)]` of the image files `dpkg -L` lists, and `{link: target}` of the symlinks
    among them that point to another listed file (only the target is a candidate)."""
    listed = []
    for package in packages:
        done = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True)
        if done.returncode:
            raise Failure(f"dpkg -L {package}: {done.stderr.strip() or 'failed'}")
        listed += [(path, package) for path in done.stdout.splitlines()
                   if path.lower().endswith(RASTER_EXTENSIONS + VECTOR_EXTENSIONS) and os.path.isfile(path)]
    real = {os.path.realpath(path) for path, _ in listed if not os.path.islink(path)}
    files, links = [], {}
    for path, package in sorted(set(listed)):
        if os.path.islink(path) and os.path.realpath(path) in real:
            links[path] = os.path.realpath(path)
        else:
            files.append((path, package))
    return files, links


# --- measuring ------------------------------------------------------------------------------------------

def describe(path, package, version):
    """A manifest record of one candidate: where it comes from, its checksum and size, and its measures."""
    record = {"path": path, "package": package, "version": version, "sha256": sha256(path),
              "width": None, "height": None, "measures": None, "phash": None, "rule": None,
              "verdict": None, "why": None, "override": None}
    if path.lower().endswith(VECTOR_EXTENSIONS):
        return record
    try:
        with Image.open(path) as image:
            image.load()
            record.update(width=image.width, height=image.height)
            record["measures"] = measure(image)
            record["phash"] = phash(image)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        record["why"] = f"unreadable: {error}"
    return record


def sha256(path):
    """The file's SHA-256 in hex, read in 1 MB pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for piece in iter(lambda: file.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def measure(image):
    """The numbers the rule decides by (see `rule`), rounded to 4 places so reruns print the same JSON.

    Returns:
        `{"transparent_share", "smooth_share", "grain_evenness"}`, each in [0, 1].
    """
    return {"transparent_share": round(transparent_share(image), 4),
            "smooth_share": round(smooth_share(image), 4),
            "grain_evenness": round(grain_evenness(image), 4)}


def transparent_share(image):
    """The share of pixels not fully opaque: a photograph has none, an overlay or a logo often does."""
    if image.mode not in ("RGBA", "LA", "PA", "RGBa", "La") and "transparency" not in image.info:
        return 0.0
    alpha = np.asarray(image.convert("RGBA").getchannel("A"))
    return float((alpha < 255).mean())


def opaque(image):
    """The image in RGB, transparent parts laid over mid grey (what a desktop shows; dropping the alpha
    would leave pictures drawn only in it blank)."""
    if image.mode == "RGB":
        return image
    rgba = image.convert("RGBA")
    grey = Image.new("RGBA", rgba.size, (128, 128, 128, 255))
    grey.alpha_composite(rgba)
    return grey.convert("RGB")


def small_copy(image, longest=SMOOTH_PIXELS):
    """An RGB copy whose longer side is `longest` (never enlarged), averaged over boxes of pixels."""
    rgb = opaque(image)
    scale = min(1.0, longest / max(rgb.size))
    size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
    return rgb.resize(size, Image.BOX) if size != rgb.size else rgb


def smooth_share(image):
    """The share of pixels of a 512-pixel copy whose colour changes by at most SMOOTH_STEP to the next pixel
    right and below, in every channel.

    Why: vector art is flat fills, and renders and gradients change so slowly that neighbours differ by a
    level or none; a photograph has texture and noise nearly everywhere. The copy is small so that sensor
    noise averages out and cannot make a smooth sky look detailed, nor dithering a smooth render.
    """
    pixels = np.asarray(small_copy(image), dtype=np.int16)
    if min(pixels.shape[:2]) < 2:
        return 1.0
    right = np.abs(np.diff(pixels, axis=1)).max(axis=2)[:-1]
    below = np.abs(np.diff(pixels, axis=0)).max(axis=2)[:, :-1]
    return float(((right <= SMOOTH_STEP) & (below <= SMOOTH_STEP)).mean())


def grain_evenness(image):
    """How evenly fine detail spreads over the picture at full size: the 10th percentile of the mean absolute
    Laplacian of GRAIN_BLOCK-pixel blocks, over the median (0 where the median is 0).

    Why: a program that adds grain to hide banding adds the same amount everywhere (about 1); a scene's
    texture and a sensor's noise vary from block to block (a photo's smoothest tenth has a fraction of the
    median's detail).
    """
    grey = np.asarray(opaque(image).convert("L"), dtype=np.float32)
    laplacian = np.abs(4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:])
    rows, columns = (side // GRAIN_BLOCK for side in laplacian.shape)
    if not rows or not columns:
        return 0.0
    blocks = laplacian[:rows * GRAIN_BLOCK, :columns * GRAIN_BLOCK].reshape(rows, GRAIN_BLOCK, columns, GRAIN_BLOCK)
    detail = blocks.mean(axis=(1, 3))
    median = float(np.median(detail))
    return float(np.percentile(detail, 10)) / median if median > 0 else 0.0


_DCT = np.cos(np.pi * (2 * np.arange(32)[None, :] + 1) * np.arange(32)[:, None] / 64)  # DCT-II, 32 points


def phash(image):
    """A 63-bit perceptual hash in hex: which of the 8x8 lowest frequencies (but the mean) of a 32x32 grey
    thumbnail's cosine transform are above their median.

    Why: it survives resizing, recompression and small edits. Among the wallpapers, copies of one picture
    at other sizes differ in 0-2 bits, recoloured and dark variants in 6-8, different pictures in 10 or
    more. (A 64-bit difference hash, tried first, called smooth pictures alike: a foggy lake and a
    rendered wood texture were 4 bits apart.)
    """
    grey = np.asarray(small_copy(image, 256).convert("L").resize((32, 32), Image.BOX), dtype=np.float64)
    low = (_DCT @ grey @ _DCT.T)[:8, :8].ravel()[1:]
    bits = low > np.median(low)
    return f"{int(''.join('1' if bit else '0' for bit in bits), 2):016x}"


def hash_distance(first, second):
    """The number of bits two `phash`es differ in."""
    return bin(int(first, 16) ^ int(second, 16)).count("1")


def rule(measures):
    """The rule's verdict on a picture from its `measures`: `(PHOTO or DRAWING, why)`.

    A photo is opaque, smooth over less than SMOOTH_LIMIT of its pixels, and its fine detail varies over
    the picture (grain evenness below EVENNESS_LIMIT). Anything else is drawn or rendered.
    """
    if measures["transparent_share"] > 0:
        return DRAWING, f"{measures['transparent_share']:.0%} of the pixels are transparent"
    if measures["smooth_share"] >= SMOOTH_LIMIT:
        return DRAWING, f"smooth over {measures['smooth_share']:.0%} of the pixels (limit {SMOOTH_LIMIT:.0%})"
    if measures["grain_evenness"] >= EVENNESS_LIMIT:
        return DRAWING, f"even, synthetic grain ({measures['grain_evenness']:.2f}, limit {EVENNESS_LIMIT})"
    return PHOTO, "opaque, detailed, uneven grain"


# --- deciding -------------------------------------------------------------------------------------------

def decide(records, held_out):
    """Fills in each record's `rule`, `verdict`, `why` and `override`, in the order of the module docstring.

    Args:
        records: from `describe`.
        held_out: `[(name, sha256 or None, phash)]` of the photos never to take.
    """
    for record in records:
        if record["measures"]:
            record["rule"] = rule(record["measures"])[0]
    pending = []
    for record in records:
        if record["why"]:  # unreadable
            record["verdict"] = "unreadable"
        elif record["measures"] is None:
            record["verdict"], record["why"] = DRAWING, "a vector file: drawn, not photographed"
        elif is_screenshot(record["path"]):
            record["verdict"], record["why"] = "screenshot", "the package's preview of a wallpaper"
        else:
            pending.append(record)
    pending = keep_largest_sizes(pending)
    pending = drop_near_duplicates(pending)
    for record in pending:
        match = held_out_match(record, held_out)
        if match:
            record["verdict"], record["why"] = "held out", f"one of the photos held out for judging ({match})"
        elif short(record["path"]) in OVERRIDES:
            record["verdict"], record["override"] = OVERRIDES[short(record["path"])]
            record["why"] = f"override: {record['override']}"
        else:
            record["verdict"], record["why"] = rule(record["measures"])


def is_screenshot(path):
    """Plasma's previews: `NAME/contents/screenshot.png` beside `NAME/contents/images/`."""
    return os.path.splitext(os.path.basename(path))[0] == "screenshot" and path.split("/")[-2] == "contents"


_SIZE = re.compile(r"[_-]?\d{3,5}x\d{3,5}")


def picture_key(path):
    """What all the sizes of one picture share: plasma's `NAME/contents/images` folder (or `images_dark`),
    else the path without its size (`Elephants_3840x2160.jpg` and `Elephants.jpg`: `.../Elephants`)."""
    folder, name = os.path.split(path)
    if os.path.basename(os.path.dirname(folder)) == "contents" and os.path.basename(folder).startswith("images"):
        return folder
    return os.path.join(folder, _SIZE.sub("", os.path.splitext(name)[0]))


def picture_name(path):
    """A short name for the picture: plasma's `NAME` (`NAME-dark` for `images_dark`), else the file's name
    without its size."""
    key = picture_key(path)
    if key == os.path.dirname(path):  # plasma
        name = key.split("/")[-3]
        return name + ("-dark" if key.endswith("_dark") else "")
    return os.path.basename(key)


def size_order(record):
    """Sorts the larger picture first (pixels, then bytes), and equal ones by path."""
    return -record["width"] * record["height"], -os.path.getsize(record["path"]), record["path"]


def keep_largest_sizes(records):
    """Marks all but the largest size of each picture as duplicates; returns the largest ones."""
    groups = {}
    for record in sorted(records, key=size_order):
        groups.setdefault(picture_key(record["path"]), []).append(record)
    for largest, *smaller in groups.values():
        for record in smaller:
            record["verdict"] = f"duplicate of {largest['path']}"
            record["why"] = "the same picture at a smaller size"
    return sorted((group[0] for group in groups.values()), key=lambda record: record["path"])


def drop_near_duplicates(records):
    """Marks identical and near-identical pictures (NEAR_DUPLICATE_BITS) as duplicates of the largest one;
    returns the ones kept."""
    kept = []
    for record in sorted(records, key=size_order):
        original = next((other for other in kept if other["sha256"] == record["sha256"]
                         or hash_distance(other["phash"], record["phash"]) <= NEAR_DUPLICATE_BITS), None)
        if original is None:
            kept.append(record)
            continue
        record["verdict"] = f"duplicate of {original['path']}"
        record["why"] = ("an identical file" if original["sha256"] == record["sha256"] else
                         f"nearly the same picture ({hash_distance(original['phash'], record['phash'])} "
                         f"of 63 hash bits differ)")
    return sorted(kept, key=lambda record: record["path"])


def held_out_fingerprints(shared):
    """`[(name, sha256 or None, phash)]` of the held-out photos (`kstyle.feedforward.shipped`).

    They are not wallpapers; checked anyway, by checksum and perceptual hash, so that no package (nor a
    future version of one) can slip a judging photo into the training set.
    """
    try:
        from kstyle import samples
        from kstyle.errors import Error
        from kstyle.feedforward import shipped
    except ImportError as error:
        raise Failure(f"the held-out photos are defined in kstyle, which does not import ({error}); "
                      "pip install -e . first") from None
    fingerprints = []
    for source in shipped.held_out_sources(shared):
        if source.startswith("sample:"):
            name = source.removeprefix("sample:")
            try:
                image = Image.fromarray(samples.sample_image(name))
            except Error as error:
                print(f"held-out sample:{name} not checked: {error}", file=sys.stderr)
                continue
            fingerprints.append((source, None, phash(image)))
        else:
            with Image.open(source) as image:
                fingerprints.append((os.path.basename(source), sha256(source), phash(image)))
    return fingerprints


def held_out_match(record, held_out):
    """The name of the held-out photo `record` is (a copy of), or None."""
    for name, checksum, fingerprint in held_out:
        if record["sha256"] == checksum or hash_distance(record["phash"], fingerprint) <= NEAR_DUPLICATE_BITS:
            return name
    return None


def judged(records):
    """The records the rule and OVERRIDES decided: one per distinct picture, drawn or photographed."""
    return [record for record in records if record["verdict"] in (PHOTO,) + NOT_PHOTOS and record["rule"]]


def override_warnings(records):
    """Lines naming the OVERRIDES that match no judged picture, or that say what the rule says anyway."""
    decided = {short(record["path"]): record for record in judged(records)}
    warnings = []
    for path, (verdict, _) in sorted(OVERRIDES.items()):
        if path not in decided:
            warnings.append(f"override {path}: matches no picture the rule judged")
        elif (decided[path]["rule"] == PHOTO) == (verdict == PHOTO):
            warnings.append(f"override {path}: the rule says so already")
    return warnings


def short(path):
    """`path` without /usr/share/, as OVERRIDES names it."""
    return path.removeprefix(SHARE)


# --- writing --------------------------------------------------------------------------------------------

def write_manifest(path, versions, links, records):
    """Writes the manifest: stable (sorted keys and records), pretty-printed, with no time in it."""
    manifest = {
        "about": "Training photos from Debian wallpaper packages: every candidate and its fate. Written by "
                 "tools/gather_training_photos.py (its docstring explains the fields); check with --check.",
        "rule": {"smooth_pixels": SMOOTH_PIXELS, "smooth_step": SMOOTH_STEP, "smooth_limit": SMOOTH_LIMIT,
                 "grain_block": GRAIN_BLOCK, "evenness_limit": EVENNESS_LIMIT,
                 "near_duplicate_bits": NEAR_DUPLICATE_BITS},
        "packages": versions,
        "links": links,
        "images": sorted(records, key=lambda record: record["path"]),
    }
    with open(path + ".tmp", "w") as file:  # then renamed: an interrupted run leaves the old manifest whole
        json.dump(manifest, file, indent=2, sort_keys=True)
        file.write("\n")
    os.replace(path + ".tmp", path)


def link_name(record):
    """The photo's name in `--dest`: `PACKAGE--PICTURE.ext`."""
    return f"{record['package']}--{picture_name(record['path'])}{os.path.splitext(record['path'])[1].lower()}"


def link_photos(dest, photos):
    """Makes `dest` hold exactly one absolute symlink per photo, and SOURCES.txt; other files are left alone."""
    names = {link_name(record): record for record in photos}
    if len(names) != len(photos):
        raise Failure("two photos would share a name in the destination; rename one in link_name")
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise Failure(f"--dest {shown(dest)}: exists and is not a directory")
    os.makedirs(dest, exist_ok=True)
    for name in os.listdir(dest):
        if os.path.islink(os.path.join(dest, name)) and name not in names:
            os.remove(os.path.join(dest, name))
    for name, record in names.items():
        link = os.path.join(dest, name)
        if os.path.islink(link) and os.readlink(link) == record["path"]:
            continue
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(record["path"], link)
    with open(os.path.join(dest, SOURCES_FILE), "w") as file:
        file.write("# Training photos from Debian wallpaper packages, linked here by tools/gather_training_photos.py\n"
                   "# (manifest: tools/training_photos.json). Tab-separated: link, original, package, version,\n"
                   "# width x height, sha256.\n")
        for name, record in sorted(names.items()):
            file.write(f"{name}\t{record['path']}\t{record['package']}\t{record['version']}\t"
                       f"{record['width']}x{record['height']}\t{record['sha256']}\n")


def summary(records, links, photos):
    """A few lines: how many candidates, duplicates, non-photos and photos, and the photos' megapixels."""
    duplicates = sum(record["verdict"].startswith("duplicate of") for record in records)
    not_photos = [record for record in records if record["verdict"] in NOT_PHOTOS]
    vector = sum(record["measures"] is None for record in not_photos)
    others = ", ".join(f"{sum(record['verdict'] == kind for record in records)} {label}"
                       for kind, label in (("screenshot", "screenshots"), ("held out", "held out"),
                                           ("unreadable", "unreadable"))
                       if any(record["verdict"] == kind for record in records))
    pictures = judged(records)
    agree = sum((record["rule"] == PHOTO) == (record["verdict"] == PHOTO) for record in pictures)
    overridden = sum(record["override"] is not None for record in records)
    megapixels = sum(record["width"] * record["height"] for record in photos) / 1e6
    return "\n".join([
        f"{len(records)} candidate images ({len(links)} more names are symlinks to them)",
        f"  {duplicates} duplicates, {len(not_photos)} not photos ({vector} of them vector files)"
        + (f", {others}" if others else ""),
        f"  {len(photos)} photos, {megapixels:.1f} megapixels",
        f"the rule agrees with the eye on {agree} of {len(pictures)} distinct pictures ({overridden} overrides)",
    ])


# --- checking -------------------------------------------------------------------------------------------

def check(manifest_path, dest):
    """Returns a one-line confirmation that the manifest's photos are unchanged and linked from `dest`.

    Raises:
        Failure: the manifest is unreadable, a photo is missing or changed, or `dest` differs.
    """
    try:
        with open(manifest_path) as file:
            photos = [(record["path"], record["sha256"], record["width"] * record["height"], link_name(record))
                      for record in json.load(file)["images"] if record["verdict"] == PHOTO]
    except OSError as error:
        raise Failure(f"{shown(manifest_path)}: {error.strerror}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise Failure(f"{shown(manifest_path)}: not a manifest of this script ({type(error).__name__}: {error})"
                      ) from None
    changed = [f"{path}: {'changed' if os.path.isfile(path) else 'missing'}" for path, checksum, _, _ in photos
               if not os.path.isfile(path) or sha256(path) != checksum]
    if changed:
        raise Failure(f"{len(changed)} of {len(photos)} training photos differ from {shown(manifest_path)} "
                      f"(first: {changed[0]}); reinstall the packages or gather again")
    if not os.path.isdir(dest):
        raise Failure(f"{shown(dest)}: no such directory; run the script without --check to link the photos")
    expected = {name: path for path, _, _, name in photos}
    found = {name: os.readlink(os.path.join(dest, name)) for name in os.listdir(dest)
             if os.path.islink(os.path.join(dest, name))}
    if found != expected:
        wrong = sorted(set(found.items()) ^ set(expected.items()))
        raise Failure(f"{shown(dest)} does not link exactly the {len(photos)} photos of {shown(manifest_path)} "
                      f"({len(wrong)} links differ, first {wrong[0][0]}); run the script without --check")
    megapixels = sum(pixels for _, _, pixels, _ in photos) / 1e6
    return (f"{len(photos)} training photos ({megapixels:.1f} megapixels) match {shown(manifest_path)} "
            f"and {shown(dest)}")


if __name__ == "__main__":
    main()
