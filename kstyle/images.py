"""Reading, resizing and writing images without surprises.

Every input mode Pillow knows (greyscale, palette, RGBA, 16-bit, CMYK) becomes
float32 RGB in [0, 255]; EXIF orientation is honoured; images too large to be
reasonable are refused from their header, before a byte of pixels is decoded;
outputs are written to a temporary file and renamed, so a reader never sees half
a PNG. TensorFlow is not imported here, so the CLI can check its inputs in a
fraction of a second.
"""

import io
import os
import re
import tempfile
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from kstyle.errors import ImageError, UsageError

# Refuse inputs over this many pixels before decoding them: a 100-megapixel RGB
# image already takes 1.2 GB as float32, and a hostile 30000x30000 PNG of a few
# kilobytes would otherwise take 10 GB.
MAX_INPUT_PIXELS = 100_000_000
# The longest side an output or a style image may be asked to have.
MAX_SIDE = 16384

SAMPLE_PREFIX = "sample:"

WRITABLE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
# What a folder of inputs is searched for (anything Pillow reads can still be named directly).
READABLE_EXTENSIONS = WRITABLE_EXTENSIONS + (".gif", ".mpo")  # .mpo: a camera's stereo pair, a JPEG first


def read_image(source, *, max_pixels=MAX_INPUT_PIXELS):
    """Returns an image as float32 RGB `[height, width, 3]` in [0, 255].

    Args:
        source: a path; `sample:NAME` for a built-in sample (see
            `kstyle.samples`); a PIL image; or an array `[h, w]`, `[h, w, 1|3|4]`
            of uint8, uint16 (scaled down), bool, or float in [0, 255].
        max_pixels: images with more pixels than this are refused unread.

    Raises:
        ImageError: the file is missing, empty, not an image, truncated, or too
            large.
    """
    if isinstance(source, np.ndarray):
        return _array_to_rgb(source)
    if isinstance(source, Image.Image):
        return _pil_to_rgb(ImageOps.exif_transpose(source))
    path = os.fspath(source)
    if path.startswith(SAMPLE_PREFIX):
        from kstyle import samples  # Imported late: it needs scikit-image.
        return read_image(samples.sample_image(path[len(SAMPLE_PREFIX):]))
    return _pil_to_rgb(_open_checked(path, max_pixels))


def decode_image(data, name, *, max_pixels=MAX_INPUT_PIXELS):
    """Returns the image in `data` (the bytes of an image file) as `read_image` does.

    For files that are not on a local disk (a Beam pipeline reads `gs://` and
    `s3://` objects as bytes); `name` is what error messages call it.

    Raises:
        ImageError: as `read_image`.
    """
    if not data:
        raise ImageError(f"{name}: the file is empty")
    return _pil_to_rgb(_decode_checked(io.BytesIO(data), name, max_pixels))


def _open_checked(path, max_pixels):
    """Opens and decodes `path`, refusing what should not be decoded."""
    if not os.path.exists(path):
        raise ImageError(f"{path}: no such file")
    if os.path.isdir(path):
        raise ImageError(f"{path}: is a directory, not an image")
    if os.path.getsize(path) == 0:
        raise ImageError(f"{path}: the file is empty")
    return _decode_checked(path, path, max_pixels)


def _decode_checked(file, path, max_pixels):
    """Decodes `file` (a path or a binary file object) named `path`, refusing what should not be decoded."""
    try:
        with warnings.catch_warnings():
            # Our own limit below replaces Pillow's warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(file)
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not an image format Pillow can read") from None
    except Image.DecompressionBombError as error:
        # Pillow's own guard fires first for the largest images; report them like ours.
        pixels = re.search(r"\((\d+) pixels\)", str(error))
        size = f"{int(pixels.group(1)) / 1e6:.0f} megapixels" if pixels else "too large"
        raise ImageError(f"{path}: {size}; refusing images over {max_pixels / 1e6:.0f} megapixels") from None
    except OSError as error:
        raise ImageError(f"{path}: cannot open: {error.strerror or error}") from None
    width, height = image.size
    if width * height > max_pixels:
        raise ImageError(
            f"{path}: {width}x{height}, {width * height / 1e6:.0f} megapixels; "
            f"refusing images over {max_pixels / 1e6:.0f} megapixels")
    try:
        image.load()
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"{path}: truncated or corrupt image data ({error})") from None


