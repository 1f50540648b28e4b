"""The family of errors the core raises.

Every message is written for the person using the app: it says what went wrong *and what
to do*. The CLI prints ``str(error)`` and exits with ``error.exit_code``; the GUI shows the
same text in one dialog (see ``assistant.ui.worker``). Nothing else turns exceptions into
user messages.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class of every error meant for the user."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class Cancelled(AssistantError):
    """The user cancelled a long job; whatever it was writing was rolled back."""

    exit_code = 130

    def __init__(self, message: str = "Cancelled; nothing was changed.") -> None:
        super().__init__(message)


class InputError(AssistantError):
    """A file or argument the user gave cannot be used."""

    exit_code = 2


class ImportFormatError(InputError):
    """An import file is malformed. Names the file, position and field."""

    def __init__(
        self,
        path: str,
        problem: str,
        *,
        index: int | None = None,
        pid: object | None = None,
        field: str | None = None,
    ) -> None:
        where = [f"{path}"]
        if index is not None:
            where.append(f"playlist #{index}")
        if pid is not None:
            where.append(f"pid {pid}")
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(
            f"{', '.join(where)}: {problem}",
            hint="Nothing from this file was imported. Fix or replace the file and import it again.",
        )
        self.path = path
        self.index = index
        self.pid = pid
        self.field = field


class LibraryError(AssistantError):
    """The SQLite library cannot be opened or written."""


class NotFound(AssistantError):
    """A playlist, track or checkpoint the user named does not exist."""

    exit_code = 3


class CheckpointError(AssistantError):
    """A checkpoint file is corrupt, foreign, or does not match the library."""


class TrainingError(AssistantError):
    """Training could not go on (e.g. the loss became NaN); the previous model is kept."""


class SpotifyError(AssistantError):
    """A Spotify call failed; the message says whether to retry, sign in again or wait."""


class AuthExpired(SpotifyError):
    """The Spotify login expired or was revoked: the person must sign in again."""

    def __init__(self, message: str = "Your Spotify sign-in has expired or was revoked.") -> None:
        AssistantError.__init__(
            self, message, hint="Sign in again (Spotify → Connect, or `spotify login`)."
        )


class RateLimited(SpotifyError):
    """Spotify asked us to wait longer than we are willing to block."""

    def __init__(self, retry_after: float) -> None:
        AssistantError.__init__(
            self,
            f"Spotify is rate-limiting requests (asked to wait {retry_after:.0f} s).",
            hint="Nothing was lost: run the same action again later and it resumes where it stopped.",
        )
        self.retry_after = retry_after


class NotSignedIn(SpotifyError):
    """No Spotify token is stored yet (or it was deleted by "Disconnect")."""

    def __init__(self, message: str = "You are not signed in to Spotify.") -> None:
        AssistantError.__init__(
            self,
            message,
            hint="Sign in first (Spotify → Connect…, or `playlist-assistant spotify login`).",
        )


class SpotifyUnavailable(SpotifyError):
    """Spotify could not be reached or kept failing (timeouts, dropped connections, 5xx)."""

    def __init__(self, message: str) -> None:
        AssistantError.__init__(
            self,
            message,
            hint="Check the network connection and try again later; nothing was lost and "
            "the same action resumes where it stopped.",
        )


class SpotifyForbidden(SpotifyError):
    """Spotify refused access to something (403): not the person's playlist, or no scope."""


class SpotifyNotFound(SpotifyError):
    """A Spotify playlist the app was told about does not exist (any more)."""

    exit_code = 3


class BackgroundProcessError(AssistantError):
    """A helper process ended without an answer (killed, out of memory, crashed)."""


# -- across a process boundary ------------------------------------------------------------
# The one transport of errors between processes (the training child, the MPD reader).
# Errors with keyword-only constructor arguments do not survive pickling as they are, so
# an error travels as (class name, args, attributes) and is rebuilt without calling its
# constructor: every attribute (a RateLimited's retry_after, an ImportFormatError's
# field) arrives as it left.

PackedError = tuple[str, tuple, dict]


def pack_error(exc: BaseException) -> PackedError:
    """Plain, picklable data for an error; anything not ours keeps its type's name."""
    if isinstance(exc, AssistantError):
        return type(exc).__name__, exc.args, dict(vars(exc))
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    return name, (str(exc),), {}


def unpack_error(
    packed: PackedError, base: type[AssistantError] = AssistantError
) -> AssistantError:
    """The error :func:`pack_error` described, as the same class of this module.

    An error of no class here (a bug in the other process) becomes a
    :class:`BackgroundProcessError` that names it; a class here that is not a ``base``
    becomes a plain ``base``.
    """
    name, args, attributes = packed
    cls = globals().get(name)
    if not (isinstance(cls, type) and issubclass(cls, AssistantError)):
        message = args[0] if args else ""
        return BackgroundProcessError(
            f"The background job failed: {name}: {message}",
            hint="Nothing was changed. Please report this with the message above.",
        )
    if not issubclass(cls, base):
        cls = base
    exc = cls.__new__(cls)
    exc.args = args
    vars(exc).update(attributes)
    return exc
