"""`kstyle transform`: stylize photos and video clips in one pass with a trained network.

A clip is painted frame by frame and keeps its timing, rotation and sound
(`kstyle.video`); in a folder, photos are written as NAME.png and clips as
NAME.mp4.
"""

import os

from kstyle import finder, images, progress, video
from kstyle.cli import flags
from kstyle.cli.console import print_error
from kstyle.errors import INTERRUPTS, Error, UsageError, is_interrupt
from kstyle.feedforward import blend, forms, shipped
from kstyle.feedforward.sizes import MIN_SIDE
from kstyle.serving import runtimes
from kstyle.startup import import_tensorflow_quietly


def main():
    """Lists models, or stylizes one image or many; returns the exit status."""
    if flags.LIST_MODELS.value:
        _list_models()
        return 0
    flags.require("transform")
    model, chosen = _model()
    located = forms.locate(model)
    if flags.STRENGTH.value is not None:
        blend.strength(flags.STRENGTH.value)
    forms.check_choice(located, chosen, flags.STRENGTH.value, model)  # a wrong style name, before the load
    if located.form in runtimes.RUNTIMES:
        runtimes.check_installed(located.form, located.path)
    if flags.MAX_SIZE.value is not None and flags.MAX_SIZE.value < MIN_SIDE:
        raise UsageError(f"max_size must be at least {MIN_SIDE}, got {flags.MAX_SIZE.value}")
    found = finder.find_images(flags.INPUT.value, option="--input",
                               extensions=images.READABLE_EXTENSIONS + video.READABLE_EXTENSIONS)
    inputs, many = found.sources, found.several
    output = flags.OUTPUT.value
    many = many or os.path.isdir(output)
    if many:
        targets = [os.path.join(output, _output_name(path)) for path in inputs]
        _refuse_overwriting_inputs(inputs, targets)
        _refuse_clashes(inputs, targets)
        _check_output_directory(output)
    else:
        targets = [output]
        _refuse_overwriting_inputs(inputs, targets)
        if video.is_video(inputs[0]):  # Fail now, before loading the model.
            video.check_writable(output)
            clip = video.probe(inputs[0])
        else:
            images.check_writable(output)
            image = images.read_image(inputs[0])

    import_tensorflow_quietly()

    if many:
        os.makedirs(output, exist_ok=True)
        images.check_writable_file(targets[0])
    network = _load(located, model, chosen)
    if not many and video.is_video(inputs[0]):
        return _finish_clip(inputs[0], targets[0], _transform_clip(network, inputs[0], targets[0], clip))
    if not many:
        _transform_one(network, inputs[0], image, targets[0])
        print(f"wrote {targets[0]}")
        return 0
    failures, written = [], 0
    shown = None if flags.QUIET.value else progress.Progress(len(inputs), "image")
    try:
        for done, (source, target) in enumerate(zip(inputs, targets), 1):
            try:
                if video.is_video(source):
                    painted = _transform_clip(network, source, target, video.probe(source),
                                              label=f"{os.path.basename(source)}: ")
                    if painted.interrupted:
                        return _finish_clip(source, target, painted)
                else:
                    _transform_one(network, source, images.read_image(source), target)
                written += 1
            except Error as error:
                failures.append(str(error))
                print_error(error, 1)  # as it happens: a long run's failures are not kept for the end
            if shown:
                shown.update(done)
    except INTERRUPTS as error:
        if not is_interrupt(error):
            raise
        if shown:
            shown.close()
        return print_error(f"interrupted after {written} of {len(inputs)} images; they are in {output}", 130)
    print(f"wrote {written} {'file' if written == 1 else 'files'} to {output}")
    if failures:
        return print_error(f"{len(failures)} of {len(inputs)} inputs failed; first: {failures[0]}", 1)
    return 0


def _load(located, model, chosen):
    """The network as a function on float batches, in whatever form `kstyle` wrote it."""
    if located.form in runtimes.RUNTIMES:
        return runtimes.load(located.form, located.path)
    from kstyle.feedforward import apply
    return apply.load_network(located.path if located.form == forms.SAVEDMODEL else model, chosen,
                              flags.STRENGTH.value)


def _transform_one(network, source, image, target):
    """Paints `image` (read from `source`) and writes it; an `Error` names `source`."""
    from kstyle.feedforward import apply
    try:
        painted = apply.stylize(network, image, flags.MAX_SIZE.value)
    except Error as error:
        raise type(error)(f"{source}: {error}") from None
    images.write_image(target, painted)


