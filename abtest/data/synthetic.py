"""Seeded synthetic traffic: exposures and conversions with known true rates.

Used by the demo, the notebooks, the tests and the benchmark. Everything is
vectorized numpy (about 1 s per million units); nothing here reads the
registry: describe the experiments with plain dicts or the dataclasses below.

What the generator simulates, per unit:

- one to ``experiments_per_unit`` experiments (chosen by their ``traffic``
  weight), a variant per experiment drawn from the variant weights, a first
  exposure uniformly over ``days`` days and repeat exposures after it (a
  Poisson number with mean ``repeat_exposures``);
- dimension columns ``device``, ``source`` (google / facebook / email /
  direct) and ``country``, fixed per unit;
- contamination: a share ``contamination`` of (unit, experiment) pairs gets
  one later exposure to a *different* variant (those units are excluded by
  :func:`abtest.summarize`);
- per goal, with the true probability ``rates[variant]``, a first conversion
  inside ``window`` after the first exposure, plus repeat events inside the
  window (Poisson, mean ``repeat_conversions``); value goals carry a
  ``value`` per event (log-normal, mean ``values[variant]`` scaled by the
  unit's latent engagement, mean 1);
- late conversions (after the window, share ``late`` of the true rate, so
  they never count under the default 7-day window) and conversions before
  exposure (share ``pre_exposure`` of units, never counted);
- an optional pre-period covariate per unit (``covariate=True``), correlated
  with the unit's revenue through the latent engagement.

With ``experiments_per_unit=1`` (the default) the in-window conversion rate of
a goal in a variant is exactly ``rates[variant]`` in expectation, and the mean
value per exposed unit is ``rates[variant] * (1 + repeat_conversions) *
values[variant]``. When a unit sits in several experiments that share a goal
event, its events count in each, so observed rates exceed the given ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

DEVICES = ("desktop", "mobile", "tablet")
DEVICE_WEIGHTS = (0.45, 0.45, 0.10)
SOURCES = ("google", "facebook", "email", "direct")
SOURCE_WEIGHTS = (0.40, 0.25, 0.15, 0.20)
COUNTRIES = ("US", "GB", "DE", "FR", "IN", "BR")
COUNTRY_WEIGHTS = (0.40, 0.15, 0.15, 0.10, 0.12, 0.08)

_DAY_US = 86_400_000_000


@dataclass(frozen=True)
class GoalSpec:
    """A goal's true behaviour per variant.

    ``rates[variant]`` is the probability that an exposed unit converts within
    the window; ``values[variant]`` (value goals only) is the mean value of one
    event, e.g. revenue per purchase; ``delay[variant]`` (default 1) stretches the
    time to the first conversion: it is ``window * U ** (1.5 / delay)`` for a uniform
    ``U``, so a delay of 2 moves the mean from 0.40 to 0.57 of the window without
    changing the rate. ``after`` (a funnel step): the event of an earlier goal of the
    experiment; only units that converted on it convert on this one (with probability
    ``rates[v] / rates_after[v]``, so ``rates`` stay the rates per exposed unit), at a
    time between that conversion and the window's end, and none before exposure, so
    the steps nest as a funnel's do (customers are among the SQLs).
    """

    event: str
    rates: Mapping[str, float]
    values: Mapping[str, float] | None = None
    delay: Mapping[str, float] | None = None
    after: str | None = None


@dataclass(frozen=True)
class ExperimentSpec:
    """One experiment: variant weights (any positive numbers) and goals."""

    id: str
    variants: Mapping[str, float]
    goals: Sequence[GoalSpec] = field(default_factory=tuple)
    traffic: float = 1.0


class Traffic(NamedTuple):
    """What :func:`generate_traffic` returns: ``exposures, conversions, covariate``
    (``covariate`` is None unless asked for); unpacks like a tuple."""

    exposures: pd.DataFrame
    conversions: pd.DataFrame
    covariate: pd.DataFrame | None = None


def as_spec(spec: ExperimentSpec | Mapping[str, Any]) -> ExperimentSpec:
    """An :class:`ExperimentSpec` from itself or a plain dict.

    The dict form is ``{"id": ..., "variants": {id: weight} or [ids],
    "goals": [{"event": ..., "rates": {variant: p}, "values": {variant: mean}}],
    "traffic": 1.0}``.

    Examples
    --------
    >>> as_spec({"id": "cta", "variants": ["a", "b"],
    ...          "goals": [{"event": "click", "rates": {"a": 0.1, "b": 0.12}}]}).variants
    {'a': 1.0, 'b': 1.0}
    """
    if isinstance(spec, ExperimentSpec):
        exp = spec
    elif isinstance(spec, Mapping):
        unknown = set(spec) - {"id", "variants", "goals", "traffic"}
        if unknown:
            raise ValueError(
                f"experiment spec {spec.get('id')!r}: unknown key(s) {sorted(unknown)}; "
                "expected id, variants, goals, traffic"
            )
        if "id" not in spec or "variants" not in spec:
            raise ValueError(f"experiment spec {spec!r} needs at least 'id' and 'variants'")
        variants = spec["variants"]
        if not isinstance(variants, Mapping):
            variants = dict.fromkeys(variants, 1.0)
        goals = []
        for g in spec.get("goals", ()):
            if isinstance(g, GoalSpec):
                goals.append(g)
            else:
                extra = (g.get("values"), g.get("delay"), g.get("after"))
                goals.append(GoalSpec(g["event"], dict(g["rates"]), *extra))
        exp = ExperimentSpec(
            str(spec["id"]), dict(variants), tuple(goals), float(spec.get("traffic", 1.0))
        )
    else:
        raise TypeError(f"experiment spec must be an ExperimentSpec or a dict, not {spec!r}")
    weights = {str(k): float(v) for k, v in exp.variants.items()}
    if len(weights) < 1 or any(not w > 0 for w in weights.values()):
        raise ValueError(f"experiment {exp.id!r}: variant weights must be positive: {weights}")
    for g in exp.goals:
        missing = set(weights) - set(g.rates)
        if missing:
            raise ValueError(
                f"experiment {exp.id!r}, goal {g.event!r}: no rate for variant(s) {sorted(missing)}"
            )
        bad = {v: p for v, p in g.rates.items() if not 0 <= p <= 1}
        if bad:
            raise ValueError(
                f"experiment {exp.id!r}, goal {g.event!r}: rates must lie in [0, 1]: {bad}"
            )
        if g.values is not None and set(weights) - set(g.values):
            raise ValueError(
                f"experiment {exp.id!r}, goal {g.event!r}: values must give a mean per "
                f"variant ({sorted(weights)})"
            )
    return ExperimentSpec(exp.id, weights, tuple(exp.goals), exp.traffic)


def generate_traffic(
    experiments: Sequence[ExperimentSpec | Mapping[str, Any]],
    *,
    units: int,
    days: int = 14,
    seed: int | Sequence[int] = 0,
    start: str | pd.Timestamp = "2024-01-01",
    window_days: float = 7.0,
    experiments_per_unit: int | tuple[int, int] = 1,
    repeat_exposures: float = 0.5,
    contamination: float = 0.005,
    repeat_conversions: float = 0.2,
    late: float = 0.1,
    pre_exposure: float = 0.01,
    covariate: bool = False,
    first_unit: int = 0,
    assign: Mapping[str, Callable[[np.ndarray], np.ndarray]] | None = None,
) -> Traffic:
    """Seeded synthetic exposure and conversion logs with known true rates.

    Parameters
    ----------
    experiments : sequence of ExperimentSpec or dict
        Variant weights and per-goal true rates (see :func:`as_spec`).
    units : int
        Number of units (visitors); ids run from ``first_unit``.
    days : int
        Length of the enrolment period; first exposures are uniform over it.
    seed : int or sequence of int
        Seed of the ``numpy.random.Generator``; the same seed gives the same logs.
    start : str or Timestamp
        The first day (timestamps are naive, read as UTC).
    window_days : float
        The attribution window the true rates refer to.
    experiments_per_unit : int or (low, high)
        How many experiments each unit enters (uniform between low and high).
    repeat_exposures, repeat_conversions : float
        Mean number of extra exposure / conversion events per unit (Poisson).
    contamination : float
        Share of (unit, experiment) pairs also exposed later to another variant.
    late : float
        Late conversions (after the window) as a share of the true rate.
    pre_exposure : float
        Share of units with a goal event before their first exposure.
    covariate : bool
        Also return a pre-period covariate per unit (``unit_id, value``).
    first_unit : int
        The first unit id (to generate large logs in chunks).
    assign : mapping, optional
        Experiment id -> a function of the unit ids (int64 array) giving each unit's
        variant as an index into the spec's variants, or -1 when the unit is not in the
        experiment; e.g. :func:`abtest.assignment.variant_index` on a registry
        experiment. Then the assignment decides, as a site serving the registry would:
        units it leaves out are never exposed, the others get its variant (the weights'
        random draw is not used). Injected faults (contamination) stay.

    Returns
    -------
    Traffic
        ``exposures`` (``unit_id, experiment, variant, timestamp, device,
        source, country``), ``conversions`` (``unit_id, event, timestamp,
        value``; value is NaN for binary goals) and ``covariate`` or None.

    Examples
    --------
    >>> spec = {"id": "hero", "variants": {"control": 1, "b": 1},
    ...         "goals": [{"event": "signup", "rates": {"control": 0.10, "b": 0.12}}]}
    >>> exposures, conversions, _ = generate_traffic([spec], units=1000, seed=1)
    >>> sorted(exposures.columns)
    ['country', 'device', 'experiment', 'source', 'timestamp', 'unit_id', 'variant']
    >>> exposures["unit_id"].nunique()
    1000
    """
    specs = [as_spec(s) for s in experiments]
    if not specs:
        raise ValueError("give at least one experiment spec")
    ids = [s.id for s in specs]
    if len(set(ids)) != len(ids):
        raise ValueError(f"experiment ids must be unique: {ids}")
    if units < 1:
        raise ValueError(f"units = {units}: need at least one unit")
    lo, hi = (
        (experiments_per_unit, experiments_per_unit)
        if isinstance(experiments_per_unit, int)
        else experiments_per_unit
    )
    if not 1 <= lo <= hi <= len(specs):
        raise ValueError(
            f"experiments_per_unit = {experiments_per_unit!r}: must lie between 1 and the "
            f"number of experiments ({len(specs)})"
        )
    rng = np.random.default_rng(seed)
    t0 = np.datetime64(pd.Timestamp(start).tz_localize(None).to_datetime64(), "us").astype(np.int64)
    window_us = int(window_days * _DAY_US)

    # -- units ----------------------------------------------------------------------------
    unit = np.arange(first_unit, first_unit + units, dtype=np.int64)
    engagement = rng.gamma(2.0, 0.5, units)  # mean 1: scales values and the covariate
    device = rng.choice(len(DEVICES), units, p=DEVICE_WEIGHTS).astype(np.int8)
    source = rng.choice(len(SOURCES), units, p=SOURCE_WEIGHTS).astype(np.int8)
    country = rng.choice(len(COUNTRIES), units, p=COUNTRY_WEIGHTS).astype(np.int8)

    # -- which experiments each unit enters (Gumbel top-k on the traffic weights) ---------
    k = rng.integers(lo, hi + 1, units)
    traffic = np.array([s.traffic for s in specs], dtype=float)
    keys = np.log(traffic)[None, :] + rng.gumbel(size=(units, len(specs)))
    order = np.argsort(-keys, axis=1)
    take = np.arange(len(specs))[None, :] < k[:, None]
    pair_unit = np.repeat(np.arange(units), k)
    pair_exp = order[take].astype(np.int16)  # row-major: matches pair_unit
    del keys, order, take

    # -- variant and first exposure per (unit, experiment) -----------------------------------
    n_pairs = len(pair_unit)
    variant = np.empty(n_pairs, dtype=np.int16)
    u = rng.random(n_pairs)
    for j, s in enumerate(specs):
        rows = pair_exp == j
        cum = np.cumsum(list(s.variants.values()))
        variant[rows] = np.searchsorted(cum / cum[-1], u[rows], side="right")
    if assign:
        keep = np.ones(n_pairs, dtype=bool)
        for j, s in enumerate(specs):
            if s.id not in assign:
                continue
            rows = np.flatnonzero(pair_exp == j)
            index = np.asarray(assign[s.id](unit[pair_unit[rows]]), dtype=np.int64)
            variant[rows] = np.maximum(index, 0)
            keep[rows] = index >= 0
        pair_unit, pair_exp, variant = pair_unit[keep], pair_exp[keep], variant[keep]
        n_pairs = len(pair_unit)
    first = t0 + rng.integers(0, days * _DAY_US, n_pairs)

    # repeat exposures (same variant) and contamination (another variant, later)
    extra = rng.poisson(repeat_exposures, n_pairs)
    rep_idx = np.repeat(np.arange(n_pairs), extra)
    rep_time = first[rep_idx] + rng.integers(1, 3 * _DAY_US, len(rep_idx))
    n_variants = np.array([len(s.variants) for s in specs])
    contaminated = np.flatnonzero(
        (rng.random(n_pairs) < contamination) & (n_variants[pair_exp] > 1)
    )
    shift = rng.integers(1, np.maximum(n_variants[pair_exp[contaminated]], 2))
    other = (variant[contaminated] + shift) % n_variants[pair_exp[contaminated]]
    con_time = first[contaminated] + rng.integers(60_000_000, 2 * _DAY_US, len(contaminated))

    exp_rows = np.concatenate([np.arange(n_pairs), rep_idx, contaminated])
    exp_variant = np.concatenate([variant, variant[rep_idx], other])
    exp_time = np.concatenate([first, rep_time, con_time])
    order = np.argsort(exp_time, kind="stable")
    exp_rows, exp_variant, exp_time = exp_rows[order], exp_variant[order], exp_time[order]
    exp_unit = pair_unit[exp_rows]
    exposures = pd.DataFrame(
        {
            "unit_id": unit[exp_unit],
            "experiment": _labels(ids, pair_exp[exp_rows]),
            "variant": _variant_labels(specs, pair_exp[exp_rows], exp_variant),
            "timestamp": exp_time.astype("datetime64[us]"),
            "device": _labels(DEVICES, device[exp_unit]),
            "source": _labels(SOURCES, source[exp_unit]),
            "country": _labels(COUNTRIES, country[exp_unit]),
        }
    )

    # -- conversions -------------------------------------------------------------------------
    events = sorted({g.event for s in specs for g in s.goals})
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for j, s in enumerate(specs):
        rows = np.flatnonzero(pair_exp == j)
        vnames = list(s.variants)
        reached: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for g in s.goals:
            true = np.array([g.rates[v] for v in vnames])  # per variant
            rate = true[variant[rows]]
            mean = (
                None if g.values is None else np.array([g.values[v] for v in vnames])[variant[rows]]
            )
            e = events.index(g.event)
            power = 1.5 / np.array([(g.delay or {}).get(v, 1.0) for v in vnames])
            if g.after is None:
                # first in-window conversion, then repeats inside the window
                conv = rows[rng.random(len(rows)) < rate]
                since, room0 = first[conv], np.full(len(conv), window_us)
            else:  # among the units that reached the earlier step, after it
                if g.after not in reached:
                    raise ValueError(
                        f"experiment {s.id!r}: goal {g.event!r} comes after {g.after!r}, "
                        "which is not an earlier goal of it"
                    )
                prev, t_prev, r_prev = reached[g.after]
                step = true / np.maximum(r_prev, 1e-300)
                if np.any(step > 1 + 1e-12):
                    raise ValueError(
                        f"experiment {s.id!r}: goal {g.event!r} comes after {g.after!r} but "
                        "converts more units in some variant; a funnel step's rate is at most "
                        "its earlier step's"
                    )
                conv = prev[rng.random(len(prev)) < step[variant[prev]]]
                since = t_prev[np.searchsorted(prev, conv)]
                room0 = np.maximum(first[conv] + window_us - since, 0)
            shape = power[variant[conv]] if g.delay else 1.5
            t_first = since + (rng.random(len(conv)) ** shape * room0).astype(np.int64)
            reached[g.event] = (conv, t_first, true)
            n_rep = rng.poisson(repeat_conversions, len(conv))
            rep = np.repeat(np.arange(len(conv)), n_rep)
            room = first[conv][rep] + window_us - t_first[rep]
            t_rep = t_first[rep] + (rng.random(len(rep)) * room).astype(np.int64)
            # late conversions (after the window) and events before exposure
            late_rows = rows[rng.random(len(rows)) < rate * late]
            if g.after is not None:  # a funnel step: late only among the earlier step's
                late_rows = late_rows[np.isin(late_rows, reached[g.after][0])]
            t_late = first[late_rows] + window_us + rng.integers(0, window_us, len(late_rows))
            pre_rows = rows[rng.random(len(rows)) < (pre_exposure if g.after is None else 0.0)]
            t_pre = first[pre_rows] - rng.integers(1, 3 * _DAY_US, len(pre_rows))
            who = np.concatenate([conv, conv[rep], late_rows, pre_rows])
            when = np.concatenate([t_first, t_rep, t_late, t_pre])
            if mean is None:
                value = np.full(len(who), np.nan)
            else:
                m = np.concatenate(
                    [mean[np.searchsorted(rows, x)] for x in (conv, conv[rep], late_rows, pre_rows)]
                )
                sigma = 0.6
                noise = rng.lognormal(-(sigma**2) / 2, sigma, len(who))
                value = np.round(m * engagement[pair_unit[who]] * noise, 2)
            parts.append((pair_unit[who], np.full(len(who), e, np.int16), when, value))
    if parts:
        c_unit, c_event, c_time, c_value = (np.concatenate(x) for x in zip(*parts, strict=True))
    else:
        c_unit = c_time = np.array([], dtype=np.int64)
        c_event = np.array([], dtype=np.int16)
        c_value = np.array([], dtype=float)
    order = np.argsort(c_time, kind="stable")
    conversions = pd.DataFrame(
        {
            "unit_id": unit[c_unit[order]],
            "event": _labels(events, c_event[order]),
            "timestamp": c_time[order].astype(np.int64).astype("datetime64[us]"),
            "value": c_value[order],
        }
    )

    cov = None
    if covariate:
        x = np.round(30.0 * engagement * rng.lognormal(-0.125, 0.5, units), 2)
        cov = pd.DataFrame({"unit_id": unit, "value": x})
    return Traffic(exposures, conversions, cov)


def _labels(names: Sequence[str], codes: np.ndarray) -> pd.Series:
    """Strings from integer codes, built as an Arrow dictionary then decoded (fast)."""
    dictionary = pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32)), pa.array(list(names), pa.string())
    )
    return pd.Series(dictionary.dictionary_decode().to_pandas(types_mapper=pd.ArrowDtype))


def _variant_labels(
    specs: Sequence[ExperimentSpec], exp_codes: np.ndarray, var_codes: np.ndarray
) -> pd.Series:
    names = [v for s in specs for v in s.variants]
    offsets = np.cumsum([0] + [len(s.variants) for s in specs[:-1]])
    return _labels(names, offsets[exp_codes] + var_codes)
