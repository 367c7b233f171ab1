"""Experiment definitions for a website: GrowthBook's SDK shape, or abtest's own JSON.

``growthbook``: one object per running experiment in the shape a GrowthBook SDK's
``run(experiment)`` takes (GrowthBook ``packages/sdk-js/src/types/growthbook.ts``,
``Experiment``): ``key``, ``variations`` (the variant ids), ``weights``, ``coverage``,
``hashVersion``, ``seed``, ``hashAttribute``, ``meta`` (ids and names) and either
``namespace: [name, lo, hi]`` or, when the registry has a holdout, ``filters``: the SDK
ignores ``namespace`` when ``filters`` is set, so the holdout becomes the filter
``{seed, ranges: [[fraction, 1]], hashVersion}`` and the namespace the filter
``{seed: "__" + name, ranges: [[lo, hi]], hashVersion: 1}`` (the hash ``inNamespace``
uses). Evaluated by the SDK, every unit gets the variant :func:`abtest.assign` gives.

``json``: the same facts in the registry's words (ids, weights, the computed ranges).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from abtest.assignment.ranges import bucket_ranges

if TYPE_CHECKING:
    from abtest.registry.schema import Experiment

FORMATS = ("growthbook", "json")


def growthbook_experiment(exp: Experiment, hash_attribute: str = "id") -> dict[str, Any]:
    """One experiment as a GrowthBook SDK ``Experiment`` object."""
    a = exp.assignment
    out: dict[str, Any] = {
        "key": exp.id,
        "variations": [v.id for v in exp.variants],
        "weights": [v.weight for v in exp.variants],
        "coverage": exp.coverage,
        "hashVersion": a.hash_version,
        "seed": exp.seed,
        "hashAttribute": hash_attribute,
        "meta": [{"key": v.id, "name": v.name} for v in exp.variants],
        "name": exp.name,
    }
    filters = []
    holdout = exp.holdout
    if holdout is not None:
        filters.append(
            {
                "seed": holdout.seed,
                "ranges": [[holdout.fraction, 1]],
                "hashVersion": holdout.hash_version,
                "attribute": hash_attribute,
            }
        )
    if a.namespace is not None:
        lo, hi = a.namespace.range
        if filters:
            filters.append(
                {
                    "seed": "__" + a.namespace.name,
                    "ranges": [[lo, hi]],
                    "hashVersion": 1,
                    "attribute": hash_attribute,
                }
            )
        else:
            out["namespace"] = [a.namespace.name, lo, hi]
    if filters:
        out["filters"] = filters
    return out


def abtest_experiment(exp: Experiment) -> dict[str, Any]:
    """One experiment in the registry's own words, with its bucket ranges."""
    a = exp.assignment
    ranges = bucket_ranges(len(exp.variants), exp.coverage, [v.weight for v in exp.variants])
    ns = a.namespace
    return {
        "id": exp.id,
        "page": exp.page,
        "seed": exp.seed,
        "hash_version": a.hash_version,
        "coverage": exp.coverage,
        "namespace": None if ns is None else {"name": ns.name, "range": list(ns.range)},
        "variants": [
            {"id": v.id, "name": v.name, "weight": v.weight, "url": v.url, "range": list(r)}
            for v, r in zip(exp.variants, ranges, strict=True)
        ],
    }


def export(
    experiments: Iterable[Experiment], fmt: str = "growthbook", hash_attribute: str = "id"
) -> dict[str, Any]:
    """The running experiments' definitions, as one JSON-ready mapping."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    running = [e for e in experiments if e.status == "running"]
    if fmt == "growthbook":
        return {"experiments": [growthbook_experiment(e, hash_attribute) for e in running]}
    holdout = running[0].holdout if running else None
    return {
        "holdout": None if holdout is None else holdout.model_dump(),
        "experiments": [abtest_experiment(e) for e in running],
    }
