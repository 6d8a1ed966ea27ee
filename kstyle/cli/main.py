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

from kstyle import presets
from kstyle.cli import flags
from kstyle.cli.console import PROGRAM, print_error
from kstyle.errors import INTERRUPTS, Error, UsageError, is_interrupt

FLAGS = absl_flags.FLAGS
VERBS = {
    "stylize": "kstyle.cli.stylize",
    "train": "kstyle.cli.train",
    "transform": "kstyle.cli.transform",
    "export": "kstyle.cli.export",
}
USAGE = (f"usage: {PROGRAM} {{{'|'.join(VERBS)}}} [--preset=NAME] [--FLAG=VALUE ...]; "
         "--helpfull lists flags")


def run():
    """The console script: `kstyle VERB --flags`."""
    app.run(_app_main, flags_parser=_parse_or_exit)


def main(argv):
    """Parses `argv` (program name first) and runs the verb; returns the exit status.

    The same as the console script, minus absl's process set-up, for tests.
    """
    FLAGS.unparse_flags()
    try:
        remaining = FLAGS(expand_presets(argv))
    except (absl_flags.Error, UsageError) as error:
        return print_error(error, 2)
    return dispatch(remaining)


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
    if len(argv) < 2 or argv[1] not in VERBS:
        given = f"unknown command {argv[1]!r}; " if len(argv) > 1 else ""
        return print_error(f"{given}{USAGE}", 2)
    if len(argv) > 2:
        return print_error(f"unexpected arguments {' '.join(argv[2:])!r}: flags are written --name=value", 2)
    verb = argv[1]
    if not os.environ.get("KSTYLE_VERBOSE") and not FLAGS["verbosity"].present:
        # TensorFlow's Python side logs checkpoint and saver chatter at INFO through absl.
        logging.set_verbosity(logging.WARNING)
    previous_handler = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        if flags.PRESET.present:
            raise UsageError("--preset works on the command line only; inside a flagfile, use --flagfile=PATH")
        _check_flags_apply(verb)
        return importlib.import_module(VERBS[verb]).main()
    except UsageError as error:
        return print_error(error, 2)
    except Error as error:
        return print_error(error, 1)
    except INTERRUPTS as error:
        if not is_interrupt(error):
            raise
        return print_error("interrupted; nothing was written", 130)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)


def _check_flags_apply(verb):
    used = flags.VERB_FLAGS[verb]
    stray = sorted(name for verb_flags in flags.VERB_FLAGS.values() for name in verb_flags
                   if name not in used and FLAGS[name].present)
    if stray:
        raise UsageError(f"{', '.join('--' + name for name in dict.fromkeys(stray))} "
                         f"does not apply to `{PROGRAM} {verb}`")


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
