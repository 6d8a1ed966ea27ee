"""What the Beam tests share: a folder of mixed photos, the command run in process, the files a run wrote."""

import contextlib
import io
import os

import numpy as np
from conftest import synthetic_image
from PIL import Image

STYLE = "starry_night"
FORMATS = ("png", "jpg", "webp", "bmp", "tiff", "gif")
FAILING = {"broken.jpg": "not an image format Pillow can read", "a/truncated.jpg": "truncated or corrupt image data",
           "a/b/tiny.png": "the image is 8x8; the network needs at least 16x16 pixels"}
PAINTABLE = 27


def make_photos(root):
    """30 files in three folders: 27 photos of mixed sizes, formats and modes, and the 3 of `FAILING`.

    Names are unique across folders, so `kstyle transform` can write them all to one flat folder.
    A hidden PNG and a text file lie beside them, which a folder's pattern does not take.
    """
    rng = np.random.default_rng(0)
    folders = ("", "a", "a/b")
    for index in range(PAINTABLE):
        height, width = (int(side) for side in rng.integers(24, 120, 2))
        image = Image.fromarray(synthetic_image(height, width, seed=index).astype(np.uint8))
        image = image.convert(("RGB", "L", "RGBA", "P")[index % 4]) if FORMATS[index % 6] != "jpg" else image
        path = root / folders[index % 3] / f"photo{index:02d}.{FORMATS[index % 6]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)
    (root / "broken.jpg").write_bytes(b"this is not a JPEG\n")
    full = root / "a" / "full.jpg"
    Image.fromarray(synthetic_image(80, 80, seed=99).astype(np.uint8)).save(full, quality=95)
    (root / "a" / "truncated.jpg").write_bytes(full.read_bytes()[:-600])
    full.unlink()
    Image.fromarray(synthetic_image(8, 8).astype(np.uint8)).save(root / "a" / "b" / "tiny.png")
    (root / "a" / ".hidden.png").write_bytes((root / "photo00.png").read_bytes())  # not an input: hidden
    (root / "notes.txt").write_text("not an input: not an image's extension\n")
    return root


def run(arguments):
    """`python -m kstyle.beam ARGUMENTS` in this process: `(exit status, what it printed)`."""
    from kstyle.beam import __main__ as command
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = command.main(["kstyle.beam", *arguments])
    return status, out.getvalue() + err.getvalue()


def files(folder):
    """`{relative path: bytes}` of every file under `folder`, hidden ones included."""
    found = {}
    for directory, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as file:
                found[os.path.relpath(path, folder)] = file.read()
    return found


def pictures(folder):
    return {name: data for name, data in files(folder).items() if name != "failures.txt"}
