"""What a rule returns (:class:`Finding`: a location inside one experiment, a message, a
code) and the helpers messages share: the dotted location, "did you mean" and
repeated ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from abtest.registry.problems import Loc, Severity
from abtest.vocabulary import did_you_mean as did_you_mean  # its home; named here too


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


def unique_id_findings(items: Sequence[Any], name: str, what: str) -> list[Finding]:
    """A finding for each item of ``items`` (under ``name``) whose id an earlier one has."""
    seen: dict[str, int] = {}
    out = []
    for i, item in enumerate(items):
        if item.id in seen:
            out.append(
                Finding(
                    (name, i, "id"),
                    f"'{item.id}' is already the id of {name}[{seen[item.id]}]; "
                    f"{what} ids must be unique within the experiment",
                    f"duplicate-{what}-id",
                )
            )
        else:
            seen[item.id] = i
    return out


def exactly_one_findings(
    items: Sequence[Any], name: str, flag: str, code: str, none: str, second: str
) -> list[Finding]:
    """Exactly one of ``items`` (under ``name``) has ``flag`` set: ``none`` when none has,
    and ``second`` (formatted with ``first``, the index of the first one, and ``id``, its
    id) at each further one."""
    flagged = [i for i, item in enumerate(items) if getattr(item, flag)]
    out = [] if flagged else [Finding((name,), none, code)]
    for i in flagged[1:]:
        first = flagged[0]
        text = second.format(first=first, id=items[first].id)
        out.append(Finding((name, i, flag), text, code))
    return out
