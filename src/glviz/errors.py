"""The one exception type that user mistakes raise; the CLI prints it as one line and exits 2."""


class GlvizError(ValueError):
    """A user mistake (bad file, bad input, bad option), phrased as `<what> (<file or value>)`."""
