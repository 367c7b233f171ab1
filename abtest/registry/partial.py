"""The cross-field rules on the parts of an experiment file that parsed, when others did
not (so that a user learns of every independent problem in one run)."""

from __future__ import annotations

from typing import Annotated, Any

from abtest.registry import checks
from abtest.registry.checks import Finding
from abtest.registry.schema import FINDINGS, Experiment


def partial_findings(raw: dict[str, Any]) -> list[Finding]:
    """The cross-field rules on the parts of a file that parsed, for a file whose schema
    validation failed (so that the model's own rule pass never ran): each top-level field
    is validated on its own, and the rules of :func:`abtest.registry.checks.partial_findings`
    run on the fields that passed. When the variants themselves did not parse (a typo in
    one of them), their weights are still summed if each is a number."""
    from types import SimpleNamespace

    from pydantic import TypeAdapter, ValidationError

    parsed: dict[str, Any] = {}
    context = {FINDINGS: []}  # sub-model findings: the main validation reported them
    for name, field in Experiment.model_fields.items():
        if name in raw:
            kind = field.annotation
            adapter = TypeAdapter(Annotated[(kind, *field.metadata)] if field.metadata else kind)
            try:
                parsed[name] = adapter.validate_python(raw[name], context=context)
            except ValidationError:
                continue
        elif not field.is_required():
            parsed[name] = field.get_default(call_default_factory=True)
    out = checks.partial_findings(SimpleNamespace(**parsed), set(parsed))
    variants = raw.get("variants")
    if "variants" not in parsed and isinstance(variants, list | tuple) and variants:
        weights = [v.get("weight") if isinstance(v, dict) else None for v in variants]
        # only weights that are valid on their own: a sum with a bad one is no news
        if all(
            isinstance(w, int | float) and not isinstance(w, bool) and 0 < w <= 1 for w in weights
        ):
            out += checks.weight_findings(weights)
    return out
