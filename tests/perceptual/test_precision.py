import pytest

from kstyle.perceptual import precision


def test_explicit_choices_pass_through():
    for choice in ("float32", "mixed_float16", "mixed_bfloat16"):
        assert precision.resolve(choice) == choice


@pytest.mark.parametrize("flags, expected", [({"avx2", "amx_bf16", "amx_tile"}, "mixed_bfloat16"),
                                             ({"avx2", "fma"}, "float32"), (set(), "float32")])
def test_auto_on_a_cpu_follows_native_bfloat16(monkeypatch, flags, expected):
    import tensorflow as tf
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    monkeypatch.setattr(precision, "_cpu_flags", lambda: flags)
    assert precision.resolve("auto") == expected


@pytest.mark.parametrize("capability, expected", [((8, 0), "mixed_bfloat16"), ((9, 0), "mixed_bfloat16"),
                                                  ((7, 5), "float32")])
def test_auto_on_a_gpu_follows_compute_capability(monkeypatch, capability, expected):
    import tensorflow as tf
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: ["GPU:0"])
    monkeypatch.setattr(tf.config.experimental, "get_device_details", lambda device: {"compute_capability": capability})
    assert precision.resolve("auto") == expected
