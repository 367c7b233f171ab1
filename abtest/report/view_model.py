"""The plain-string model every presenter renders (:class:`ReportView` and its parts), and
the small helpers the view builders share. No statistics: presentation only."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from abtest import formatting as fmt

if TYPE_CHECKING:
    from abtest.analysis import Design


@dataclass(frozen=True)
class Table:
    """A table of display strings.

    ``align`` holds ``"l"`` or ``"r"`` per column; ``marks`` one CSS-ish tag
    per row (``""``, ``"control"``, ``"better"``, ``"worse"``, ``"alarm"``).
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[str, ...]
    marks: tuple[str, ...] = ()

    def mark(self, i: int) -> str:
        return self.marks[i] if i < len(self.marks) else ""


@dataclass(frozen=True)
class MetricView:
    """One goal's table: its variants against the control."""

    metric: str
    label: str
    kind: str
    primary: bool
    note: str
    table: Table


@dataclass(frozen=True)
class GroupView:
    """The goals of one kind (micro, macro, value)."""

    kind: str
    title: str
    metrics: tuple[MetricView, ...]


@dataclass(frozen=True)
class Check:
    """A status line: ``status`` is ``"ok"``, ``"warn"``, ``"alarm"`` or ``"info"``."""

    label: str
    status: str
    text: str


@dataclass(frozen=True)
class Section:
    """A table after the checks: its ``title``, the ``note`` shown under it ('' for
    none), ``css`` (its HTML class) and the ``table``."""

    title: str
    note: str
    css: str
    table: Table


@dataclass(frozen=True)
class ReportView:
    """Everything a one-experiment report shows, in reading order."""

    experiment: str
    title: str
    hypothesis: str | None
    meta: tuple[tuple[str, str], ...]
    winner: str | None
    verdict: str
    reason: str
    groups: tuple[GroupView, ...]
    checks: tuple[Check, ...]
    funnel: Table | None
    costs: Table | None
    currency: str
    lead_quality: Table | None = None
    time_to: Table | None = None
    segments: Table | None = None
    cost_by_source: Table | None = None


def shares(d: Design) -> list[float]:
    k = len(d.variants or ())
    w = list(d.weights) if d.weights else [1.0] * k
    total = sum(w) or 1.0
    return [x / total for x in w]


def day_text(x: Any) -> str:
    if isinstance(x, datetime) and x.time() == datetime.min.time():
        return x.date().isoformat()  # daily rows as midnight timestamps
    return x.isoformat() if hasattr(x, "isoformat") else str(x)


def present(x: Any) -> bool:
    """Dates are present; None, NaN and NaT (all unequal to themselves) are not."""
    return x is not None and x == x


def look_cell(row: Any, control: Any, is_control: bool, binary: bool) -> str:
    """The look a sequential row was read at; for a treatment read at a look where the
    control's rate (or mean) was not what the control row shows, also that value, which
    its lift is of: "2024-01-07 (control 5.36%)" (b's 7.22% beside the control row's latest
    10.37% read as a drop, labelled "+34.6% better")."""
    if not present(row.get("look_day")):
        return ""
    day = day_text(row["look_day"])
    if is_control:
        return day
    then = float(row.get("mean_control", math.nan))  # the control's mean at that look
    shown = fmt.pct if binary else fmt.number
    if not math.isfinite(then) or shown(then) == shown(control["mean"]):
        return day  # the control row shows that look's value already
    return f"{day} (control {shown(then)})"