def _transform_clip(network, source, target, clip, label=""):
    """Paints the clip `source` into `target` with a progress line of frames, frames per second and time left."""
    from kstyle.feedforward.frames import stylize_frames
    shown = None if flags.QUIET.value else progress.Progress(clip.frames or 1, "frame", label=label)
    rate = video.Rate()

    def on_frame(done):
        fps = rate.tick()
        if shown:  # the count is the container's (or an estimate): never "done" before the last frame
            shown.update(done if done == shown.total else min(done, shown.total - 1), [("fps", fps)] if fps else ())

    try:
        written = video.transcode(source, target,
                                  lambda frames: stylize_frames(network, frames, temporal=flags.TEMPORAL.value),
                                  crf=flags.CRF.value, max_size=flags.MAX_SIZE.value, on_frame=on_frame)
    except Error as error:
        raise type(error)(error if str(error).startswith(source) else f"{source}: {error}") from None
    finally:
        if shown:
            shown.close()
    for note in written.notes:
        print(note)
    return written


def _finish_clip(source, target, written):
    """The closing line of one clip; 130 if Ctrl-C cut it short."""
    if written.interrupted:
        return print_error(f"interrupted after {written.frames} frames of {source}; {target} holds them", 130)
    print(f"wrote {target} ({written.frames} frames)")
    return 0


def _model():
    """`(--model, blend)`: what to load and which of its styles to paint.

    `--style=NAME` picks one style (of `--model`'s network, or the shipped
    network that paints it), `--blend` a mixture; either one alone needs no
    `--model` when its styles are shipped.
    """
    styles = flags.STYLE.value or []
    if len(styles) > 1:
        raise UsageError("--style: transform paints one style; mix several with --blend=NAME:WEIGHT,...")
    if styles and flags.BLEND.value is not None:
        raise UsageError("give --style=NAME or --blend=NAME:WEIGHT,..., not both")
    chosen = styles[0] if styles else flags.BLEND.value
    names = [name for name, _ in blend.parse(chosen)] if chosen is not None else []  # malformed: fails now
    model = flags.MODEL.value
    if not model:
        if not names:
            raise UsageError("say what to paint: --style=NAME, --blend=NAME:WEIGHT,... or --model=NAME|FILE; "
                             f"the shipped styles are {', '.join(shipped.names()) or 'none'}")
        model = shipped.for_styles(names)
    return model, chosen


def _list_models():
    """One line per shipped style: its name, the network file that paints it, when to pick it, the other styles."""
    rows = shipped.listing()
    width = max((len(name) for name, _, _, _ in rows), default=0)
    for name, network, pick, others in rows:
        shared = f", with {', '.join(others)}" if others else ""
        print(f"{name:<{width}}  in {network}{f' ({pick})' if pick else ''}{shared}")


def _check_output_directory(output):
    if os.path.splitext(output)[1].lower() in images.WRITABLE_EXTENSIONS:
        raise UsageError(f"--output {output}: several inputs need an output directory, not an image file")
    if os.path.exists(output) and not os.path.isdir(output):
        raise UsageError(f"--output {output}: exists and is not a directory")
    if not os.path.isdir(os.path.dirname(os.path.abspath(output))):
        raise Error(f"--output {output}: the directory {os.path.dirname(os.path.abspath(output))} does not exist")


def _refuse_overwriting_inputs(inputs, targets):
    """An output that is one of the inputs (--input=photos --output=photos with PNGs) would replace it."""
    sources = {os.path.realpath(path) for path in inputs if not path.startswith(images.SAMPLE_PREFIX)}
    for target in targets:
        if os.path.realpath(target) in sources:
            raise UsageError(f"--output: {target} is one of the inputs and would be overwritten; "
                             "write somewhere else")


def _refuse_clashes(inputs, targets):
    """Two inputs with one output name (a/x.jpg and b/x.jpg, x.jpg and x.png) would overwrite each other."""
    first = {}
    for source, target in zip(inputs, targets):
        if target in first:
            raise UsageError(f"--input: {first[target]} and {source} would both be written to {target}; "
                             "transform them into different --output directories")
        first[target] = source


def _output_name(source):
    """What `source` is written as in an output directory: NAME.mp4 for a clip, NAME.png for a photo."""
    name = source[len(images.SAMPLE_PREFIX):] if source.startswith(images.SAMPLE_PREFIX) else source
    return os.path.splitext(os.path.basename(name))[0] + (".mp4" if video.is_video(name) else ".png")
