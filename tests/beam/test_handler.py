"""`kstyle.beam.handler.NetworkHandler`: the forms it loads, failures as results, one network per process."""

import os

import apache_beam as beam
import numpy as np
from beam_helper import STYLE, make_photos
from conftest import synthetic_image

from kstyle.beam.handler import NetworkHandler
from kstyle.beam.pipeline import StylizeFiles, counters, write_failures


def test_the_handler_paints_an_exported_savedmodel_as_transform_does(tmp_path):
    import keras

    from kstyle.feedforward import apply
    from kstyle.feedforward.network import StyleNetwork
    from kstyle.serving import savedmodel
    keras.utils.set_random_seed(0)
    network = StyleNetwork(width=4, residual_blocks=1)
    network(np.zeros((1, 32, 32, 3), np.float32))
    version = savedmodel.export(network, str(tmp_path / "export"))
    handler = NetworkHandler(str(tmp_path / "export"), max_size=48)
    model = handler.load_model()
    images = [synthetic_image(40, 64, seed=1).astype(np.uint8), synthetic_image(8, 8).astype(np.uint8)]
    first, second = list(handler.run_inference(images, model))
    expected = apply.stylize(apply.load_network(str(version)), images[0].astype(np.float32), 48)
    assert first.inference.shape == (30, 48, 3)
    np.testing.assert_array_equal(first.inference, expected)
    assert second.inference == "the image is 8x8; the network needs at least 16x16 pixels"  # a failure, not a crash
    assert handler.get_num_bytes(images) == images[0].nbytes + images[1].nbytes


class _CountingHandler(NetworkHandler):
    """Counts the networks loaded in this process."""
    loads = []

    def load_model(self):
        type(self).loads.append(os.getpid())
        return super().load_model()


def test_threads_of_one_worker_process_share_one_network(tmp_path):
    """Four threads (DoFn instances) in one process: RunInference's shared model loads the network once."""
    from apache_beam.options.pipeline_options import PipelineOptions
    photos = make_photos(tmp_path / "photos")
    _CountingHandler.loads.clear()
    options = PipelineOptions(["--direct_running_mode=multi_threading", "--direct_num_workers=4"])
    output = str(tmp_path / "out")
    with beam.Pipeline(options=options) as pipeline:
        failures = pipeline | StylizeFiles([str(photos)], output, _CountingHandler(STYLE), progress_every=None)
        write_failures(failures, output)
    assert counters(pipeline.result)["stylized"] == 27
    assert _CountingHandler.loads == [os.getpid()]
