"""`kstyle export`: version directories, and proof in a kstyle-free process that TF Serving could serve them."""

import json
import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import synthetic_image, styled_network

from kstyle.cli import main as cli
from kstyle.errors import Error, UsageError
from kstyle.feedforward.exported import describe as exported_description
from kstyle.feedforward.network import StyleNetwork
from kstyle.serving import limits, savedmodel, warmup

BUDGET = limits.budget(max_pixels=64 * 64, max_request_pixels=64 * 64 + 1000, max_batch=4)
CHECKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "serving_checks.py")


@pytest.fixture(scope="module")
def network():
    keras.utils.set_random_seed(0)
    model = StyleNetwork(width=4, residual_blocks=1)
    model(np.zeros((1, 32, 32, 3), np.float32))
    return model


@pytest.fixture(scope="module")
def exported(network, tmp_path_factory):
    return savedmodel.export(network, str(tmp_path_factory.mktemp("models") / "style"), budget=BUDGET)


def test_versions_count_up_and_are_written_whole(network, exported):
    base = os.path.dirname(exported)
    assert os.path.basename(exported) == "1"
    assert set(os.listdir(exported)) >= {"saved_model.pb", "variables", "assets.extra"}
    second = savedmodel.export(network, base)
    assert os.path.basename(second) == "2"
    assert sorted(os.listdir(base)) == ["1", "2"]  # no temporary directory left behind
    with pytest.raises(UsageError, match="exists already"):
        savedmodel.export(network, base, version=2)


def test_a_failed_export_leaves_nothing(network, tmp_path, monkeypatch):
    def broken(path, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(warmup, "write", broken)
    with pytest.raises(Error, match=rf"^{tmp_path}: cannot write the version \(No space left on device\)$"):
        savedmodel.export(network, str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_a_kstyle_free_process_serves_it_like_tf_serving(network, exported, tmp_path):
    batches = [synthetic_image(20, 24, 1).astype(np.uint8)[None],
               np.stack([synthetic_image(37, 29, seed).astype(np.uint8) for seed in (2, 3, 4)]),  # odd sizes
               synthetic_image(64, 48, 5).astype(np.uint8)[None]]
    cases = {}
    for i, batch in enumerate(batches):
        cases[f"input_{i}"] = batch
        cases[f"expected_{i}"] = np.clip(np.rint(network(batch.astype(np.float32)).numpy()), 0, 255).astype(np.uint8)
    np.savez(tmp_path / "cases.npz", **cases)
    full_size = savedmodel.export(network, str(tmp_path / "default_budget"))
    done = subprocess.run([sys.executable, "-I", CHECKS, exported, str(tmp_path / "cases.npz"), full_size], cwd="/",
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "KSTYLE_TEST_BUDGET": ",".join(map(str, BUDGET)),
                               "TF_CPP_MIN_LOG_LEVEL": "3"})
    findings = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0 and findings["failed"] is None, findings
    assert findings["kstyle_importable"] is False and findings["warmup_records"] == 2
    assert set(findings["hostile_full_size"]) == {"three 4096x4096 images (uint8)", "three compressible 4096x4096 PNGs"}


@pytest.fixture(scope="module")
def painter():
    return styled_network(seed=4)


def test_a_network_of_styles_serves_a_blend_per_image(painter, tmp_path):
    chosen = [0.0, 1.0, 0.0]  # serving_default paints udnie
    version = savedmodel.export(painter, str(tmp_path / "styles"), budget=BUDGET, style_weights=chosen)
    batch = np.stack([synthetic_image(33, 29, seed).astype(np.uint8) for seed in (1, 2)])
    weights = np.array([[0.7, 0.0, 0.3], [0.0, 2.0, 2.0]], np.float32)  # rows need not sum to 1
    strength = np.array([1.0, 0.5], np.float32)
    normalized = weights / weights.sum(axis=1, keepdims=True)
    expected = painter(batch.astype(np.float32), style_weights=normalized, strength=strength).numpy()
    as_uint8 = lambda values: np.clip(np.rint(values), 0, 255).astype(np.uint8)  # noqa: E731
    single = synthetic_image(20, 24, 3).astype(np.uint8)[None]
    defaults = {f"expected_{i}": as_uint8(painter(b.astype(np.float32), style_weights=np.array(
        [chosen] * len(b), np.float32)).numpy()) for i, b in enumerate((single, batch))}
    np.savez(tmp_path / "cases.npz", input_0=single, input_1=batch, **defaults, blend_image=batch,
             blend_weights=weights, blend_strength=strength, blend_expected=as_uint8(expected),
             style_names=np.array(painter.styles))
    done = subprocess.run([sys.executable, "-I", CHECKS, version, str(tmp_path / "cases.npz")], cwd="/",
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "KSTYLE_TEST_BUDGET": ",".join(map(str, BUDGET)),
                               "TF_CPP_MIN_LOG_LEVEL": "3"})
    findings = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0 and findings["failed"] is None and findings["blend"] == "ok", findings
    assert savedmodel.style_names(version) == ("wave", "udnie", "the_scream")
    with pytest.raises(UsageError, match="paints 3 styles"):
        savedmodel.export(painter, str(tmp_path / "unsaid"))
    # kstyle's own loader takes a blend and a strength from the export, as from the .keras file.
    from kstyle.feedforward import apply
    photo = np.round(synthetic_image(33, 29, 1))[None]  # whole numbers, as the served uint8 input has
    for blend, strength in (("wave:0.7,the_scream:0.3", None), (None, 0.5), ("udnie", 0.25)):
        keras_file = apply.load_network(_saved(painter, tmp_path), blend or "udnie", strength)(photo)
        served = apply.load_network(version, blend, strength)(photo)
        assert np.abs(np.asarray(served) - np.asarray(keras_file)).max() <= 1.5, (blend, strength)


