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
