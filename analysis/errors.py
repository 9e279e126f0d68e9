"""The one exception the analysis raises."""


class BadTranscript(ValueError):  # noqa: N818 (the public name is fixed)
    """Bad input; str(exc) is a reason a person can read."""
