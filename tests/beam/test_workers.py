"""`kstyle.beam.workers`: which runs start local worker processes, and finding them (Ctrl-C is `test_main`'s)."""

import os
import subprocess
import sys
import time

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from kstyle.beam import workers


@pytest.mark.parametrize("arguments, count", [
    ([], 0),
    (["--direct_running_mode=multi_threading", "--direct_num_workers=4"], 0),
    (["--direct_running_mode=multi_processing", "--direct_num_workers=2"], 2),
    (["--direct_running_mode=multi_processing"], 1),  # Beam's default
    (["--direct_running_mode=multi_processing", "--direct_num_workers=0"], os.cpu_count()),  # one per core
    (["--runner=DataflowRunner", "--direct_running_mode=multi_processing", "--direct_num_workers=2"], 0),
])
def test_only_a_multi_process_direct_run_starts_workers_here(arguments, count):
    assert workers.spawned(PipelineOptions(arguments)) == count


def test_descendants_are_found_down_the_tree_and_not_the_root():
    child = subprocess.Popen([sys.executable, "-c", "import subprocess, sys; "
                              "subprocess.run([sys.executable, '-c', 'import time; time.sleep(30)'])"])
    try:
        found = []
        for _ in range(100):
            found = workers.descendants(os.getpid())
            if len([pid for pid in found if pid != child.pid]) >= 1:
                break
            time.sleep(0.1)
        assert child.pid in found and os.getpid() not in found
        assert len(found) >= 2  # the child and its own child
    finally:
        for pid in workers.descendants(child.pid):
            os.kill(pid, 9)
        child.kill()
        child.wait()
