"""`StylizeFiles`: the Beam transform from file patterns to painted files; `write_failures`, their list.

    patterns -> match -> one source per output (GroupByKey) -> skip done ones -> read, decode
             -> RunInference(NetworkHandler) -> encode -> write (temporary name, then rename)
    failures (path: reason) -> OUTPUT/failures.txt, sorted

Nothing lost: an input that cannot be matched, read, decoded or painted becomes
one line of the failures output and the others go on. Nothing duplicated: each
output is written under a hidden name of its own and renamed into place, so a
retried bundle rewrites the same bytes and a reader never sees half a file; two
inputs that would write one output (`a.jpg` and `a.png`) are both refused, and a
file matched by two patterns is painted once. Counters (`kstyle` namespace:
stylized, failed, skipped) say what happened; the command prints them (`counters`).
"""

import io
import sys
import threading
import time
import uuid

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import KeyedModelHandler, RunInference

from kstyle import images
from kstyle.beam import paths
from kstyle.errors import Error, first_line

NAMESPACE = "kstyle"
COUNTERS = ("stylized", "failed", "skipped")
FAILURES = "failures"


class StylizeFiles(beam.PTransform):
    """Paints every image the patterns match; returns the failures, `(path, reason)` pairs.

    Apply it to a pipeline (`pipeline | StylizeFiles(...)`); the paintings are
    written as a side effect, under `output` by their paths relative to their
    patterns (see `kstyle.beam.paths`).

    Args:
        patterns: Beam file patterns (local, `gs://`, ...): files, globs, directories.
        output: the directory (prefix) to write under.
        handler: a `kstyle.beam.handler.NetworkHandler` (the network, blend, strength and max size).
        image_format: one of `paths.FORMATS`.
        skip_existing: leave inputs whose output exists alone (a rerun resumes).
        progress_every: seconds between a worker process's progress lines on
            stderr (pictures written, their rate); None for none.
    """

    def __init__(self, patterns, output, handler, image_format="png", skip_existing=False, progress_every=10.0):
        super().__init__()
        if image_format not in paths.FORMATS:
            raise ValueError(f"image_format must be one of {', '.join(paths.FORMATS)}, got {image_format!r}")
        self.patterns, self.output, self.handler = list(patterns), output, handler
        self.image_format, self.skip_existing = image_format, skip_existing
        self.progress_every = progress_every

    def expand(self, pipeline):
        planned = (pipeline
                   | "Patterns" >> beam.Create(self.patterns)
                   | "Match" >> beam.ParDo(_Match(self.output, self.image_format)).with_outputs(FAILURES,
                                                                                                 main="targets"))
        chosen = (planned.targets
                  | "ByOutput" >> beam.GroupByKey()  # also spreads the inputs over the workers
                  | "OnePerOutput" >> beam.ParDo(_OnePerOutput()).with_outputs(FAILURES, main="jobs"))
        read = chosen.jobs | "Read" >> beam.ParDo(_Read(self.skip_existing)).with_outputs(FAILURES, main="images")
        painted = read.images | "Paint" >> RunInference(KeyedModelHandler(self.handler))
        writer = _Write(self.image_format, self.progress_every, uuid.uuid4().hex)
        written = painted | "Write" >> beam.ParDo(writer).with_outputs(FAILURES, main="written")
        return ((planned[FAILURES], chosen[FAILURES], read[FAILURES], written[FAILURES])
                | "AllFailures" >> beam.Flatten()
                | "CountFailures" >> beam.Map(_counted, "failed"))


def write_failures(failures, output):
    """Writes the failures, sorted, one `path: reason` per line, to `paths.failures_file(output)` (empty if none).

    One element, written by one worker: a rerun replaces the list rather than
    adding to it.
    """
    return (failures
            | "Lines" >> beam.MapTuple(lambda path, reason: f"{path}: {reason}")
            | "Together" >> beam.combiners.ToList()
            | "Sorted" >> beam.Map(lambda lines: "".join(f"{line}\n" for line in sorted(lines)))
            | "WriteFailures" >> beam.Map(_write_text, paths.failures_file(output)))


class _Match(beam.DoFn):
    """Pattern -> `(target, source)` for each input it matches; a pattern matching nothing is a failure."""

    def __init__(self, output, image_format):
        self.output, self.image_format = output, image_format

    def process(self, given):
        pattern = paths.Pattern(given)
        try:
            matched = FileSystems.match([pattern.glob])[0].metadata_list
        except Exception as error:  # each file system raises its own kinds
            yield beam.pvalue.TaggedOutput(FAILURES, (given, f"cannot list it ({first_line(error)})"))
            return
        taken = sorted(entry.path for entry in matched if pattern.takes(entry.path))
        if not taken:
            yield beam.pvalue.TaggedOutput(FAILURES, (given, "matches no images" if pattern.everything
                                                      else "no such file"))
        for source in taken:
            yield paths.target(self.output, pattern.relative(source), self.image_format), source


