"""The words abtest's settings take, defined once: methods, corrections, alternatives,
spending functions, the SRM threshold, the defaults and the duration grammar.

The registry schema's literals, :class:`~abtest.analysis.Design`, the command line's
choices, the stats validators and the reports all read them from here, so the library,
a registry file and the CLI accept the same spellings (``tests/test_vocabulary.py`` checks
that they agree). Standard library only: the ``validate`` command imports it without
numpy or pandas.

``alternative`` compares arm b (a treatment) with arm a (the control): ``"larger"`` tests
``b > a``, ``"smaller"`` tests ``b < a``, ``"two-sided"`` either; scipy's ``"greater"``
and ``"less"`` are accepted for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta

METHODS = ("frequentist", "bayesian", "sequential")
CORRECTIONS = ("holm", "bonferroni", "bh", "none")
CORRECTION_ALIASES = {"fdr_bh": "bh", "benjamini-hochberg": "bh"}
CORRECTION_LABELS = {
    "holm": "Holm",
    "bonferroni": "Bonferroni",
    "bh": "Benjamini-Hochberg",
    "none": "no correction",
}
ALTERNATIVES = ("two-sided", "larger", "smaller")
ALTERNATIVE_ALIASES = {"greater": "larger", "less": "smaller"}
SPENDING = ("obrien-fleming", "pocock")
SPENDING_LABELS = {"obrien-fleming": "O'Brien-Fleming", "pocock": "Pocock"}

SRM_THRESHOLD = 0.001
"""A sample ratio mismatch is an alarm below this p-value (the industry convention)."""
DEFAULT_ALPHA = 0.05
DEFAULT_POWER = 0.8
DEFAULT_PROB_BEST = 0.95
DEFAULT_CORRECTION = "holm"

#: The columns of a Summary's own tables (its statistics frame and its quantiles), which a
#: segment column cannot be named like (:func:`segment_name_problem`).
SUMMARY_COLUMNS = (
    "experiment", "variant", "metric", "kind", "n", "sum", "sum_sq", "day",
    "sum_x", "sum_x_sq", "sum_xy", "cap", "capped",
    "q", "among", "quantile", "lower", "upper",
)  # fmt: skip
#: The prefix of ``Summary.to_frame()``'s exclusion columns, ``excluded_<reason>``.
EXCLUDED_PREFIX = "excluded_"


def segment_name_problem(name: str) -> str | None:
    """Why a segment column (``summarize(by=...)``, a registry's ``data.segments``) cannot
    be called ``name``, or None when it can (each caller also refuses a name given twice).

    A segment keeps its name in the Summary, beside :data:`SUMMARY_COLUMNS`, and in
    ``Summary.to_frame()``, beside the ``excluded_<reason>`` columns; ``unit_id`` and
    ``timestamp`` name the exposures' own columns, which a mapping may point elsewhere.

    >>> segment_name_problem("device"), segment_name_problem("n")
    (None, 'is the name of a column of the summary itself')
    """
    if name in SUMMARY_COLUMNS:
        return "is the name of a column of the summary itself"
    if name.startswith(EXCLUDED_PREFIX):
        return "starts like the summary's excluded_<reason> columns"
    if name in ("unit_id", "timestamp"):
        return "is the name of one of the exposures' own columns"
    return None


def segment_alias(name: str) -> str:
    """A name a segment column called ``name`` can be read under instead (through a
    column mapping) when :func:`segment_name_problem` refuses ``name``.

    >>> segment_alias("day"), segment_alias("excluded_x")
    ('day_segment', 'segment_excluded_x')
    """
    return next(a for a in (f"{name}_segment", f"segment_{name}") if not segment_name_problem(a))


#: The conversions log's own columns (``abtest.data.model`` reads them by these names).
CONVERSION_COLUMNS = ("unit_id", "event", "timestamp")


def value_name_problem(name: str) -> str | None:
    """Why a value goal (``EventMetric(value=...)``, a registry goal's ``value``) cannot
    sum the conversions column called ``name``, or None when it can: ``unit_id``,
    ``event`` and ``timestamp`` name the conversions' own columns, which a column mapping
    may point elsewhere (the goal would then sum the mapped column, not the one called
    ``name``).

    >>> value_name_problem("revenue"), value_name_problem("unit_id")
    (None, "is the name of one of the conversions' own columns")
    """
    if name in CONVERSION_COLUMNS:
        return "is the name of one of the conversions' own columns"
    return None


def value_alias(name: str) -> str:
    """The name a value column called ``name`` can be read under (through a column
    mapping) when :func:`value_name_problem` refuses ``name``.

    >>> value_alias("unit_id")
    'unit_id_value'
    """
    return f"{name}_value"


#: The logs' columns a column mapping may rename (the exposures', the conversions' and
#: the covariate log's value), besides goals' value columns and segment columns.
MAPPED_COLUMNS = ("unit_id", "experiment", "variant", "timestamp", "event", "value")


def column_key_problem(key: str, values: Sequence[str], segments: Sequence[str]) -> str | None:
    """Why ``key`` of a column mapping (``summarize(columns=...)``, a registry's
    ``data.columns``) names no column abtest reads, or None: the one rule of both. A
    misspelt key ('timestmap') was kept and the log then said only "no column
    'timestamp'".

    >>> column_key_problem("timestamp", [], []), column_key_problem("revenue", ["revenue"], [])
    (None, None)
    >>> column_key_problem("timestmap", [], ["device"])  # doctest: +ELLIPSIS
    "'timestmap' is not a column abtest reads (...device); ... — did you mean 'timestamp'?"
    """
    known = list(dict.fromkeys([*MAPPED_COLUMNS, *values, *segments]))
    if key in known:
        return None
    return (
        f"'{key}' is not a column abtest reads (those are {', '.join(known)}); the key is "
        f"abtest's name, the value yours{did_you_mean(str(key), known)}"
    )


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


def beat_label(good_direction: str) -> str:
    """What a Bayesian row's ``prob_beat_control`` (the chance the treatment is better
    than the control) is called: "P(beat control)" where higher is better, else
    "P(below control)", what better means there.

    >>> beat_label("increase"), beat_label("decrease")
    ('P(beat control)', 'P(below control)')
    """
    return "P(below control)" if good_direction == "decrease" else "P(beat control)"


DURATION_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "min": 60, "s": 1}
DURATION_PATTERN = r"^\s*(\d+(?:\.\d+)?)\s*(w|d|h|min|m|s)\s*$"
"""A positive number and a unit: ``7d``, ``2w``, ``36h``, ``30m``, ``90s``, ``1.5d``."""
_DURATION = re.compile(DURATION_PATTERN, re.IGNORECASE)


def spellings(canonical: tuple[str, ...], aliases: Mapping[str, str]) -> tuple[str, ...]:
    """Every accepted spelling: the canonical words, then their aliases (for CLI choices)."""
    return (*canonical, *aliases)


def _pick(name: str, value: object, canonical: tuple[str, ...], aliases: Mapping[str, str]) -> str:
    if isinstance(value, str):
        word = value.strip().lower()
        if word in canonical:
            return word
        if word in aliases:
            return aliases[word]
    said = ", ".join(map(repr, canonical))
    more = f" (or {', '.join(map(repr, aliases))})" if aliases else ""
    raise ValueError(f"{name}={value!r} is not one of {said}{more}")


def method(value: object, name: str = "method") -> str:
    """The canonical method, or a ValueError naming ``name``.

    >>> method("Bayesian")
    'bayesian'
    """
    return _pick(name, value, METHODS, {})


def correction(value: object, name: str = "correction") -> str:
    """The canonical correction (``"fdr_bh"`` is ``"bh"``), or a ValueError naming ``name``.

    >>> correction("fdr_bh"), correction("none")
    ('bh', 'none')
    """
    return _pick(name, value, CORRECTIONS, CORRECTION_ALIASES)


def alternative(value: object, name: str = "alternative") -> str:
    """The canonical alternative (scipy's ``"greater"`` is ``"larger"``).

    >>> alternative("greater"), alternative("two-sided")
    ('larger', 'two-sided')
    """
    return _pick(name, value, ALTERNATIVES, ALTERNATIVE_ALIASES)


def spending(value: object, name: str = "spending") -> str:
    """The canonical alpha-spending function."""
    return _pick(name, value, SPENDING, {})


#: The longest duration :func:`parse_duration` takes: 200000d passed and overflowed later,
#: where times are nanoseconds (pandas: about 292 years).
MAX_DURATION_DAYS = 3650


def parse_duration(text: str, name: str = "window") -> timedelta:
    """A duration in abtest's one grammar (:data:`DURATION_PATTERN`) as a ``timedelta``.

    >>> parse_duration("7d"), parse_duration("36h")
    (datetime.timedelta(days=7), datetime.timedelta(days=1, seconds=43200))
    >>> parse_duration("1.5d") == parse_duration("36h")
    True
    """
    found = _DURATION.match(text) if isinstance(text, str) else None
    if not found:
        raise ValueError(
            f"{name} = {text!r}: not a duration; write a number and a unit, e.g. 7d, 2w, "
            "36h, 30m or 90s"
        )
    seconds = float(found.group(1)) * DURATION_UNITS[found.group(2).lower()]
    if seconds > MAX_DURATION_DAYS * 86400:  # (99999999999d overflowed a timedelta)
        raise ValueError(
            f"{name} = {text!r}: longer than {MAX_DURATION_DAYS} days (10 years); an "
            "attribution window or duration is days or weeks, e.g. 7d or 8w"
        )
    out = timedelta(seconds=seconds)
    if out <= timedelta(0):
        raise ValueError(f"{name} = {text!r}: must be positive")
    return out
