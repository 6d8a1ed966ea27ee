"""tools/gather_training_photos.py on generated pictures: the photo rule, de-duplication, held-out photos, --check.

No wallpaper package is needed: the pictures are made here with numpy, small enough to take a second.
"""

import importlib.util
import io
import json
import os

import numpy as np
import pytest
from PIL import Image, ImageDraw

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "gather_training_photos.py")
_spec = importlib.util.spec_from_file_location("gather_training_photos", TOOL)
gather = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gather)


def natural_picture(width=480, height=320, seed=0):
    """A photo-like picture: a 1/f texture (a scene's statistics) under a smooth sky, with sensor noise."""
    rng = np.random.default_rng(seed)
    frequency = np.hypot(np.fft.fftfreq(height)[:, None], np.fft.fftfreq(width)[None, :])
    amplitude = 1 / np.maximum(frequency, 1 / max(width, height))

    def texture():
        return np.real(np.fft.ifft2(amplitude * np.exp(2j * np.pi * rng.random((height, width)))))

    base = texture()
    pixels = np.stack([base + 0.3 * texture() for _ in range(3)], axis=-1)
    pixels = (pixels - pixels.mean()) / pixels.std() * 40 + 120
    sky = height // 4
    pixels[:sky] = np.array([150, 180, 220]) + 30 * np.linspace(0, 1, height)[:sky, None, None]
    pixels += rng.normal(0, 3, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def vector_drawing(width=480, height=320):
    """Flat fills: a sky, a mountain and a sun, as vector art draws them."""
    image = Image.new("RGB", (width, height), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.polygon([(0, height), (width // 2, height // 3), (width, height)], fill=(240, 200, 60))
    draw.ellipse((width * 0.65, height * 0.1, width * 0.85, height * 0.4), fill=(250, 250, 240))
    return image


def gradient(width=480, height=320, grain=0.0, seed=0):
    """A rendered colour gradient, with `grain` levels of the same noise everywhere (what hides banding)."""
    xs = np.linspace(0, 1, width)[None, :, None]
    ys = np.linspace(0, 1, height)[:, None, None]
    pixels = np.array([60, 120, 200]) * (1 - xs) + np.array([200, 80, 140]) * xs + 20 * ys
    pixels = pixels + np.random.default_rng(seed).normal(0, grain, (height, width, 1))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def verdict(image):
    return gather.rule(gather.measure(image))[0]


def test_the_rule_takes_a_photo_like_picture():
    measures = gather.measure(natural_picture())
    assert measures["smooth_share"] < 0.05 and measures["grain_evenness"] < 0.5, measures
    assert gather.rule(measures)[0] == gather.PHOTO


def test_the_rule_leaves_out_flat_fills_gradients_synthetic_grain_and_transparency():
    assert gather.measure(vector_drawing())["smooth_share"] > 0.9
    assert verdict(vector_drawing()) == gather.DRAWING
    assert verdict(gradient()) == gather.DRAWING
    grainy = gather.measure(gradient(grain=4))
    assert grainy["smooth_share"] < gather.SMOOTH_LIMIT, "the grain hides the smoothness from the first test"
    assert grainy["grain_evenness"] > gather.EVENNESS_LIMIT and gather.rule(grainy)[0] == gather.DRAWING
    overlay = natural_picture().convert("RGBA")
    overlay.putalpha(200)
    assert verdict(overlay) == gather.DRAWING


def test_copies_hash_alike_and_different_pictures_do_not():
    picture = natural_picture(seed=3)
    smaller = picture.resize((240, 160), Image.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=60)
    for copy in (smaller, Image.open(buffer)):
        assert gather.hash_distance(gather.phash(picture), gather.phash(copy)) <= gather.NEAR_DUPLICATE_BITS
    assert gather.hash_distance(gather.phash(picture), gather.phash(natural_picture(seed=4))) > 15


@pytest.mark.parametrize("path, key", [
    ("/w/Kay/contents/images/5120x2880.png", "/w/Kay/contents/images"),
    ("/w/Kay/contents/images_dark/1080x1920.png", "/w/Kay/contents/images_dark"),
    ("/b/mate/Elephants_3840x2160.jpg", "/b/mate/Elephants"),
    ("/b/mate/Elephants.jpg", "/b/mate/Elephants"),
    ("/b/sway/Sway_Wallpaper_Blue_1136x640_Portrait.png", "/b/sway/Sway_Wallpaper_Blue_Portrait"),
])
def test_the_sizes_of_one_picture_share_a_key(path, key):
    assert gather.picture_key(path) == key


def save(image, path, **options):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    image.save(path, **options)
    return path


def decided(root, paths, held_out=()):
    """`{path under root: verdict}` of the pictures at `paths`, decided as the script does."""
    records = [gather.describe(path, "test-wallpapers", "1.0") for path in paths]
    gather.decide(records, list(held_out))
    return {os.path.relpath(record["path"], root): record["verdict"] for record in records}


def test_duplicates_keep_the_largest_and_screenshots_are_skipped(tmp_path):
    picture, other = natural_picture(960, 640, seed=5), natural_picture(seed=6)
    plasma = tmp_path / "wallpapers" / "Lake" / "contents"
    paths = [save(picture, str(plasma / "images" / "960x640.jpg"), quality=95),
             save(picture.resize((480, 320), Image.BOX), str(plasma / "images" / "480x320.jpg"), quality=95),
             save(picture.resize((240, 160), Image.BOX), str(plasma / "screenshot.png")),
             save(picture.resize((720, 480), Image.BOX), str(tmp_path / "backgrounds" / "Lake_720x480.jpg"),
                  quality=70),  # the same picture under another name: a near duplicate
             save(other, str(tmp_path / "backgrounds" / "Meadow.png")),
             save(vector_drawing(), str(tmp_path / "backgrounds" / "Mountain.png"))]
    largest = paths[0]
    assert decided(tmp_path, paths) == {
        "wallpapers/Lake/contents/images/960x640.jpg": gather.PHOTO,
        "wallpapers/Lake/contents/images/480x320.jpg": f"duplicate of {largest}",
        "wallpapers/Lake/contents/screenshot.png": "screenshot",
        "backgrounds/Lake_720x480.jpg": f"duplicate of {largest}",
        "backgrounds/Meadow.png": gather.PHOTO,
        "backgrounds/Mountain.png": gather.DRAWING,
    }


def test_a_held_out_photo_is_never_taken(tmp_path):
    held_out = natural_picture(seed=7)
    paths = [save(held_out, str(tmp_path / "a" / "judge.jpg"), quality=90),
             save(natural_picture(seed=8), str(tmp_path / "a" / "other.jpg"), quality=90)]
    verdicts = decided(tmp_path, paths, held_out=[("sample:judge", None, gather.phash(held_out))])
    assert verdicts == {"a/judge.jpg": "held out", "a/other.jpg": gather.PHOTO}


def test_check_fails_when_a_photo_changes_or_dest_differs(tmp_path):
    path = save(natural_picture(), str(tmp_path / "photos" / "Meadow.jpg"), quality=90)
    record = dict(gather.describe(path, "test-wallpapers", "1.0"), verdict=gather.PHOTO)
    manifest, dest = str(tmp_path / "manifest.json"), str(tmp_path / "dest")
    with open(manifest, "w") as file:
        json.dump({"images": [record]}, file)
    gather.link_photos(dest, [record])
    assert gather.check(manifest, dest).startswith("1 training photos")
    os.remove(os.path.join(dest, gather.link_name(record)))
    with pytest.raises(gather.Failure, match="does not link exactly"):
        gather.check(manifest, dest)
    save(natural_picture(seed=1), path, quality=90)
    with pytest.raises(gather.Failure, match="1 of 1 training photos differ"):
        gather.check(manifest, dest)
