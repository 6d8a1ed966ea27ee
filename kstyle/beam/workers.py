"""A pipeline run on this machine's worker processes, which Ctrl-C must not reach, and which Ctrl-C must end.

The DirectRunner's `multi_processing` mode starts its workers in the
launcher's process group, so a terminal's Ctrl-C would reach each of them and
each would die printing a traceback. `run_with_workers` starts them with Ctrl-C
ignored and ends them itself. Linux's /proc finds them; elsewhere none are
found, and Ctrl-C ends the launcher alone.
"""

import os
import signal
import threading
import time

from kstyle.errors import INTERRUPTS

WORKER_START_SECONDS = 120.0  # the longest Ctrl-C is held while a run starts its workers


def finished(pipeline):
    """Runs `pipeline` here until it ends; returns its result."""
    result = pipeline.run()
    result.wait_until_finish()
    return result


def spawned(options):
    """How many worker processes the runner starts on this machine (0: it paints in this process, or remotely)."""
    from apache_beam.options.pipeline_options import DirectOptions, StandardOptions
    runner = str(options.view_as(StandardOptions).runner or "DirectRunner")
    direct = options.view_as(DirectOptions)
    if "Direct" not in runner or direct.direct_running_mode != "multi_processing":
        return 0
    return direct.direct_num_workers or os.cpu_count() or 1


def run_with_workers(pipeline, workers):
    """Runs a pipeline whose worker processes Ctrl-C must not reach; on Ctrl-C, ends them and raises it.

    The terminal sends Ctrl-C to every process of the group, and each Beam
    worker would die printing a traceback. So SIGINT and SIGTERM are ignored
    while the workers start (an ignored signal stays ignored through the
    shell and the exec that start them, and Python leaves it so), then this
    process takes them again: Ctrl-C ends the workers (SIGKILL: they hold no
    file half-written under its own name) and raises KeyboardInterrupt.
    """
    outcome = {}

    def run():
        try:
            outcome["result"] = finished(pipeline)
        except BaseException as error:  # handed to the main thread
            outcome["error"] = error

    signals = (signal.SIGINT, signal.SIGTERM)
    handlers = {number: signal.signal(number, signal.SIG_IGN) for number in signals}
    thread = threading.Thread(target=run, name="kstyle-beam-pipeline", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + WORKER_START_SECONDS
        while thread.is_alive() and time.monotonic() < deadline and len(_workers()) < workers:
            thread.join(0.1)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    try:
        while thread.is_alive():
            thread.join(0.2)
    except INTERRUPTS:
        threading.excepthook = lambda hooked: None  # Beam's threads, cut off from the workers, as they end
        for pid in descendants(os.getpid()):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:  # gone already
                pass
        thread.join(10)
        raise KeyboardInterrupt from None
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _workers():
    """This process's Beam worker processes."""
    found = []
    for pid in descendants(os.getpid()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as file:
                if b"sdk_worker_main" in file.read():
                    found.append(pid)
        except OSError:
            continue
    return found


def descendants(root):
    """Every process under `root` (Linux's /proc; elsewhere none are found)."""
    children = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as file:
                parent = int(file.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, queue = [], [root]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found
