import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from kstyle import images
from kstyle.errors import ImageError, UsageError


def save(tmp_path, name, image, **kwargs):
    path = tmp_path / name
    image.save(path, **kwargs)
    return str(path)


def test_rgb_png_round_trips_exactly(tmp_path):
    array = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    path = save(tmp_path, "a.png", Image.fromarray(array))
    loaded = images.read_image(path)
    assert loaded.dtype == np.float32 and loaded.shape == (20, 30, 3)
    np.testing.assert_array_equal(loaded, array)


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "1", "LA", "I", "F"])
def test_every_mode_becomes_rgb(tmp_path, mode):
    source = Image.fromarray(np.random.default_rng(1).integers(0, 256, (10, 12, 3), dtype=np.uint8))
    path = save(tmp_path, f"a.{'tiff' if mode in ('CMYK', 'I', 'F') else 'png'}", source.convert(mode))
    loaded = images.read_image(path)
    assert loaded.shape == (10, 12, 3)
    assert 0 <= loaded.min() and loaded.max() <= 255


def test_greyscale_gives_equal_channels(tmp_path):
    grey = np.arange(0, 240, 2, dtype=np.uint8).reshape(10, 12)
    loaded = images.read_image(save(tmp_path, "g.png", Image.fromarray(grey)))
    np.testing.assert_array_equal(loaded[..., 0], grey)
    np.testing.assert_array_equal(loaded[..., 0], loaded[..., 2])


def test_16_bit_greyscale_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 65535], [32896, 257 * 100]], dtype=np.uint16)
    path = save(tmp_path, "deep.png", Image.fromarray(values))
    loaded = images.read_image(path)
    np.testing.assert_allclose(loaded[..., 0], [[0, 255], [128, 100]], atol=0.01)


def test_rgba_is_composited_on_white(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 200          # red ink
    rgba[:2, :, 3] = 255        # opaque top half
    loaded = images.read_image(save(tmp_path, "t.png", Image.fromarray(rgba, "RGBA")))
    np.testing.assert_array_equal(loaded[0, 0], [200, 0, 0])
    np.testing.assert_array_equal(loaded[3, 0], [255, 255, 255])


def test_palette_with_transparency(tmp_path):
    image = Image.new("P", (4, 4), 0)
    image.putpalette([10, 20, 30] + [0, 0, 0] * 255)
    path = save(tmp_path, "p.png", image, transparency=0)
    np.testing.assert_array_equal(images.read_image(path)[0, 0], [255, 255, 255])


def test_exif_orientation_is_honoured(tmp_path):
    array = np.zeros((10, 20, 3), np.uint8)  # wide image, left half red
    array[:, :10, 0] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # Rotate 90 CW to display.
    path = save(tmp_path, "o.jpg", Image.fromarray(array), exif=exif, quality=100)
    loaded = images.read_image(path)
    assert loaded.shape == (20, 10, 3)  # displayed tall
    assert loaded[2, 5, 0] > 200 and loaded[17, 5, 0] < 60  # red moved to the top


@pytest.mark.parametrize("array, expected", [
    (np.full((2, 2), 7, np.uint8), 7),
    (np.full((2, 2, 1), 7, np.uint8), 7),
    (np.full((2, 2, 3), 65535, np.uint16), 255),
    (np.full((2, 2, 3), 100.5, np.float64), 100.5),
    (np.ones((2, 2), bool), 255),
])
def test_arrays(array, expected):
    loaded = images.read_image(array)
    assert loaded.shape == (2, 2, 3)
    np.testing.assert_allclose(loaded, expected)


def test_bad_arrays_are_refused():
    with pytest.raises(ImageError, match="must be"):
        images.read_image(np.zeros((2, 2, 5)))
    with pytest.raises(ImageError, match="NaN"):
        images.read_image(np.full((2, 2, 3), np.nan))


def test_pil_image_input():
    image = Image.new("RGB", (5, 4), (1, 2, 3))
    np.testing.assert_array_equal(images.read_image(image)[0, 0], [1, 2, 3])


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"", "empty"),
    (b"this is text, not a JPEG\n", "not an image"),
])
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / "bad.jpg"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageError, match=message):
        images.read_image(str(path))


