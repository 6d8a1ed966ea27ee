"""`kstyle transform`: one image, a folder, shipped models, and bad inputs."""

import os

import keras
import numpy as np
import pytest
from conftest import synthetic_image, styled_network
from PIL import Image

from kstyle.cli import main as cli
from kstyle.cli import transform as transform_verb
from kstyle.feedforward import shipped
from kstyle.feedforward.network import StyleNetwork


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    keras.utils.set_random_seed(0)
    network = StyleNetwork(width=4, residual_blocks=1)
    network(np.zeros((1, 32, 32, 3), np.float32))
    path = tmp_path_factory.mktemp("model") / "network.keras"
    network.save(path)
    return str(path), network


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
    """`model`'s network exported with a budget of 64x64 pixels an image."""
    from kstyle.serving import limits, savedmodel
    return savedmodel.export(model[1], str(tmp_path_factory.mktemp("models") / "small"),
                             budget=limits.budget(max_pixels=64 * 64))


@pytest.fixture(scope="module")
def painter(tmp_path_factory):
    network = styled_network(("wave", "udnie"), seed=5)
    path = tmp_path_factory.mktemp("painter") / "two.keras"
    network.save(path)
    return str(path), network


@pytest.fixture
def photos(tmp_path):
    directory = tmp_path / "in"
    directory.mkdir()
    for seed, size in enumerate([(40, 50), (33, 21), (64, 64)]):
        Image.fromarray(synthetic_image(*size, seed).astype(np.uint8)).save(directory / f"p{seed}.jpg")
    return directory


def test_one_image_keeps_its_size_and_matches_the_network(tmp_path, photos, model, capsys):
    path, network = model
    output = tmp_path / "out.png"
    assert cli.main(["kstyle", "transform", f"--model={path}", f"--input={photos}/p1.jpg", f"--output={output}"]) == 0
    result = np.asarray(Image.open(output))
    assert result.shape == (33, 21, 3)
    photo = np.asarray(Image.open(photos / "p1.jpg"), np.float32)
    np.testing.assert_allclose(result, np.clip(np.rint(network(photo[None]).numpy()[0]), 0, 255), atol=1)


def test_max_size_shrinks(tmp_path, photos, model):
    output = tmp_path / "small.png"
    assert cli.main(["kstyle", "transform", f"--model={model[0]}", f"--input={photos}/p2.jpg",
                     f"--output={output}", "--max_size=32"]) == 0
    assert Image.open(output).size == (32, 32)


def test_a_folder_with_a_broken_file(tmp_path, photos, model, capsys):
    (photos / "broken.jpg").write_text("oops")
    output = tmp_path / "out"
    status = cli.main(["kstyle", "transform", f"--model={model[0]}", f"--input={photos}", f"--output={output}"])
    out, err = capsys.readouterr()
    assert status == 1
    assert sorted(p.name for p in output.iterdir()) == ["p0.png", "p1.png", "p2.png"]
    broken = f"kstyle: {photos / 'broken.jpg'}: not an image format Pillow can read"
    assert err.splitlines() == [broken, f"{broken.replace('kstyle: ', 'kstyle: 1 of 4 inputs failed; first: ')}"]