def _pil_to_rgb(image):
    """Converts any Pillow mode to float32 RGB in [0, 255]."""
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        values = np.asarray(image, dtype=np.float32)
        if mode.startswith("I;16") or values.max(initial=0) > 255:
            values = values / 257.0  # 16-bit to 8-bit range
        return _array_to_rgb(np.clip(values, 0, 255))
    if mode == "F":
        values = np.asarray(image, dtype=np.float32)
        if values.max(initial=0) <= 1.0:
            values = values * 255.0  # float images are conventionally [0, 1]
        return _array_to_rgb(np.clip(values, 0, 255))
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if mode in ("LA", "La", "PA", "RGBa"):
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        return _array_to_rgb(np.asarray(image))
    return np.asarray(image.convert("RGB"), dtype=np.float32)


def _array_to_rgb(array):
    """Converts an array of a supported layout and dtype to float32 RGB [0, 255]."""
    array = np.asarray(array)
    if array.dtype == np.bool_:
        array = array.astype(np.float32) * 255.0
    elif array.dtype == np.uint16:
        array = array.astype(np.float32) / 257.0
    elif not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ImageError(f"cannot use an array of dtype {array.dtype} as an image")
    array = array.astype(np.float32)
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[-1] not in (1, 3, 4):
        raise ImageError(f"an image array must be [h, w], [h, w, 1], [h, w, 3] or [h, w, 4]; got {list(array.shape)}")
    if array.shape[-1] == 4:
        # Composite on white: transparent regions become paper, not black ink.
        alpha = array[..., 3:] / 255.0
        array = array[..., :3] * alpha + 255.0 * (1.0 - alpha)
    if array.shape[-1] == 1:
        array = np.repeat(array, 3, axis=-1)
    if not np.isfinite(array).all():
        raise ImageError("the image array contains NaN or infinite values")
    return np.clip(array, 0.0, 255.0)


def read_mask(source, height, width):
    """Returns a mask `[height, width]` in [0, 1]: the image's luminance, resized.

    Any image mode works (colour masks count by brightness); the mask is
    stretched to the given size, so it should have the content's aspect.
    """
    grey = read_image(source) @ np.array([0.299, 0.587, 0.114], np.float32)
    return resize(grey, height, width) / 255.0


def fit_longest_side(height, width, size):
    """Returns `(height, width)` scaled so the longer side is `size`."""
    scale = size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize(image, height, width):
    """Resizes float `[h, w, 3]` in [0, 255] (or `[h, w]`) with Lanczos, antialiased when shrinking."""
    if image.shape[:2] == (height, width):
        return image.astype(np.float32)
    if image.ndim == 2:
        return resize(image[..., None], height, width)[..., 0]
    channels = [
        np.asarray(Image.fromarray(np.ascontiguousarray(image[..., c], dtype=np.float32), mode="F")
                   .resize((width, height), Image.Resampling.LANCZOS))
        for c in range(image.shape[-1])
    ]
    return np.clip(np.stack(channels, axis=-1), 0.0, 255.0)


def resize_longest(image, size):
    """Resizes float RGB `[h, w, 3]` so its longer side is `size`."""
    return resize(image, *fit_longest_side(*image.shape[:2], size))


def to_uint8(image):
    """Rounds float [0, 255] to uint8, the only form that is written or returned."""
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def check_writable(path):
    """Raises unless an image can be written to `path`, before hours of work go into it.

    Raises:
        UsageError: the extension is not an image format kstyle writes.
        ImageError: the directory does not exist or cannot be written to.
    """
    path = os.fspath(path)
    if not path.lower().endswith(WRITABLE_EXTENSIONS):
        raise UsageError(f"{path}: the output must end in one of {', '.join(WRITABLE_EXTENSIONS)}")
    check_writable_file(path)


def check_writable_file(path):
    """Raises `ImageError` unless a file can be created at `path`."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ImageError(f"{path}: the directory {directory} does not exist")
    if os.path.isdir(path):
        raise ImageError(f"{path}: is a directory")
    try:
        # os.access() lies for root and on read-only mounts; a real file does not.
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".kstyle-check-"):
            pass
    except OSError as error:
        raise ImageError(f"{path}: cannot write to {directory} ({error.strerror})") from None


def write_image(path, image):
    """Writes an image atomically: a temporary file beside `path`, then a rename.

    Args:
        path: the destination; its extension picks the format.
        image: uint8, or float in [0, 255], `[height, width, 3]`.

    Raises:
        ImageError: the file cannot be written.
    """
    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    extension = os.path.splitext(name)[1].lower()
    pil_image = Image.fromarray(to_uint8(image))
    options = {"quality": 95} if extension in (".jpg", ".jpeg", ".webp") else {}
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=extension)
    except OSError as error:
        raise ImageError(f"{path}: cannot write ({error.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as file:
            pil_image.save(file, format=Image.registered_extensions()[extension], **options)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException as error:
        os.unlink(temporary)
        if isinstance(error, OSError):
            raise ImageError(f"{path}: cannot write ({error.strerror or error})") from None
        raise
