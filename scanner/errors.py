"""Errors that the command line turns into a clear message and an exit code."""

from __future__ import annotations

# Exit codes that scripts can rely on (documented in the README).
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_CHANGES = 3  # rescan --fail-on: new (or changed) claims were found
EXIT_LOCKED = 75  # another claimscan run holds the store (EX_TEMPFAIL: try again later)
EXIT_INTERRUPTED = 130


class ClaimscanError(Exception):
    """An error with a message meant for the user, and the exit code to leave with."""

    exit_code = EXIT_FAILURE


class InputError(ClaimscanError):
    """Bad input from the user (a clinic list, an option): nothing was changed."""

    exit_code = EXIT_USAGE


class ClinicListError(InputError):
    """A clinic list that cannot be used; every problem names its file, line and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class StoreError(ClaimscanError):
    """The store cannot be opened or does not hold what was asked for."""


class DuplicatePage(StoreError):
    """A run already holds a snapshot of this URL (a request taken up again after a worker
    died between storing its page and saying so)."""


class StoreLocked(ClaimscanError):
    """Another claimscan run is writing to the store."""

    exit_code = EXIT_LOCKED
