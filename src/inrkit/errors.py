"""The one exception type users see.

Everything that is the user's fault (a bad file, a bad flag, a checkpoint of the wrong kind)
is raised as :class:`InrkitError` with a one-line message that names the file and the problem.
The CLI turns it into ``inrkit: error: <message>`` on stderr and exit code 2, once, in
``inrkit.cli``; library callers can catch it like any exception.
"""

from __future__ import annotations


class InrkitError(Exception):
    """A problem with the user's input, reported as one line without a traceback."""

    exit_code: int = 2

    def __init__(self, message: str) -> None:
        # Keep the message on one line whatever the caller passed in.
        super().__init__(" ".join(str(message).split()))


def file_error(path: object, problem: str) -> InrkitError:
    """Build the house style message ``PATH: problem``."""
    return InrkitError(f"{path}: {problem}")