def _saved(network, tmp_path):
    path = tmp_path / "painter.keras"
    if not path.exists():
        network.save(path)
    return str(path)


def test_cli_export_of_a_network_of_styles(tmp_path, painter, capsys):
    model = _saved(painter, tmp_path)
    base = tmp_path / "models" / "styles"
    assert cli.main(["kstyle", "export", f"--model={model}", f"--export_dir={base}"]) == 2
    assert "paints 3 styles (wave, udnie, the_scream); say which with --blend" in capsys.readouterr().err
    assert cli.main(["kstyle", "export", f"--model={model}", f"--export_dir={base}", "--blend=udnie",
                     "--strength=0.5"]) == 0
    out = capsys.readouterr().out
    assert "signatures: serving_default, serve_bytes, blend;" in out and "styles: wave, udnie, the_scream)" in out
    with open(base / "1" / savedmodel.DESCRIPTION_FILE) as file:
        assert json.load(file)["serving_default"] == {"style_weights": [0.0, 1.0, 0.0], "strength": 0.5}


def test_cli_export(tmp_path, network, capsys):
    model_path = tmp_path / "network.keras"
    network.save(model_path)
    base = tmp_path / "models" / "mine"
    assert cli.main(["kstyle", "export", f"--model={model_path}", f"--export_dir={base}"]) == 0
    assert f"wrote {base}/1 (signatures: serving_default, serve_bytes" in capsys.readouterr().out
    assert cli.main(["kstyle", "export", f"--model={model_path}", f"--export_dir={base}", "--version=7"]) == 0
    assert sorted(os.listdir(base)) == ["1", "7"]


@pytest.mark.parametrize("changes, status, message", [
    ({"model": "{tmp}/missing.keras"}, 2, "neither a shipped model"),
    ({"model": "{tmp}/notes.keras"}, 1, "not a Keras style network"),
    ({"export_dir": "{tmp}/notes.keras/model"}, 1, "cannot create it"),
    ({"export_dir": "{tmp}/notes.keras"}, 2, "not a directory"),
    ({"version": "0"}, 2, "positive integer"),
    ({"max_pixels": "10"}, 2, "max_pixels must be at least"),
    ({"max_pixels": "0"}, 2, "max_pixels must be at least"),
    ({"max_pixels": str(2**41)}, 2, "max_pixels must be at most 1099511627776"),  # the graph's sums stay exact
    ({"max_batch": str(2**21)}, 2, "max_batch must be at most 1048576"),
    ({"iterations": "3"}, 2, "does not apply to `kstyle export`"),
])
def test_bad_input(tmp_path, network, capsys, changes, status, message):
    (tmp_path / "notes.keras").write_text("not a model")
    network.save(tmp_path / "network.keras")
    values = {"model": str(tmp_path / "network.keras"), "export_dir": str(tmp_path / "models" / "x")}
    values.update({key: value.format(tmp=tmp_path) for key, value in changes.items()})
    assert cli.main(["kstyle", "export", *(f"--{k}={v}" for k, v in values.items())]) == status
    err = capsys.readouterr().err
    assert err.startswith("kstyle: ") and err.count("\n") == 1 and message in err, err


def test_a_version_is_readable_by_another_user_as_the_umask_allows(network, tmp_path):
    previous = os.umask(0o022)
    try:
        version = savedmodel.export(network, str(tmp_path / "base"))
    finally:
        os.umask(previous)
    modes = {os.path.relpath(os.path.join(root, name), version): os.stat(os.path.join(root, name)).st_mode & 0o777
             for root, directories, files in os.walk(version) for name in directories + files}
    assert os.stat(version).st_mode & 0o777 == 0o755
    assert modes and all(mode == (0o755 if os.path.isdir(os.path.join(version, path)) else 0o644)
                         for path, mode in modes.items()), modes


