"""`python -m kstyle.beam`: stylize every image a file pattern matches, as an Apache Beam pipeline.

Flags it does not know are Beam's pipeline options, as in any Beam program:
`--runner=DataflowRunner --project=... --region=... --temp_location=gs://...`,
or `--direct_running_mode=multi_processing --direct_num_workers=2` locally (the
DirectRunner, in one process, is the default). Exit status: 0 every input was
painted or skipped; 1 some failed (listed in OUTPUT/failures.txt) or the
pipeline did; 2 a bad flag; 130 interrupted (what was written stays, and
`--skip_existing` resumes). Errors are one line, never a traceback.
"""

import logging
import os
import signal
import sys

from absl import flags as absl_flags

from kstyle.cli import flags
from kstyle.cli.console import PROGRAM, print_error
from kstyle.cli.main import exit_status
from kstyle.errors import INTERRUPTS, Error, UsageError, first_line, is_interrupt

FLAGS = absl_flags.FLAGS
VERB = "beam"
PROGRESS_EVERY = 10.0  # seconds between a worker's progress lines
HELP = ("--help", "-help", "-h", "--helpshort", "-helpshort", "-?")


def main(argv):
    """Parses `argv` (program name first), runs the pipeline; returns the exit status."""
    if any(argument in HELP for argument in argv[1:]):
        from kstyle.cli import usage
        print(usage.verb_page(VERB, __name__).replace(f"{PROGRAM} {VERB}", f"python -m kstyle.{VERB}")
              .replace("[--FLAG=VALUE ...]", "[--FLAG=VALUE ...] [Beam pipeline options]"))
        return 0
    FLAGS.unparse_flags()
    try:
        pipeline_args = FLAGS(argv, known_only=True)[1:]
    except absl_flags.Error as error:
        return print_error(error, 2)
    del _SIGNALLED[:]
    previous = {number: signal.signal(number, _raise_keyboard_interrupt) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        return exit_status(lambda: _run(pipeline_args),
                           f"interrupted; the pictures written so far are in {flags.OUTPUT.value}, and the same "
                           "command with --skip_existing goes on from them")
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _run(pipeline_args):
    """Checks the flags and the inputs that can be checked here, then runs the pipeline."""
    flags.check_flags_apply(VERB, f"python -m kstyle.{VERB}")
    flags.require(VERB)
    if not os.environ.get("KSTYLE_VERBOSE"):
        # Beam's notices about its own internals (options it passes itself, the local job service's relays),
        # and the tracebacks it logs before raising what the closing line says in one line.
        logging.getLogger("apache_beam").setLevel(logging.CRITICAL + 1)
    patterns, output, model, blend, strength = _checked()
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # Beam's import warns that BigQuery's optional client is missing
    try:
        import apache_beam as beam
        from apache_beam.options.pipeline_options import PipelineOptions
    except ImportError:
        raise Error("python -m kstyle.beam needs Apache Beam: pip install 'kstyle[beam]' (in a checkout: "
                    ".venv/bin/pip install -e '.[beam]')") from None
    finally:
        root.setLevel(level)
    options = _pipeline_options(PipelineOptions, pipeline_args)
    # No TensorFlow here: whoever paints imports it (quietly) when it loads the network, this process
    # only on the in-process DirectRunner.
    from kstyle.beam import workers
    from kstyle.beam.handler import NetworkHandler
    from kstyle.beam.pipeline import StylizeFiles, counters, write_failures

    handler = NetworkHandler(model, blend, strength, flags.MAX_SIZE.value)
    print(f"stylizing {', '.join(patterns)} into {output} ({_runner(options)})", flush=True)
    pipeline = beam.Pipeline(options=options)
    failures = pipeline | "Stylize" >> StylizeFiles(patterns, output, handler, flags.IMAGE_FORMAT.value,
                                                     flags.SKIP_EXISTING.value,
                                                     None if flags.QUIET.value else PROGRESS_EVERY)
    write_failures(failures, output)
    try:
        count = workers.spawned(options)
        result = workers.run_with_workers(pipeline, count) if count else workers.finished(pipeline)
    except INTERRUPTS:
        raise
    except Exception as error:  # a runner's own: a worker that died, a job Dataflow refused
        if _SIGNALLED or is_interrupt(error):  # Beam re-raises Ctrl-C inside a DoFn as an error of its own
            raise KeyboardInterrupt from None
        raise Error(f"the pipeline failed: {first_line(error)}") from None
    counted = counters(result)
    from kstyle.beam.paths import failures_file
    print(f"stylized {counted['stylized']}, failed {counted['failed']}, skipped {counted['skipped']}; "
          f"written to {output}" + (f", failures listed in {failures_file(output)}" if counted["failed"] else ""),
          flush=True)
    return 1 if counted["failed"] else 0


def _checked():
    """`(patterns, output, model, blend, strength)`, each checked as far as the launcher can."""
    from kstyle.beam import paths
    from kstyle.feedforward import blend as blends
    from kstyle.feedforward import forms, shipped
    from kstyle.feedforward.sizes import MIN_SIDE
    patterns = paths.split_patterns(flags.INPUT.value)
    if not patterns:
        raise UsageError("--input: give at least one file, directory or pattern")
    output = flags.OUTPUT.value.rstrip("/") or "/"
    blend, strength = flags.BLEND.value, flags.STRENGTH.value
    names = [name for name, _ in blends.parse(blend)] if blend is not None else []
    model = flags.MODEL.value
    if not model:
        if not names:
            raise UsageError("say what to paint: --model=NAME|PATH or --blend=NAME:WEIGHT,...; the shipped styles "
                             f"are {', '.join(shipped.names()) or 'none'}")
        model = shipped.for_styles(names)
    if strength is not None:
        blends.strength(strength)
    if flags.MAX_SIZE.value is not None and flags.MAX_SIZE.value < MIN_SIDE:
        raise UsageError(f"max_size must be at least {MIN_SIDE}, got {flags.MAX_SIZE.value}")
    if "://" not in model:  # a remote model is checked where it loads, on the workers
        located = forms.locate(model)
        forms.check_choice(located, blend, strength, model)
        if located.form in ("tflite", "onnx"):
            from kstyle.serving import runtimes
            runtimes.check_installed(located.form, located.path)
    for pattern in patterns:
        _check_local_pattern(paths.Pattern(pattern))
    if "://" not in output:
        _check_local_output(output, patterns)
    return patterns, output, model, blend, strength


def _check_local_pattern(pattern):
    """A local pattern that matches nothing is a typo: said now, not after the workers start."""
    import glob
    if "://" in pattern.glob:
        return
    matched = glob.glob(pattern.glob, recursive=True)
    if not any(os.path.isfile(path) and pattern.takes(path) for path in matched):
        what = "no such file" if not pattern.everything else "matches no images"
        raise UsageError(f"--input {pattern.given}: {what}")


def _check_local_output(output, patterns):
    from kstyle import images
    if os.path.exists(output) and not os.path.isdir(output):
        raise UsageError(f"--output {output}: exists and is not a directory")
    for pattern in patterns:
        if "://" not in pattern and os.path.realpath(output) == os.path.realpath(pattern.rstrip("/")):
            raise UsageError(f"--output {output}: is the input directory; its pictures would be read again "
                             "on the next run; write somewhere else")
    try:
        os.makedirs(output, exist_ok=True)
    except OSError as error:
        raise Error(f"--output {output}: cannot create it ({error.strerror})") from None
    images.check_writable(os.path.join(output, "probe.png"))


def _pipeline_options(pipeline_options_class, pipeline_args):
    """Beam's options from the flags kstyle does not know; an unknown or malformed one is a one-line error."""
    if not (os.environ.get("KSTYLE_VERBOSE")
            or any(argument.startswith("--default_sdk_harness_log_level") for argument in pipeline_args)):
        pipeline_args = [*pipeline_args, "--default_sdk_harness_log_level=ERROR"]  # workers' notices of Beam's own
    unknown = _unknown_arguments(pipeline_args)
    stray = [argument for argument in unknown if not argument.startswith("-")]
    if stray:
        raise UsageError(f"unexpected arguments {' '.join(stray)!r}: flags are written --name=value")
    if unknown:
        raise UsageError(f"{', '.join(unknown)}: neither a kstyle flag (python -m kstyle.beam --help) nor a Beam "
                         "pipeline option")
    return pipeline_options_class(pipeline_args)


def _unknown_arguments(pipeline_args):
    """The arguments no Beam options class takes, a misspelt option with Beam's closest one.

    Beam itself only logs a warning and drops them, so a misspelt `--runner`
    would run the job on the wrong runner.

    Raises:
        UsageError: an option's value is malformed (`--direct_num_workers=two`).
    """
    import argparse
    import difflib

    from apache_beam.options import pipeline_options

    class Parser(argparse.ArgumentParser):
        def error(self, message):
            raise UsageError(f"a Beam pipeline option: {message}")

    parser = Parser(allow_abbrev=False, add_help=False)
    latest = {}
    for cls in pipeline_options.PipelineOptions.__subclasses__():  # as Beam parses them: one of a name
        latest.setdefault(str(cls), cls)
    for cls in latest.values():
        cls._add_argparse_args(parser)
    _, unknown = parser.parse_known_args(pipeline_args)
    known = [option for action in parser._actions for option in action.option_strings]
    named = []
    for argument in unknown:
        if not argument.startswith("-"):
            named.append(argument)
            continue
        name = argument.split("=", 1)[0]
        close = difflib.get_close_matches(name, known, n=1)
        named.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return named


def _runner(options):
    from apache_beam.options.pipeline_options import DirectOptions, StandardOptions
    runner = options.view_as(StandardOptions).runner or "DirectRunner"
    direct = options.view_as(DirectOptions)
    if "Direct" in str(runner) and direct.direct_running_mode != "in_memory":
        return f"{runner}, {direct.direct_running_mode}, {direct.direct_num_workers} workers"
    return str(runner)


_SIGNALLED = []  # set by Ctrl-C or SIGTERM, however Beam passes the KeyboardInterrupt on


def _raise_keyboard_interrupt(signum, frame):
    del frame
    _SIGNALLED.append(signum)
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main(sys.argv))
