import numpy as np
import pytest
from conftest import synthetic_image
from PIL import Image

from kstyle import samples
from kstyle.errors import UsageError
from kstyle.feedforward import data


@pytest.fixture
def photo_dir(tmp_path):
    (tmp_path / "nested").mkdir()
    for i, name in enumerate(["a.jpg", "b.png", "nested/c.jpg"]):
        Image.fromarray(synthetic_image(40 + i * 10, 60, seed=i).astype(np.uint8)).save(tmp_path / name)
    (tmp_path / "notes.jpg").write_text("not a photo")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "readme.txt").write_text("hello")
    return tmp_path


def test_find_photos_counts_what_it_skips(photo_dir):
    found = data.find_photos(str(photo_dir))
    assert sorted(p.split("/")[-1] for p in found.paths) == ["a.jpg", "b.png", "c.jpg"]
    assert found.skipped == 3


def test_a_home_directory_is_expanded(photo_dir, monkeypatch):
    # A shell leaves `~` alone in --train_images=~/photos.
    monkeypatch.setenv("HOME", str(photo_dir))
    assert len(data.find_photos("~").paths) == 3
    assert len(data.find_photos("~/nested").paths) == 1


def test_photos_already_found_are_not_searched_again(photo_dir):
    found = data.find_photos(str(photo_dir))
    (photo_dir / "a.jpg").unlink()
    assert data.find_photos(found) is found


def test_globs_and_lists(photo_dir):
    assert len(data.find_photos(f"{photo_dir}/*.jpg").paths) == 1
    assert len(data.find_photos([f"{photo_dir}/a.jpg", f"{photo_dir}/nested"]).paths) == 2


@pytest.mark.parametrize("source, message", [("/no/such/dir", "matches no files"), ("{tmp}/*.txt", "none of")])
def test_nothing_usable_is_an_error(photo_dir, source, message):
    with pytest.raises(UsageError, match=message):
        data.find_photos(source.format(tmp=photo_dir))


def test_dataset_gives_random_crops_and_drops_undecodable(photo_dir):
    paths = list(data.find_photos(str(photo_dir)).paths)
    broken = photo_dir / "truncated.jpg"
    broken.write_bytes((photo_dir / "a.jpg").read_bytes()[:200])  # a header Pillow accepts, no pixels
    batches = data.training_dataset(paths + [str(broken)], crop_size=32, batch_size=3)
    for batch in batches.take(4):
        assert batch.shape == (3, 32, 32, 3) and batch.dtype == "float32"
        assert 0 <= float(batch.numpy().min()) and float(batch.numpy().max()) <= 255


def test_an_undecodable_file_is_dropped_not_cropped(tmp_path):
    """Every crop comes from the one good photo (green); the broken file gives none, not a black crop."""
    good, bad = tmp_path / "good.png", tmp_path / "bad.jpg"
    Image.new("RGB", (48, 40), (10, 200, 30)).save(good)
    Image.new("RGB", (48, 40), (250, 20, 200)).save(tmp_path / "full.jpg")
    bad.write_bytes((tmp_path / "full.jpg").read_bytes()[:150])
    batches = data.training_dataset([str(bad), str(good)], crop_size=32, batch_size=2)
    for batch in batches.take(3):
        np.testing.assert_allclose(batch.numpy().reshape(-1, 3).mean(0), (10, 200, 30), atol=2)


def test_sample_photos_are_written(tmp_path):
    paths = data.write_samples(samples.PHOTOS, str(tmp_path))
    assert len(paths) == len(samples.PHOTOS) == 15
    assert all(Image.open(p).mode == "RGB" and min(Image.open(p).size) >= 256 for p in paths)


def test_several_styles_take_turns_through_the_stream(photo_dir):
    paths = list(data.find_photos(str(photo_dir)).paths)
    plain = data.training_dataset(paths, crop_size=32, batch_size=4, seed=5)
    styled = data.training_dataset(paths, crop_size=32, batch_size=4, seed=5, styles=3)
    seen = []
    for batch, labelled in zip(plain.take(3), styled.take(3)):
        assert set(labelled) == {"photos", "style"}
        np.testing.assert_array_equal(labelled["photos"].numpy(), batch.numpy())  # the same crops
        seen.extend(labelled["style"].numpy().tolist())
    assert seen == [index % 3 for index in range(12)]


def test_files_tensorflow_cannot_decode_are_skipped_and_all_of_them_is_an_error(tmp_path):
    Image.fromarray(synthetic_image(40, 50).astype(np.uint8)).save(tmp_path / "good.png")
    Image.fromarray(synthetic_image(40, 50).astype(np.uint8)).save(tmp_path / "tiff.jpg", format="TIFF")
    Image.fromarray(synthetic_image(40, 50, 1).astype(np.uint8)).save(tmp_path / "full.jpg")
    whole = (tmp_path / "full.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(whole[:whole.find(b"\xff\xda") + 20])  # Pillow opens it, pixels cut
    (tmp_path / "full.jpg").unlink()
    found = data.find_photos(str(tmp_path))
    assert [p.rsplit("/", 1)[1] for p in found.paths] == ["good.png"] and found.skipped == 2
    (tmp_path / "good.png").unlink()
    with pytest.raises(UsageError, match="TensorFlow cannot decode any of the 1 photos"):
        data.find_photos(str(tmp_path))  # (the TIFF is refused from its header, before decoding)


def test_crops_span_scales_from_the_whole_photo_to_full_resolution(tmp_path):
    """A horizontal ramp of 1 level per pixel: a crop's slope says how much the photo was shrunk."""
    ramp = np.tile(np.arange(256, dtype=np.uint8)[None, :, None], (256, 1, 3))
    Image.fromarray(ramp).save(tmp_path / "ramp.png")
    batches = data.training_dataset([str(tmp_path / "ramp.png")], crop_size=32, batch_size=8, seed=3)
    slopes = []
    for batch in batches.take(6):
        for crop in batch.numpy():
            slopes.append(abs(float(np.mean(np.diff(crop[:, 4:-4, 0], axis=1)))))
    assert min(slopes) < 1.6 and max(slopes) > 5.0  # near full resolution, and near the whole photo (8)
    assert all(0.8 < slope < 8.5 for slope in slopes)


def test_phone_photos_holding_several_pictures_are_trained_on(tmp_path):
    """Pillow calls a JPEG with more pictures after it (a gain map, Ultra HDR, a stereo pair) MPO; TensorFlow and
    images.read_image read its first picture, so it is a photo like any other."""
    from kstyle import images
    for name in ("phone.jpg", "stereo.mpo"):
        first, second = (Image.fromarray(synthetic_image(48, 64, seed).astype(np.uint8)) for seed in (1, 2))
        first.save(tmp_path / name, format="MPO", save_all=True, append_images=[second])
        with Image.open(tmp_path / name) as opened:
            assert opened.format == "MPO"
        assert images.read_image(str(tmp_path / name)).shape == (48, 64, 3)
    found = data.find_photos(str(tmp_path))
    assert sorted(p.rsplit("/", 1)[1] for p in found.paths) == ["phone.jpg", "stereo.mpo"] and found.skipped == 0