def test_an_export_that_loses_the_race_for_a_version_takes_the_next(network, tmp_path, monkeypatch):
    """Another export finished version 1 after this one chose it: this one becomes 2, whole."""
    base = tmp_path / "base"
    first = savedmodel.export(network, str(base))
    monkeypatch.setattr(savedmodel, "next_version", lambda export_dir, calls=iter([1, 2]): next(calls))
    second = savedmodel.export(network, str(base))
    assert (os.path.basename(first), os.path.basename(second)) == ("1", "2")
    assert sorted(os.listdir(base)) == ["1", "2"] and os.path.exists(os.path.join(second, "saved_model.pb"))


def test_two_exports_at_once_get_two_versions_with_nothing_beyond_the_core_install(tmp_path):
    """Two `kstyle export` processes at once, where tensorflow-serving-api cannot be imported (make demo has none)."""
    base = tmp_path / "models" / "starry_night"
    code = ("import sys; sys.modules['tensorflow_serving'] = None; from kstyle.cli import main; "
            "sys.exit(main.main(['kstyle', 'export', '--model=starry_night', '--export_dir=' + sys.argv[1]]))")
    processes = [subprocess.Popen([sys.executable, "-c", code, str(base)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [process.communicate(timeout=300) + (process.returncode,) for process in processes]
    assert [status for _, _, status in results] == [0, 0], [err for _, err, _ in results]
    assert sorted(os.listdir(base)) == ["1", "2"]  # and no hidden staging directory left
    assert sorted(out.split()[1] for out, _, _ in results) == [f"{base}/1", f"{base}/2"]
    assert os.path.getsize(base / "1" / "assets.extra" / "tf_serving_warmup_requests") > 0


def test_warmup_records_need_no_serving_api_and_parse_with_it(tmp_path):
    from tensorflow_serving.apis import prediction_log_pb2
    path = tmp_path / "warmup"
    warmup.write(str(path))
    import tensorflow as tf
    logs = [prediction_log_pb2.PredictionLog.FromString(record) for record in tf.data.TFRecordDataset(str(path))
            .as_numpy_iterator()]
    requests = [log.predict_log.request for log in logs]
    assert [r.model_spec.signature_name for r in requests] == ["serving_default", "serve_bytes"]
    assert tf.make_ndarray(requests[0].inputs["image"]).shape == (1, 32, 32, 3)
    assert tf.make_ndarray(requests[1].inputs["image_bytes"])[0].startswith(b"\x89PNG")
    warmup.write(str(path), styles=3)  # a network of styles: its blend signature too
    blend = prediction_log_pb2.PredictionLog.FromString(list(tf.data.TFRecordDataset(str(path)).as_numpy_iterator(
        ))[2]).predict_log.request
    assert blend.model_spec.signature_name == "blend"
    np.testing.assert_allclose(tf.make_ndarray(blend.inputs["style_weights"]), [[1 / 3] * 3])
    assert tf.make_ndarray(blend.inputs["strength"]).tolist() == [1.0]
    assert tf.make_ndarray(blend.inputs["image"]).shape == (1, 32, 32, 3)



def test_strength_and_blend_replace_what_an_export_was_made_with(painter, exported, tmp_path):
    """One rule for every form of model: --strength and --blend say what to paint, and what they leave unsaid
    is the model's own choice; an export made at strength 0.5 transformed at 0.5 paints at 0.5, not 0.25."""
    from kstyle.feedforward import apply
    version = savedmodel.export(painter, str(tmp_path / "half"), style_weights=[0.0, 1.0, 0.0], strength=0.5)
    photo = np.round(synthetic_image(33, 29, 1))[None]  # whole numbers, as the served uint8 input has
    udnie, wave = [[0.0, 1.0, 0.0]], [[1.0, 0.0, 0.0]]
    for blend, strength, (weights, painted_at) in ((None, None, (udnie, 0.5)), (None, 0.5, (udnie, 0.5)),
                                                   (None, 1.0, (udnie, 1.0)), ("wave", None, (wave, 0.5))):
        served = np.asarray(apply.load_network(version, blend, strength)(photo))
        wanted = painter(photo, style_weights=weights, strength=[painted_at]).numpy()
        assert np.abs(served - np.clip(np.rint(wanted), 0, 255)).max() <= 1.5, (blend, strength)
    # A network without named styles has no blend signature: its export's strength cannot be undone. (The
    # plain export, its description saying what `export(..., strength=0.5)` would have written.)
    plain_version = str(tmp_path / "plain" / "1")
    shutil.copytree(exported, plain_version)
    with open(os.path.join(plain_version, savedmodel.DESCRIPTION_FILE), "w") as file:
        json.dump(exported_description((), None, 0.5), file)
    with pytest.raises(UsageError, match=f"--strength: {plain_version} was exported at strength 0.5 and has no blend "
                       "signature, so it paints at 0.5 only; export the network again without --strength"):
        apply.load_network(plain_version, None, 0.8)
