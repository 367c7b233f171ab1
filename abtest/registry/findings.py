"""What a rule returns (:class:`Finding`: a location inside one experiment, a message, a
code) and the two helpers every message uses: the dotted location and "did you mean".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from abtest.registry.problems import Loc, Severity


class Finding(NamedTuple):
    """A rule's verdict at a location inside one experiment (not yet tied to a file)."""

    loc: Loc
    message: str
    code: str
    severity: Severity = "error"


def dotted(loc: Loc) -> str:
    """``("variants", 1, "weight")`` -> ``"variants[1].weight"``.

    >>> dotted(("variants", 1, "weight")), dotted(())
    ('variants[1].weight', '')
    """
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def did_you_mean(word: str, options: Sequence[str]) -> str:
    """`` — did you mean 'x'?`` for a close match among ``options``, else ``""``.

    >>> did_you_mean("wieght", ["id", "weight", "url"])
    " — did you mean 'weight'?"
    """
    import difflib  # only when there is a typo to explain

    lowered = {o.lower(): o for o in options}
    if word.lower() in lowered:
        return f" — did you mean '{lowered[word.lower()]}'?"
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""
