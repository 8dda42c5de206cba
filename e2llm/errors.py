"""Errors a user can fix: what they gave (an argument, a file, a config) or what their machine lacks.

The ``e2llm`` command reports a :class:`UserError` in one line naming the argument or file and
exits with status 2; any other exception is a bug (here or in a library) and keeps its traceback.
``e2llm --debug`` (or ``E2LLM_DEBUG=1``) shows the traceback of a user error too.

Each class is also the built-in exception a Python caller would expect (``ValueError``,
``FileNotFoundError``, ``OSError``), so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class UserError(Exception):
    """The base of the errors the user can fix; never raised itself."""


class InvalidInputError(UserError, ValueError):
    """A value, a file's content or a setting the user gave cannot be used."""


class MissingInputError(UserError, FileNotFoundError):
    """A file or folder the user named does not exist (or is not what it should be)."""


class OutputExistsError(UserError, FileExistsError):
    """An output path the user named holds something this command will not overwrite."""


class MachineError(UserError, OSError):
    """The machine cannot do what was asked: no space left, no permission, an I/O error. Not the
    input's fault and not a bug. Made as ``MachineError(errno, message)``: keeps the ``errno`` and
    prints as the message alone."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()


def first_line(err: BaseException) -> str:
    """The first non-empty line of an exception's message (its type's name when it has none): what
    a one-line error quotes of a library's longer one."""
    return next((line.strip() for line in str(err).splitlines() if line.strip()), type(err).__name__)


__all__ = ["InvalidInputError", "MachineError", "MissingInputError", "OutputExistsError", "UserError", "first_line"]
