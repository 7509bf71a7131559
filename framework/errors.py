"""The one error type users see for bad input: a one-paragraph message, no traceback."""


class ConfigError(Exception):
    """A bad value in the command line or config; the message names it and what is valid."""


class TrainingError(ConfigError):
    """Training cannot go on (the loss diverged); reported as one paragraph like a bad value."""
