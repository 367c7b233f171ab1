"""The rules of an experiment's ``spend``: amounts per variant name its variants; amounts
per traffic source (``spend.per_source``) need the source among ``data.segments``.

Like every rule of :mod:`abtest.registry.checks` (which runs these), each returns
findings located at the key to fix (the loader turns them into ``FILE:LINE: message``).
"""

from __future__ import annotations

from typing import Any

from abtest.design import source_column
from abtest.registry.findings import Finding, did_you_mean


def spend_findings(exp: Any) -> list[Finding]:
    """All the spend rules (:func:`spend_variant_findings`, :func:`spend_source_findings`)."""
    return [*spend_variant_findings(exp), *spend_source_findings(exp)]


def spend_variant_findings(exp: Any) -> list[Finding]:
    """Spend per variant names variants of the experiment."""
    if exp.spend is None or exp.spend.per_variant is None:
        return []
    variant_ids = [v.id for v in exp.variants]
    return [
        Finding(
            ("spend", "per_variant", name),
            f"'{name}' is not a variant of this experiment "
            f"({', '.join(variant_ids)})" + did_you_mean(name, variant_ids),
            "spend",
        )
        for name in exp.spend.per_variant
        if name not in variant_ids
    ]


def spend_source_findings(exp: Any) -> list[Finding]:
    """Spend is given per variant or per source, not both; per source, the source is a
    segment column of ``data.segments`` (``spend.source_column``, else ``source``, else
    the only one), whose values the amounts are keyed by (those are checked against the
    data when it is analysed)."""
    spend = exp.spend
    if spend is None:
        return []
    if spend.per_variant is None and spend.per_source is None:
        return [
            Finding(
                ("spend",),
                "no amounts: add per_variant (variant id -> amount) or per_source (traffic "
                "source -> amount, shared across the variants by their units from it)",
                "spend",
            )
        ]
    if spend.per_source is None:
        if spend.source_column is None:
            return []
        return [
            Finding(
                ("spend", "source_column"),
                "applies to spend per source: give per_source (source -> amount) or remove it",
                "spend",
            )
        ]
    if spend.per_variant is not None:
        return [
            Finding(
                ("spend", "per_source"),
                "give spend per_variant or per_source, not both: spend per source is shared "
                "across the variants by the units each got from it, which makes the spend "
                "per variant; remove per_variant",
                "spend",
            )
        ]
    segments = list(exp.data.segments) if exp.data is not None else []
    column = spend.source_column
    if source_column(segments, column) is not None:  # the analysis's own reading
        return []
    if not segments:
        return [
            Finding(
                ("spend", "per_source"),
                "spend per source needs each unit's source from the exposures: add "
                f"'data.segments: [{column or 'source'}]' (the exposure column holding it)",
                "spend-source",
            )
        ]
    if column is not None and column not in segments:
        return [
            Finding(
                ("spend", "source_column"),
                f"'{column}' is not one of data.segments ({', '.join(segments)}); add it "
                "there or fix the name" + did_you_mean(column, segments),
                "spend-source",
            )
        ]
    return [
        Finding(
            ("spend", "per_source"),
            f"which of data.segments ({', '.join(segments)}) holds the source? say it "
            f"with 'source_column: {segments[0]}' (for example) under spend",
            "spend-source",
        )
    ]
