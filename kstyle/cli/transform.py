"""`kstyle transform`: stylize photos in one pass with a trained network."""

import os

from kstyle import finder, images
from kstyle.cli import flags
from kstyle.cli.console import import_tensorflow_quietly, print_error
from kstyle.errors import INTERRUPTS, Error, UsageError, is_interrupt
from kstyle.feedforward import blend, shipped


def main():
    """Lists models, or stylizes one image or many; returns the exit status."""
    if flags.LIST_MODELS.value:
        _list_models()
        return 0
    for flag in (flags.INPUT, flags.OUTPUT):
        if not flag.value:
            raise UsageError(f"--{flag.name} is required")
    model, chosen = _model()
    shipped.resolve(model)
    if flags.STRENGTH.value is not None:
        blend.strength(flags.STRENGTH.value)
    found = finder.find_images(flags.INPUT.value, option="--input")
    inputs, many = found.sources, found.several
    output = flags.OUTPUT.value
    many = many or os.path.isdir(output)
    if many:
        targets = [os.path.join(output, _png_name(path)) for path in inputs]
        _refuse_overwriting_inputs(inputs, targets)
        _refuse_clashes(inputs, targets)
        _check_output_directory(output)
    else:
        targets = [output]
        _refuse_overwriting_inputs(inputs, targets)
        images.check_writable(output)
        image = images.read_image(inputs[0])  # Fail now, before loading the model.

    import_tensorflow_quietly()
    import keras

    from kstyle.feedforward import apply
    from kstyle.feedforward.network import MIN_SIDE

    if flags.MAX_SIZE.value is not None and flags.MAX_SIZE.value < MIN_SIDE:
        raise UsageError(f"max_size must be at least {MIN_SIDE}, got {flags.MAX_SIZE.value}")
    if many:
        os.makedirs(output, exist_ok=True)
        images.check_writable(targets[0])
    network = apply.load_network(model, chosen, flags.STRENGTH.value)
    if not many:
        _transform_one(network, inputs[0], image, targets[0])
        print(f"wrote {targets[0]}")
        return 0
    failures, written = [], 0
    progress = keras.utils.Progbar(len(inputs), unit_name="image")
    try:
        for done, (source, target) in enumerate(zip(inputs, targets), 1):
            try:
                _transform_one(network, source, images.read_image(source), target)
                written += 1
            except Error as error:
                failures.append(str(error))
                print_error(error, 1)  # as it happens: a long run's failures are not kept for the end
            progress.update(done)
    except INTERRUPTS as error:
        if not is_interrupt(error):
            raise
        return print_error(f"interrupted after {written} of {len(inputs)} images; they are in {output}", 130)
    print(f"wrote {written} images to {output}")
    if failures:
        return print_error(f"{len(failures)} of {len(inputs)} inputs failed; first: {failures[0]}", 1)
    return 0


def _transform_one(network, source, image, target):
    """Paints `image` (read from `source`) and writes it; an `Error` names `source`."""
    from kstyle.feedforward import apply
    try:
        painted = apply.stylize(network, image, flags.MAX_SIZE.value)
    except Error as error:
        raise type(error)(f"{source}: {error}") from None
    images.write_image(target, painted)


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
    """One line per shipped style: its name, the network file that paints it, the other styles there."""
    rows = shipped.listing()
    width = max((len(name) for name, _, _ in rows), default=0)
    for name, network, others in rows:
        shared = f", with {', '.join(others)}" if others else ""
        print(f"{name:<{width}}  in {network}{shared}")


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


def _png_name(source):
    name = source[len(images.SAMPLE_PREFIX):] if source.startswith(images.SAMPLE_PREFIX) else source
    return os.path.splitext(os.path.basename(name))[0] + ".png"
