"""Built-in images, so a fresh install can be tried with no files and no network.

Photos come from scikit-image's bundled data (install the `demo` extra); the
paintings are generated here, deterministically, because no painting ships
offline with any package we depend on.
"""

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from kstyle.errors import UsageError

# scikit-image's photographs (greyscale ones too, as RGB): `sample:NAME` each, and all of them as
# `sample:photos`, which `kstyle train` can train on without a photo collection.
PHOTOS = ("astronaut", "brick", "camera", "cat", "chelsea", "clock", "coffee", "coins", "grass", "gravel",
          "hubble_deep_field", "immunohistochemistry", "moon", "retina", "rocket")
ALL_PHOTOS = "photos"
PAINTINGS = ("swirls", "mosaic")


def sample_names():
    """Returns the names accepted as `sample:NAME`, photos first."""
    return PHOTOS + PAINTINGS


def sample_image(name):
    """Returns the built-in image `name` as uint8 RGB `[h, w, 3]`.

    Raises:
        UsageError: `name` is not a sample, or scikit-image is missing for a photo.
    """
    if name in PAINTINGS:
        return _swirls() if name == "swirls" else _mosaic()
    if name not in PHOTOS:
        raise UsageError(f"no built-in sample {name!r}; the samples are: {', '.join(sample_names())}")
    return _skimage_photo(name)


def _skimage_photo(name):
    """Returns scikit-image's photo `name` as uint8 RGB `[h, w, 3]` (greyscale ones repeated)."""
    try:
        import skimage.data
    except ImportError:
        raise UsageError(f"sample:{name} needs scikit-image: pip install 'kstyle[demo]'") from None
    image = np.asarray(getattr(skimage.data, name)())
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return image[..., :3].astype(np.uint8)


def _swirls(size=512, seed=1889):
    """Short curved brush strokes along a field of vortices, in night-sky colours."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (size, size), (22, 40, 92))
    draw = ImageDraw.Draw(image)
    centres = rng.uniform(0.1, 0.9, size=(5, 2)) * size
    spins = rng.choice([-1.0, 1.0], size=5) * rng.uniform(0.6, 1.4, size=5)
    palette = np.array([(24, 52, 120), (40, 86, 160), (74, 128, 196), (140, 176, 210),
                        (230, 206, 92), (246, 226, 140), (30, 60, 70), (250, 246, 220)])

    def direction(point):
        offsets = point - centres
        distances = np.linalg.norm(offsets, axis=1, keepdims=True) + 8.0
        tangents = np.stack([-offsets[:, 1], offsets[:, 0]], axis=1) * spins[:, None]
        flow = (tangents / distances**2 * size).sum(axis=0) + np.array([1.0, 0.15])
        return flow / (np.linalg.norm(flow) + 1e-9)

    for _ in range(4500):
        point = rng.uniform(0, size, size=2)
        near_centre = np.min(np.linalg.norm(centres - point, axis=1)) < size * 0.08
        colour = palette[rng.choice([4, 5, 7]) if near_centre and rng.random() < 0.7
                         else rng.integers(0, len(palette))]
        colour = tuple(int(c) for c in np.clip(colour + rng.normal(0, 12, 3), 0, 255))
        points = [tuple(point)]
        for _ in range(int(rng.integers(4, 10))):
            point = point + direction(point) * size / 90
            points.append(tuple(point))
        draw.line(points, fill=colour, width=int(rng.integers(3, 8)), joint="curve")
    return np.asarray(image.filter(ImageFilter.SMOOTH))


def _mosaic(size=512, seed=1905, tiles=180):
    """Bold Voronoi tiles with dark grout, like a stained-glass window."""
    import scipy.spatial  # Here: the CLI imports this module for its help text.
    rng = np.random.default_rng(seed)
    sites = rng.uniform(0, size, size=(tiles, 2))
    colours = rng.choice(np.array([(200, 40, 40), (240, 180, 40), (40, 110, 190), (60, 150, 80),
                                   (230, 120, 30), (120, 60, 150), (240, 230, 210)]), size=tiles)
    colours = np.clip(colours + rng.normal(0, 18, colours.shape), 0, 255)
    ys, xs = np.mgrid[0:size, 0:size]
    pixels = np.stack([xs.ravel(), ys.ravel()], axis=1)
    distances, nearest = scipy.spatial.cKDTree(sites).query(pixels, k=2)
    image = colours[nearest[:, 0]]
    image[distances[:, 1] - distances[:, 0] < 3.0] = (30, 25, 20)  # grout between tiles
    return image.reshape(size, size, 3).astype(np.uint8)
