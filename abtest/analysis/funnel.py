"""Lead quality: did the extra leads become customers?

Two views of a funnel ``visitor -> lead -> ... -> customer`` (design ``funnel``):

- **Step rates** (descriptive): for each step after a goal, the share of the units at
  the step before that reach it (customers per lead), per variant, with the
  delta-method interval of a ratio of per-unit sums (:func:`abtest.stats.ratio_test`,
  Deng, Knoblich & Lu 2018), and the treatment's relative change with its test. They
  condition on a step the variant itself changed (a form that brings more, weaker leads
  lowers customers per lead by design), so they are **not** a causal comparison. The
  funnel is read as nested (a unit at a step has passed the step before, as the funnel
  says), so the per-unit products are ``sum_xy = sum_y``.
- **Per exposed unit** (causal): each step's rate over all exposed units, with the
  analysis's own interval and corrected test (the results table's rows), side by side.

:func:`lead_quality_note` is the decision's warning **"more leads, not more
customers"**: the primary goal is significantly up for a treatment, but the funnel's
last step (the outcome that pays) per exposed unit is not significantly up, or is down.
"""

from __future__ import annotations

import itertools

import pandas as pd

from abtest import formatting as fmt
from abtest.analysis.metrics import MetricSums
from abtest.design import Design
from abtest.stats.ratio import ratio_test
from abtest.stats.sums import CovariateSums

COLUMNS = (
    "step", "from_step", "variant", "units_from", "units_to", "step_rate", "step_low",
    "step_high", "lift", "lift_low", "lift_high", "p_value", "per_exposed_lift",
    "per_exposed_low", "per_exposed_high", "per_exposed_p", "per_exposed_significant",
)  # fmt: skip


def lead_quality(
    design: Design, data: dict[str, MetricSums], results: pd.DataFrame, alpha: float
) -> pd.DataFrame | None:
    """Step rates with intervals beside the per-exposed-unit comparison (``COLUMNS``);
    None without a funnel of at least two goal steps."""
    steps = [s for s in design.funnel if s in data and data[s].kind == "binary"]
    if len(steps) < 2:
        return None
    rows = []
    for prev, step in itertools.pairwise(steps):
        x, y = data[prev].sums, data[step].sums
        n = x.n
        arm = [CovariateSums(n[j], y.sum[j], y.sum[j], x.sum[j], x.sum[j], y.sum[j])
               for j in range(len(design.variants))]  # fmt: skip
        for j, v in enumerate(design.variants):
            row = {"step": step, "from_step": prev, "variant": v,
                   "units_from": int(x.sum[j]), "units_to": int(y.sum[j])}  # fmt: skip
            row |= _step_rate(arm[0], arm[j], j, alpha)
            row |= _per_exposed(results, step, v)
            rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _step_rate(control: CovariateSums, arm: CovariateSums, j: int, alpha: float) -> dict:
    nan = float("nan")
    if float(arm.sum_x) <= 0:
        return dict(step_rate=nan, step_low=nan, step_high=nan, lift=nan, lift_low=nan,
                    lift_high=nan, p_value=nan)  # fmt: skip
    if j == 0 or float(control.sum_x) <= 0:
        r = ratio_test(arm, arm, alpha=alpha)  # the arm's own ratio and its se
        lift = dict(lift=nan, lift_low=nan, lift_high=nan, p_value=nan)
    else:
        r = ratio_test(control, arm, alpha=alpha)
        lift = dict(lift=float(r.lift), lift_low=float(r.lift_ci[0]),
                    lift_high=float(r.lift_ci[1]), p_value=float(r.p_value))  # fmt: skip
    from scipy import stats

    z = stats.norm.ppf(1 - alpha / 2)
    rate, se = float(r.mean_b), float(r.se_b)
    return dict(step_rate=rate, step_low=max(rate - z * se, 0.0),
                step_high=min(rate + z * se, 1.0), **lift)  # fmt: skip


def _per_exposed(results: pd.DataFrame, step: str, variant: str) -> dict:
    hit = results[(results["metric"] == step) & (results["variant"] == variant)]
    if hit.empty or bool(hit["is_control"].iloc[0]):
        nan = float("nan")
        return dict(per_exposed_lift=nan, per_exposed_low=nan, per_exposed_high=nan,
                    per_exposed_p=nan, per_exposed_significant=False)  # fmt: skip
    r = hit.iloc[0]
    p = r["p_adjusted"] if "p_adjusted" in hit.columns else r["p_value"]
    return dict(per_exposed_lift=float(r["lift"]), per_exposed_low=float(r["lift_low"]),
                per_exposed_high=float(r["lift_high"]), per_exposed_p=float(p),
                per_exposed_significant=bool(r["significant"]))  # fmt: skip


def lead_quality_note(design: Design, results: pd.DataFrame) -> str | None:
    """ "more leads, not more customers: ..." when a treatment is significantly up on the
    primary goal but the funnel's last step per exposed unit is not (module docstring)."""
    steps = [s for s in design.funnel if s in set(results["metric"])]
    if design.primary not in steps or steps[-1] == design.primary:
        return None
    last = steps[-1]
    sign = -1.0 if design.alternative == "smaller" else 1.0
    treat = results[~results["is_control"].astype(bool)]
    winners = treat[(treat["metric"] == design.primary) & treat["significant"]
                    & (sign * treat["diff"] > 0)]  # fmt: skip
    for variant in winners["variant"]:
        down = treat[(treat["metric"] == last) & (treat["variant"] == variant)]
        if down.empty:
            continue
        r = down.iloc[0]
        if bool(r["significant"]) and r["diff"] > 0:
            continue
        lead = winners[winners["variant"] == variant].iloc[0]
        verdict = "down" if bool(r["significant"]) else "not significantly up"
        return (
            f"more leads, not more customers: {variant} lifts {design.primary} "
            f"{fmt.pct(lead['lift'], signed=True)} but {last} per exposed unit is {verdict} "
            f"({fmt.pct(r['lift'], signed=True)} {fmt.interval(r['lift_low'], r['lift_high'])})"
        )
    return None
