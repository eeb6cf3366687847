"""Input errors that the CLI turns into one clear line and exit status 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class InputError(ValueError):
    """Bad user input: names the file, the field, the bad value and what is allowed.

    Parameters
    ----------
    message : what is wrong, in a few words.
    file : the file the bad value came from (scenario, sites layer, weather file ...), if any.
    field : the key, column or option at fault, if any.
    value : the offending value, if any (shown with ``repr``, shortened).
    allowed : what would be accepted instead, if it can be said briefly.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        field: str | None = None,
        value: Any = None,
        allowed: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.field = field
        self.value = value
        self.allowed = allowed
        self.detail = message
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.field:
            parts.append(self.field)
        where = ": ".join(parts)
        text = self.detail
        if self.value is not None:
            shown = _short_repr(self.value)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            text += f" (got {shown})"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        return f"{where}: {text}" if where else text


def _short_repr(value: Any) -> str:
    """``repr`` of a value that may be huge or deeply nested (an expanded YAML alias bomb), bounded in time and
    length: a few levels and items of each container, long strings cut."""
    import reprlib

    short = reprlib.Repr()
    short.maxlevel, short.maxstring, short.maxother, short.maxlong = 3, 80, 80, 40
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 6
    return short.repr(value)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with one line saying what was kept (e.g. the finished runs of a comparison, to resume from)."""


class InputWarning(UserWarning):
    """Something in the input was repaired; ``--strict`` turns it into an :class:`InputError`."""


class InputNote(InputWarning):
    """Something in the input that pvsim does not use (unknown columns): printed as a note, and not an error under
    ``--strict``, since nothing was repaired."""