def test_truncated_jpeg(tmp_path):
    buffer = tmp_path / "full.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8)).save(buffer)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(buffer.read_bytes()[:3000])
    with pytest.raises(ImageError, match="truncated"):
        images.read_image(str(truncated))


def _png_header_only(width, height):
    """A PNG whose header claims width x height, with one tiny compressed row of data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + \
        chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(30000, 30000))
    assert path.stat().st_size < 1000
    with pytest.raises(ImageError, match="900 megapixels; refusing images over 100 megapixels"):
        images.read_image(str(path))


def test_pixel_limit_is_checked_from_the_header(tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(_png_header_only(12000, 10000))  # under Pillow's guard, over ours
    with pytest.raises(ImageError, match="12000x10000, 120 megapixels; refusing images over 100"):
        images.read_image(str(path))
    small = save(tmp_path, "a.png", Image.new("RGB", (100, 100)))
    with pytest.raises(ImageError, match="megapixels"):
        images.read_image(small, max_pixels=5000)


def test_decode_image_reads_bytes_as_read_image_reads_the_file(tmp_path):
    """The bytes of a file from object storage (kstyle.beam) are checked and decoded like a local file."""
    rotated = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(rotated, exif=exif)
    decoded = images.decode_image(rotated.read_bytes(), "gs://bucket/rotated.jpg")
    assert decoded.shape == (60, 40, 3)
    np.testing.assert_array_equal(decoded, images.read_image(str(rotated)))
    for data, message in [(b"", "gs://b/x.jpg: the file is empty"), (b"text", "gs://b/x.jpg: not an image"),
                          (rotated.read_bytes()[:-400], "gs://b/x.jpg: truncated"),
                          (_png_header_only(12000, 10000), "gs://b/x.jpg: 12000x10000, 120 megapixels")]:
        with pytest.raises(ImageError, match=message):
            images.decode_image(data, "gs://b/x.jpg")


def test_resize_longest_keeps_aspect_and_range():
    image = np.random.default_rng(0).uniform(0, 255, (30, 60, 3)).astype(np.float32)
    small = images.resize_longest(image, 20)
    assert small.shape == (10, 20, 3)
    assert small.min() >= 0 and small.max() <= 255
    # A flat image stays flat: no ringing from Lanczos on constant regions.
    np.testing.assert_allclose(images.resize_longest(np.full((30, 60, 3), 77.0), 17), 77.0, atol=1e-3)


def test_write_image_round_trips_and_leaves_no_temporary(tmp_path):
    array = np.random.default_rng(0).uniform(0, 255, (8, 9, 3))
    path = tmp_path / "out.png"
    images.write_image(str(path), array)
    np.testing.assert_array_equal(np.asarray(Image.open(path)), images.to_uint8(array))
    assert os.listdir(tmp_path) == ["out.png"]


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "out.png"
    images.write_image(str(path), np.zeros((4, 4, 3)))
    before = path.read_bytes()

    def broken_save(self, fp, format=None, **params):
        fp.write(b"half a png")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(ImageError, match="No space left"):
        images.write_image(str(path), np.full((4, 4, 3), 255.0))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["out.png"]


def test_check_writable(tmp_path):
    images.check_writable(str(tmp_path / "fine.png"))
    with pytest.raises(UsageError, match="must end in"):
        images.check_writable(str(tmp_path / "out.txt"))
    with pytest.raises(ImageError, match="does not exist"):
        images.check_writable(str(tmp_path / "missing" / "out.png"))
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(ImageError, match="is a directory"):
        images.check_writable(str(tmp_path / "dir.png"))
    assert sorted(os.listdir(tmp_path)) == ["dir.png"]  # the probe file is gone


def test_check_writable_refuses_read_only_directory(tmp_path):
    if os.geteuid() == 0:
        directory = "/proc"  # root may write anywhere but here
    else:
        directory = tmp_path / "ro"
        directory.mkdir()
        directory.chmod(0o555)
    with pytest.raises(ImageError, match="cannot write"):
        images.check_writable(os.path.join(directory, "out.png"))


def test_to_uint8_rounds_and_clips():
    np.testing.assert_array_equal(images.to_uint8(np.array([-3.0, 0.4, 0.6, 254.5, 300.0])), [0, 0, 1, 254, 255])
