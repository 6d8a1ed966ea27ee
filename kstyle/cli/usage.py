"""What `kstyle --help` and `kstyle VERB --help` print: the verbs, or one verb's flags with its defaults.

absl's own help lists every flag of every module, its pdb, profiling and
logging flags included, whatever the verb; that stays as `--helpfull`. These
pages show what a user of one verb can set, with that verb's default, so they
are built from `flags.VERB_FLAGS`, `flags.REQUIRED` and the option classes'
defaults rather than from absl's registry.
"""

import importlib
import textwrap

import kstyle
from kstyle import presets
from kstyle.cli import flags
from kstyle.cli.console import PROGRAM

_WIDTH = 100


def summary(module):
    """A verb module's one-line purpose: its docstring's first line after the `kstyle VERB`: prefix."""
    first = importlib.import_module(module).__doc__.strip().splitlines()[0]
    return first.split(": ", 1)[1].rstrip(".")


def overview(verbs):
    """The top-level help: what kstyle is, then each verb in one line.

    Args:
        verbs: `{verb: module}`, as `kstyle.cli.main.VERBS`.
    """
    width = max(len(verb) for verb in verbs)
    lines = [f"{PROGRAM} {kstyle.__version__}: neural style transfer for TensorFlow/Keras", "",
             f"usage: {PROGRAM} VERB [--preset=NAME] [--FLAG=VALUE ...]", ""]
    lines += [f"  {verb:<{width}}  {summary(module)}" for verb, module in verbs.items()]
    lines += ["", f"{PROGRAM} VERB --help lists a verb's flags and their defaults; {PROGRAM} --helpfull lists "
              f"every flag, absl's too; {PROGRAM} --version prints the version."]
    return "\n".join(lines)


def verb_page(verb, module):
    """`kstyle VERB --help`: the verb's purpose, usage, and each of its flags with its default."""
    required = flags.REQUIRED[verb]
    usage = " ".join(f"--{name}=..." for name in required)
    lines = [f"{PROGRAM} {verb}: {summary(module)}.", "",
             f"usage: {PROGRAM} {verb} {usage} [--FLAG=VALUE ...]".replace("  ", " "), ""]
    for_verb = [name for name in flags.defined_order() if name in flags.VERB_FLAGS[verb]]
    names = sorted(for_verb, key=lambda name: name not in required)  # required first, then in definition order
    own_presets = verb_presets(verb)
    if own_presets:
        names.insert(len(required), "preset")
    for name in names:
        lines += _flag_lines(verb, name, required, own_presets)
    lines += ["", "Later flags override a preset; --flagfile=PATH reads flags from a file of your own; "
              f"{PROGRAM} --helpfull lists every flag."]
    return "\n".join(lines)


def verb_presets(verb):
    """The shipped presets `verb` takes: those setting only flags it reads."""
    return [name for name in presets.names() if set(presets.values(name)) <= flags.VERB_FLAGS[verb]]


def _flag_lines(verb, name, required, own_presets):
    if name in required:
        head = f"  --{name} (required)"
    elif name == "preset":
        head = f"  --preset: one of {', '.join(own_presets)}"
    else:
        default = flags.verb_default(verb, name)
        head = f"  --{name}" + (f" (default: {default})" if default is not None else "")
    text = "" if name == "preset" else flags.verb_help(verb, name)
    body = textwrap.wrap(text, _WIDTH - 6, initial_indent="      ", subsequent_indent="      ")
    return [head, *body]