def test_list_models_names_the_network_each_style_lives_in(capsys):
    assert cli.main(["kstyle", "transform", "--list_models"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == shipped.names() and "starry_night" in shipped.names()
    line = next(line for line in listed if line.startswith("starry_night "))
    assert "in paintings.keras (for quality), with the_scream, udnie, wave, woman-with-hat-matisse" in line
    fast = next(line for line in listed if line.startswith("wave_fast "))
    assert "in paintings_fast.keras (for speed: painted at half size" in fast and "with starry_night_fast" in fast


def test_a_shipped_style_or_blend_needs_no_model(tmp_path, photos):
    photo = f"{photos}/p0.jpg"
    by_model = tmp_path / "by_model.png"
    assert cli.main(["kstyle", "transform", "--model=wave", f"--input={photo}", f"--output={by_model}"]) == 0
    by_style = tmp_path / "by_style.png"
    assert cli.main(["kstyle", "transform", "--style=wave", f"--input={photo}", f"--output={by_style}"]) == 0
    np.testing.assert_array_equal(np.asarray(Image.open(by_style)), np.asarray(Image.open(by_model)))
    blended, named_blend = tmp_path / "blended.png", tmp_path / "named.png"
    assert cli.main(["kstyle", "transform", "--blend=wave:0.3,udnie:0.7", f"--input={photo}",
                     f"--output={blended}"]) == 0
    assert cli.main(["kstyle", "transform", "--model=udnie", "--blend=wave:0.3,udnie:0.7", f"--input={photo}",
                     f"--output={named_blend}"]) == 0
    np.testing.assert_array_equal(np.asarray(Image.open(blended)), np.asarray(Image.open(named_blend)))
    assert not np.array_equal(np.asarray(Image.open(blended)), np.asarray(Image.open(by_style)))


@pytest.mark.parametrize("flags, message", [
    ([], "say what to paint: --style=NAME, --blend=NAME:WEIGHT,... or --model=NAME|FILE; the shipped styles are "),
    (["--style=nowhere"], "nowhere: not a shipped style; the shipped styles are "),
    (["--blend=wave:1,nowhere:1"], "nowhere: not a shipped style"),
    (["--style=wave,udnie"], "transform paints one style; mix several with --blend"),
    (["--style=wave", "--blend=udnie"], "give --style=NAME or --blend=NAME:WEIGHT,..., not both"),
])
def test_without_a_model_the_choices_are_named(tmp_path, photos, capsys, flags, message):
    status = cli.main(["kstyle", "transform", *flags, f"--input={photos}/p0.jpg", f"--output={tmp_path}/o.png"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and message in err, err
    if "shipped styles are" in message:
        assert "starry_night" in err


@pytest.mark.parametrize("changes, status, message", [
    ({"model": "{tmp}/missing.keras"}, 2, "neither a shipped model"),
    ({"model": "{tmp}/notes.keras"}, 1, "not a Keras style network"),
    ({"input": "{tmp}/missing.jpg"}, 1, "no such file"),
    ({"input": "{tmp}/tiny.png"}, 2, "needs at least 16x16"),
    ({"input": "{tmp}/in/*.gif"}, 2, "matches no files"),
    ({"input": "{tmp}/in", "output": "{tmp}/out.png"}, 2, "output directory"),
    ({"output": "{tmp}/no/dir/out.png"}, 1, "does not exist"),
    ({"input": "{tmp}/in/p1.jpg,{tmp}/p1.png", "output": "{tmp}/outdir"}, 2, "would both be written to"),
    ({"max_size": "4"}, 2, "max_size must be at least 16"),
    ({"input": "{tmp}/p1.png", "output": "{tmp}/p1.png"}, 2, "is one of the inputs and would be overwritten"),
    ({"iterations": "3"}, 2, "does not apply to `kstyle transform`"),
    ({"blend": "wave:x"}, 2, "not NAME:WEIGHT"),
    ({"blend": "wave"}, 2, "paints one style without a name"),
    ({"strength": "1.5"}, 2, "strength must be from 0"),
])
def test_bad_input(tmp_path, photos, model, capsys, changes, status, message):
    (tmp_path / "notes.keras").write_text("not a model")
    Image.new("RGB", (10, 40)).save(tmp_path / "tiny.png")
    Image.new("RGB", (20, 20)).save(tmp_path / "p1.png")
    values = {"model": model[0], "input": f"{photos}/p0.jpg", "output": str(tmp_path / "out.png")}
    values.update({key: value.format(tmp=tmp_path) for key, value in changes.items()})
    assert cli.main(["kstyle", "transform", *(f"--{k}={v}" for k, v in values.items())]) == status
    err = capsys.readouterr().err
    assert err.startswith("kstyle: ") and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out.png").exists() and not (tmp_path / "outdir").exists()


def test_a_savedmodel_directory_gives_the_keras_networks_picture(tmp_path, photos, model, exported):
    """`--model=export/models/NAME/1`, and the export directory itself (its latest version), as `kstyle export`
    wrote it: served through serving_default."""
    path, version = model[0], exported
    base = os.path.dirname(version)
    for source in (version, base):
        from_keras, from_savedmodel = tmp_path / "keras.png", tmp_path / "savedmodel.png"
        for model_given, output in ((path, from_keras), (source, from_savedmodel)):
            assert cli.main(["kstyle", "transform", f"--model={model_given}", f"--input={photos}/p0.jpg",
                             f"--output={output}"]) == 0
        difference = np.abs(np.asarray(Image.open(from_savedmodel), int) - np.asarray(Image.open(from_keras), int))
        assert np.asarray(Image.open(from_savedmodel)).shape == (40, 50, 3) and difference.max() <= 1


def test_a_folder_is_not_written_over_its_own_pngs(tmp_path, model, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    for seed in range(2):
        Image.fromarray(synthetic_image(20, 24, seed).astype(np.uint8)).save(photos / f"p{seed}.png")
    before = {path.name: path.read_bytes() for path in photos.iterdir()}
    assert cli.main(["kstyle", "transform", f"--model={model[0]}", f"--input={photos}", f"--output={photos}"]) == 2
    assert "is one of the inputs and would be overwritten" in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in photos.iterdir()} == before


def test_blend_and_strength(tmp_path, photos, painter, capsys):
    path, network = painter
    photo = np.asarray(Image.open(photos / "p0.jpg"), np.float32)

    def transform(*extra):
        output = tmp_path / "out.png"
        status = cli.main(["kstyle", "transform", f"--model={path}", f"--input={photos}/p0.jpg",
                           f"--output={output}", *extra])
        return status, (np.asarray(Image.open(output), np.float32) if status == 0 else None)

    status, blended = transform("--blend=wave:3,udnie:1")
    expected = network(photo[None], style_weights=[[0.75, 0.25]]).numpy()[0]
    assert status == 0 and np.abs(blended - np.clip(np.rint(expected), 0, 255)).max() <= 1
    _, udnie = transform("--blend=udnie", "--strength=0.5")
    full = network(photo[None], style_weights=[[0.0, 1.0]]).numpy()[0]
    assert np.abs(udnie - np.clip(np.rint(photo + 0.5 * (full - photo)), 0, 255)).max() <= 1
    _, none = transform("--blend=udnie", "--strength=0")
    assert np.array_equal(none, photo)  # the photo back
    capsys.readouterr()
    status, _ = transform()  # two styles, nothing says which
    err = capsys.readouterr().err
    assert status == 2 and "paints 2 styles (wave, udnie); say which with --blend" in err and err.count("\n") == 1
    status, _ = transform("--blend=starry_night")
    assert status == 2 and "paints wave, udnie, not starry_night" in capsys.readouterr().err


def test_a_savedmodel_refusing_an_image_over_its_budget_costs_that_image_only(tmp_path, exported, capsys):
    """An export's --max_pixels refuses a photo: one line for it, the others painted, then the summary."""
    version = exported
    photos = tmp_path / "in"
    photos.mkdir()
    for name, size in (("a", (40, 50)), ("b", (80, 80)), ("c", (64, 64))):
        Image.fromarray(synthetic_image(*size, seed=1).astype(np.uint8)).save(photos / f"{name}.png")
    output = tmp_path / "out"
    status = cli.main(["kstyle", "transform", f"--model={version}", f"--input={photos}", f"--output={output}"])
    err = capsys.readouterr().err.splitlines()
    assert status == 1 and sorted(path.name for path in output.iterdir()) == ["a.png", "c.png"]
    refusal = (f"{photos / 'b.png'}: {version} refuses it: an image has more than max_pixels=4096 pixels "
               "(height x width); got 6400; --max_size shrinks photos before they are painted")
    assert err == [f"kstyle: {refusal}", f"kstyle: 1 of 3 inputs failed; first: {refusal}"]
    status = cli.main(["kstyle", "transform", f"--model={version}", f"--input={photos / 'b.png'}",
                       f"--output={tmp_path / 'b.png'}"])
    assert (status, capsys.readouterr().err) == (1, f"kstyle: {refusal}\n")
    assert cli.main(["kstyle", "transform", f"--model={version}", f"--input={photos / 'b.png'}",
                     f"--output={tmp_path / 'b.png'}", "--max_size=64"]) == 0


def test_ctrl_c_in_a_folder_says_which_images_were_written(tmp_path, photos, model, capsys, monkeypatch):
    from kstyle.feedforward import apply
    painted = []

    def stylize(network, image, max_size=None):
        if len(painted) == 2:
            raise KeyboardInterrupt
        painted.append(image.shape)
        return image.astype(np.uint8)

    monkeypatch.setattr(apply, "stylize", stylize)
    output = tmp_path / "out"
    status = cli.main(["kstyle", "transform", f"--model={model[0]}", f"--input={photos}", f"--output={output}"])
    err = capsys.readouterr().err
    assert status == 130 and sorted(path.name for path in output.iterdir()) == ["p0.png", "p1.png"]
    assert err.strip() == f"kstyle: interrupted after 2 of 3 images; they are in {output}", err


def test_out_of_memory_is_one_line_naming_the_size(tmp_path, photos, model, capsys, monkeypatch):
    import tensorflow as tf

    from kstyle.feedforward import apply

    def network(batch):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape[1,33,21,32]")

    monkeypatch.setattr(apply, "load_network", lambda *args: network)
    status = cli.main(["kstyle", "transform", f"--model={model[0]}", f"--input={photos}/p1.jpg",
                       f"--output={tmp_path / 'out.png'}"])
    assert status == 1 and capsys.readouterr().err == (f"kstyle: {photos}/p1.jpg: out of memory painting 21x33 "
                                                       "pixels; --max_size paints it smaller\n")


@pytest.mark.parametrize("verb", [["transform", "--input={photo}", "--output={tmp}/out.png"],
                                  ["export", "--export_dir={tmp}/models/c"],
                                  ["export", "--format=tflite", "--output={tmp}/c.tflite"]])
def test_a_keras_model_that_is_not_a_style_network_is_one_line(tmp_path, photos, capsys, verb):
    """A classifier (fixed input, a vector out) was traced, or exported as a nonsense LiteRT file."""
    classifier = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(2)])
    classifier.save(tmp_path / "classifier.keras")
    args = [arg.format(photo=photos / "p0.jpg", tmp=tmp_path) for arg in verb]
    assert cli.main(["kstyle", args[0], f"--model={tmp_path / 'classifier.keras'}", *args[1:]]) == 1
    err = capsys.readouterr().err
    assert err == (f"kstyle: {tmp_path / 'classifier.keras'}: not a style network: it maps a 32x32 image to [1, 2], "
                   "not to an image of that size\n"), err
    written = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    assert written == ["classifier.keras", *(f"in/p{i}.jpg" for i in range(3))]  # (export made models/c, empty)


def test_a_savedmodel_that_is_not_kstyles_is_one_line(tmp_path, photos, capsys):
    import tensorflow as tf

    class Doubler(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def serve(self, x):
            return {"y": x * 2}

    doubler = Doubler()
    tf.saved_model.save(doubler, str(tmp_path / "doubler"), signatures={"serving_default": doubler.serve})
    status = cli.main(["kstyle", "transform", f"--model={tmp_path / 'doubler'}", f"--input={photos}",
                       f"--output={tmp_path / 'out'}"])
    assert status == 1 and capsys.readouterr().err == (
        f"kstyle: {tmp_path / 'doubler'}: not a kstyle SavedModel (its serving_default takes x and gives y, not "
        "image and stylized_image)\n")


@pytest.mark.parametrize("form", ["tflite", "onnx"])
def test_the_files_kstyle_exports_paint_the_keras_networks_picture(tmp_path, photos, model, form):
    """`kstyle export --format=tflite|onnx` writes a file `kstyle transform --model=` runs in its runtime."""
    path, network = model
    exported = tmp_path / f"mine.{form}"
    assert cli.main(["kstyle", "export", f"--model={path}", f"--format={form}", f"--output={exported}"]) == 0
    from_keras, from_file = tmp_path / "keras.png", tmp_path / "file.png"
    for source, output in ((path, from_keras), (exported, from_file)):
        assert cli.main(["kstyle", "transform", f"--model={source}", f"--input={photos}/p1.jpg",
                         f"--output={output}"]) == 0
    painted = np.asarray(Image.open(from_file), int)
    assert painted.shape == (33, 21, 3) and np.abs(painted - np.asarray(Image.open(from_keras), int)).max() <= 2


@pytest.fixture
def no_model_load(monkeypatch):
    """Fails the test if `kstyle transform` gets as far as importing TensorFlow to load the model."""
    def load(*args, **kwargs):
        raise AssertionError("the model was about to load")
    monkeypatch.setattr(transform_verb, "import_tensorflow_quietly", load)


@pytest.mark.parametrize("form, extra, package", [("tflite", "litert", "ai-edge-litert"), ("onnx", "onnx", "onnxruntime")])
def test_a_file_whose_runtime_is_missing_names_the_extra_in_one_line(tmp_path, photos, monkeypatch, capsys,
                                                                      no_model_load, form, extra, package):
    from kstyle.serving import runtimes
    monkeypatch.setitem(runtimes.RUNTIMES, form, runtimes.RUNTIMES[form]._replace(module="kstyle_no_such_runtime"))
    (tmp_path / f"mine.{form}").write_bytes(b"")
    assert cli.main(["kstyle", "transform", f"--model={tmp_path}/mine.{form}", f"--input={photos}/p0.jpg",
                     f"--output={tmp_path}/out.png"]) == 1
    assert capsys.readouterr().err == (f"kstyle: {tmp_path}/mine.{form}: running a .{form} file needs {package}: "
                                       f"pip install 'kstyle[{extra}]' (in a checkout: .venv/bin/pip install -e "
                                       f"'.[{extra}]')\n")


@pytest.mark.parametrize("flag, message", [
    ("--blend=starry_night", "paints wave, udnie, not starry_night"),
    ("--style=starry_night", "paints wave, udnie, not starry_night"),
    (None, "paints 2 styles (wave, udnie); say which with --blend"),
])
def test_a_style_the_network_does_not_paint_is_refused_before_it_loads(tmp_path, photos, painter, capsys,
                                                                        no_model_load, flag, message):
    argv = ["kstyle", "transform", f"--model={painter[0]}", f"--input={photos}/p0.jpg", f"--output={tmp_path}/o.png"]
    assert cli.main(argv + ([flag] if flag else [])) == 2
    err = capsys.readouterr().err
    assert err.startswith("kstyle: ") and err.count("\n") == 1 and message in err, err


def test_a_shipped_style_name_misspelt_in_a_blend_is_refused_before_the_load(tmp_path, photos, capsys,
                                                                           no_model_load):
    argv = ["kstyle", "transform", "--model=wave", "--blend=wave:1,udnei:1", f"--input={photos}/p0.jpg",
            f"--output={tmp_path}/o.png"]
    assert cli.main(argv) == 2
    assert "not udnei" in capsys.readouterr().err


@pytest.fixture
def clip(tmp_path):
    from clips import make_clip
    path = tmp_path / "clip.mp4"
    make_clip(path, frames=6, size=(48, 64), milliseconds=(50, 33), rotation=90)
    return path


def test_a_clip_is_painted_frame_by_frame_with_its_timing_rotation_and_sound(tmp_path, clip, model, capsys):
    from clips import read_clip
    path, network = model
    output = tmp_path / "out.mp4"
    assert cli.main(["kstyle", "transform", f"--model={path}", f"--input={clip}", f"--output={output}",
                     "--crf=0", "--temporal=none"]) == 0
    assert capsys.readouterr().out.strip().endswith(f"wrote {output} (6 frames)")
    source, stamps, _, audio, _, _ = read_clip(clip)
    painted, out_stamps, rotation, out_audio, _, _ = read_clip(output)
    assert painted.shape == (6, 48, 64, 3) and rotation == 90 and out_audio == audio
    np.testing.assert_allclose(out_stamps, stamps, atol=1e-3)
    expected = np.clip(np.rint(network(source.astype(np.float32)).numpy()), 0, 255)

    def blocks(frames):  # yuv420p keeps one colour per 2x2 pixels, even at crf 0: compare 4x4 averages
        return frames.reshape(6, 12, 4, 16, 4, 3).mean(axis=(2, 4))

    assert np.abs(blocks(painted) - blocks(expected)).mean() < 3


def test_a_folder_of_photos_and_clips_gives_pngs_and_mp4s(tmp_path, photos, clip, model, capsys):
    os.rename(clip, photos / "holiday.MOV")
    output = tmp_path / "out"
    assert cli.main(["kstyle", "transform", f"--model={model[0]}", f"--input={photos}", f"--output={output}",
                     "--quiet"]) == 0
    assert sorted(path.name for path in output.iterdir()) == ["holiday.mp4", "p0.png", "p1.png", "p2.png"]
    assert capsys.readouterr().out.strip().endswith(f"wrote 4 files to {output}")


@pytest.mark.parametrize("changes, status, message", [
    ({"output": "{tmp}/out.png"}, 2, "a video is written as one of .mp4"),
    ({"input": "{tmp}/notes.mp4"}, 1, "not a video kstyle can read"),
    ({"crf": "60"}, 2, "--crf=60: 60 is not an integer in the range [0, 51]"),
])
def test_bad_clips_and_qualities_are_one_line(tmp_path, clip, model, capsys, changes, status, message):
    (tmp_path / "notes.mp4").write_text("not a video")
    values = {"model": model[0], "input": str(clip), "output": str(tmp_path / "out.mp4")}
    values.update({key: value.format(tmp=tmp_path) for key, value in changes.items()})
    assert cli.main(["kstyle", "transform", *(f"--{k}={v}" for k, v in values.items())]) == status
    err = capsys.readouterr().err
    assert err.startswith("kstyle: ") and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out.mp4").exists() and not (tmp_path / "out.png").exists()


def test_ctrl_c_in_a_clip_keeps_the_frames_done(tmp_path, clip, model, capsys, monkeypatch):
    from clips import read_clip

    from kstyle.feedforward import apply
    painted = []

    def stylize(network, image, max_size=None):
        if len(painted) == 4:
            raise KeyboardInterrupt
        painted.append(image.shape)
        return image.astype(np.uint8)

    monkeypatch.setattr(apply, "stylize", stylize)
    output = tmp_path / "out.mp4"
    assert cli.main(["kstyle", "transform", f"--model={model[0]}", f"--input={clip}", f"--output={output}"]) == 130
    assert capsys.readouterr().err.strip() == f"kstyle: interrupted after 4 frames of {clip}; {output} holds them"
    assert len(read_clip(output)[0]) == 4
