"""The one error type users see for bad input: a one-paragraph message, no traceback."""


class ConfigError(Exception):
    """A bad value in the command line or config; the message names it and what is valid."""


class TrainingError(ConfigError):
    """Training cannot go on (the loss diverged); reported as one paragraph like a bad value."""


class WriteError(ConfigError):
    """A file of the run could not be written (a full disk, a read-only directory)."""


class RunInterrupted(ConfigError):
    """Stopped by Ctrl-C or SIGTERM after writing a checkpoint; the message says how to resume.
    The exit code is the shell's for that signal: 130 (SIGINT), 143 (SIGTERM)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def root_cause(exc: BaseException) -> BaseException:
    """The innermost ``__cause__``: Hydra wraps the error of an object it instantiates."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


def cause_text(exc: BaseException) -> str:
    """``TypeName: first line of the message`` of the innermost cause, for one paragraph."""
    root = root_cause(exc)
    return f"{type(root).__name__}: {str(root).splitlines()[0] if str(root) else ''}"
