"""Entry point of the `kstyle` command: parse flags, run a verb, map errors to exit codes.

Exit status: 0 done; 1 a kstyle.Error (unreadable file, unwritable output...);
2 a bad flag or option value; 130 interrupted (the latest image is kept).
Errors are one line on stderr, never a traceback.
"""

import importlib
import os
import signal
import sys

from absl import app, logging
from absl import flags as absl_flags

import kstyle
from kstyle import presets
from kstyle.cli import flags, usage
from kstyle.cli.console import PROGRAM, library_notices, print_error
from kstyle.errors import INTERRUPTS, Error, UsageError, is_interrupt

FLAGS = absl_flags.FLAGS
VERBS = {
    "stylize": "kstyle.cli.stylize",
    "train": "kstyle.cli.train",
    "transform": "kstyle.cli.transform",
    "export": "kstyle.cli.export",
}
HELP = ("--help", "-help", "-h", "--helpshort", "-helpshort", "-?")
VERSION = ("--version", "-version")
# Export's version number was --version until 0.1; the old spelling works, with a notice, until 0.2.
OLD_EXPORT_VERSION = "--version"


def run():
    """The console script: `kstyle VERB --flags`."""
    try:
        status, argv = before_parsing(sys.argv)
    except BrokenPipeError:  # `kstyle --help | head`
        sys.exit(0)
    if status is not None:
        sys.exit(status)
    app.run(_app_main, argv=argv, flags_parser=_parse_or_exit)


def main(argv):
    """Parses `argv` (program name first) and runs the verb; returns the exit status.

    The same as the console script, minus absl's process set-up, for tests.
    """
    status, argv = before_parsing(argv)
    if status is not None:
        return status
    FLAGS.unparse_flags()
    try:
        remaining = FLAGS(expand_presets(argv))
    except (absl_flags.Error, UsageError) as error:
        return print_error(error, 2)
    return dispatch(remaining)


def before_parsing(argv):
    """Answers help and version requests, and renames deprecated flags; returns `(status, argv)`.

    absl would answer `--help` with one line and `--helpfull` with every flag of
    every module (exiting 1), and knows no `help` verb, so these are answered here,
    before absl parses anything. `status` is None when the verb should run.
    """
    arguments = argv[1:]
    words = [argument for argument in arguments if not argument.startswith("-")]
    verb = words[0] if words else None
    if verb == "help":
        verb = words[1] if len(words) > 1 else None
        arguments = [*arguments, "--help"]
    if "--helpfull" in arguments or "-helpfull" in arguments:
        print(FLAGS.get_help())
        return 0, argv
    if any(argument in HELP for argument in arguments):
        if verb is not None and verb not in VERBS:
            return _unknown(verb), argv
        print(usage.verb_page(verb, VERBS[verb]) if verb else usage.overview(VERBS))
        return 0, argv
    if verb == "export":
        argv = _rename_old_export_version(argv)
    if any(argument in VERSION for argument in argv[1:]):
        print(f"{PROGRAM} {kstyle.__version__}")
        return 0, argv
    if verb is None:
        print(usage.overview(VERBS), file=sys.stderr)
        return 2, argv
    return None, argv


def _rename_old_export_version(argv):
    """`kstyle export --version=N` (or `--version N`) as `--export_version=N`, saying the new spelling once."""
    renamed, arguments = [argv[0]], iter(argv[1:])
    for argument in arguments:
        value = None
        if argument.startswith(OLD_EXPORT_VERSION + "="):
            value = argument.split("=", 1)[1]
        elif argument == OLD_EXPORT_VERSION:
            value = next(arguments, None)
            if value is None or not value.lstrip("-").isdigit():  # `kstyle export --version`: the version
                renamed += [argument] + ([value] if value is not None else [])
                continue
        if value is None:
            renamed.append(argument)
            continue
        print(f"{PROGRAM}: --version={value} is now --export_version={value}; the old spelling stops working "
              "in the next release", file=sys.stderr)
        renamed.append(f"--export_version={value}")
    return renamed


def _unknown(verb):
    return print_error(f"unknown command {verb!r}; the commands are {', '.join(VERBS)} ({PROGRAM} --help)", 2)


def expand_presets(argv):
    """Replaces each `--preset=NAME` with `--flagfile=` its shipped file, in place, so later flags override it.

    Raises:
        UsageError: an unknown preset (the message lists them).
    """
    expanded, arguments = [], iter(argv)
    for argument in arguments:
        name = None
        if argument.startswith(("--preset=", "-preset=")):
            name = argument.split("=", 1)[1]
        elif argument in ("--preset", "-preset"):
            name = next(arguments, "")
        expanded.append(argument if name is None else f"--flagfile={presets.path(name)}")
    return expanded


def dispatch(argv):
    """Runs the verb named in `argv[1]` with the parsed flags; returns the exit status."""
    if len(argv) < 2:
        print(usage.overview(VERBS), file=sys.stderr)
        return 2
    if argv[1] not in VERBS:
        return _unknown(argv[1])
    if len(argv) > 2:
        return print_error(f"unexpected arguments {' '.join(argv[2:])!r}: flags are written --name=value", 2)
    verb = argv[1]
    if not os.environ.get("KSTYLE_VERBOSE") and not FLAGS["verbosity"].present:
        # TensorFlow's Python side logs checkpoint and saver chatter at INFO through absl.
        logging.set_verbosity(logging.WARNING)
    previous_handler = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        return exit_status(lambda: _run_verb(verb), "interrupted; nothing was written")
    finally:
        signal.signal(signal.SIGTERM, previous_handler)


def _run_verb(verb):
    if flags.PRESET.present:
        raise UsageError("--preset works on the command line only; inside a flagfile, use --flagfile=PATH")
    flags.check_flags_apply(verb, f"`{PROGRAM} {verb}`")
    with library_notices():
        return importlib.import_module(VERBS[verb]).main()


def exit_status(run, interrupted):
    """`run()`'s exit status, kstyle's errors said in one line with theirs (the module's docstring lists them).

    Args:
        run: returns the exit status when it gets to the end.
        interrupted: the line for Ctrl-C or SIGTERM that reached no verb's own handling.
    """
    try:
        return run()
    except UsageError as error:
        return print_error(error, 2)
    except Error as error:
        return print_error(error, 1)
    except INTERRUPTS as error:
        if not is_interrupt(error):
            raise
        return print_error(interrupted, 130)


def _raise_keyboard_interrupt(signum, frame):
    del signum, frame
    raise KeyboardInterrupt


def _parse_or_exit(argv):
    try:
        return FLAGS(expand_presets(argv))
    except (absl_flags.Error, UsageError) as error:
        sys.exit(print_error(error, 2))


def _app_main(argv):
    sys.exit(dispatch(argv))