class _OnePerOutput(beam.DoFn):
    """`(target, sources)` -> `(source, target)` when one file writes it; else each source fails."""

    def process(self, element):
        target, sources = element
        sources = sorted(set(sources))  # a file two patterns match is painted once
        if len(sources) == 1:
            yield sources[0], target
            return
        for source in sources:
            others = ", ".join(other for other in sources if other != source)
            yield beam.pvalue.TaggedOutput(FAILURES, (source, f"{others} would also be written to {target}; "
                                                      "rename one, or stylize them into different outputs"))


class _Read(beam.DoFn):
    """`(source, target)` -> `((source, target), uint8 image)`, or a failure, or nothing when skipped."""

    def __init__(self, skip_existing):
        self.skip_existing = skip_existing

    def process(self, element):
        source, target = element
        if self.skip_existing and FileSystems.exists(target):
            Metrics.counter(NAMESPACE, "skipped").inc()
            return
        try:
            with FileSystems.open(source, compression_type=CompressionTypes.UNCOMPRESSED) as file:
                data = file.read()
            image = images.to_uint8(images.decode_image(data, source))
        except Error as error:
            yield beam.pvalue.TaggedOutput(FAILURES, (source, _reason(error, source)))
            return
        except Exception as error:  # the file system's own: gone since the match, no permission
            yield beam.pvalue.TaggedOutput(FAILURES, (source, f"cannot read it ({first_line(error)})"))
            return
        yield (source, target), image


class _Write(beam.DoFn):
    """`((source, target), painted)` -> the file written (its target), or a failure."""

    def __init__(self, image_format, progress_every=None, run=""):
        self.image_format, self.progress_every, self.run = image_format, progress_every, run

    def process(self, element):
        (source, target), result = element
        painted = result.inference
        if isinstance(painted, str):
            yield beam.pvalue.TaggedOutput(FAILURES, (source, _reason(painted, source)))
            return
        try:
            write_bytes(target, encode(painted, self.image_format))
        except Exception as error:  # the file system's own: no permission, a full disk
            yield beam.pvalue.TaggedOutput(FAILURES, (source, f"cannot write {target} ({first_line(error)})"))
            return
        Metrics.counter(NAMESPACE, "stylized").inc()
        if self.progress_every is not None:
            _progress(self.run).written(self.progress_every)
        yield target


class _Progress:
    """A worker process's pictures written in one run, said on stderr at most every so many seconds.

    One per process and run, whatever the number of threads (and DoFn
    instances) that write: a worker's stderr is the terminal on the
    DirectRunner, its log on Dataflow.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.count, self.started, self.said = 0, None, None

    def written(self, every):
        with self.lock:
            now = time.monotonic()
            if self.started is None:
                self.started = self.said = now
            self.count += 1
            if now - self.said < every:
                return
            self.said = now
            rate = self.count / max(now - self.started, 1e-9)
        print(f"{NAMESPACE}: {self.count} pictures written by this process ({rate:.2f}/s)", file=sys.stderr,
              flush=True)


_PROGRESSES = {}
_PROGRESSES_LOCK = threading.Lock()


def _progress(run):
    """This process's `_Progress` of one run (a `StylizeFiles` applied once), made on its first picture."""
    with _PROGRESSES_LOCK:
        return _PROGRESSES.setdefault(run, _Progress())


def encode(image, image_format):
    """The bytes of a uint8 image as `kstyle transform` writes them (PNG; JPEG at quality 95)."""
    from PIL import Image
    buffer = io.BytesIO()
    options = {"quality": 95} if image_format == "jpeg" else {}
    Image.fromarray(images.to_uint8(image)).save(buffer, format="PNG" if image_format == "png" else "JPEG",
                                                  **options)
    return buffer.getvalue()


def write_bytes(path, data):
    """Writes `data` under a hidden name of this attempt's beside `path`, then renames it into place.

    A retried or duplicated bundle writes the same bytes under another hidden
    name and renames them over: whoever renames last, the file is whole.
    """
    temporary = paths.temporary(path, uuid.uuid4().hex[:12])
    try:
        with FileSystems.create(temporary, compression_type=CompressionTypes.UNCOMPRESSED) as file:
            file.write(data)
        FileSystems.rename([temporary], [path])  # replaces: os.rename locally, a copy over it on object stores
    except BaseException:
        try:
            FileSystems.delete([temporary])
        except Exception:  # nothing was created, or it is already gone
            pass
        raise


def _counted(element, name):
    Metrics.counter(NAMESPACE, name).inc()
    return element


def _write_text(text, path):
    write_bytes(path, text.encode())


def _reason(error, source):
    """An error's one line without the path it starts with (the failures list names the path)."""
    text = " ".join(str(error).split())
    return text[len(source) + 2:] if text.startswith(f"{source}: ") else text


def counters(result):
    """`{counter: value}` of a finished pipeline's `kstyle` counters (0 for those never incremented)."""
    from apache_beam.metrics.metric import MetricsFilter
    found = dict.fromkeys(COUNTERS, 0)
    for counter in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]:
        if counter.key.metric.name in found:
            value = counter.committed if counter.committed is not None else counter.attempted
            found[counter.key.metric.name] += value or 0
    return found
