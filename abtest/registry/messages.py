"""Pydantic validation errors rewritten as messages that say what to fix.

``Input should be a valid number`` becomes
``variants[0].weight: expected a number, got '50%'; write 0.5 for 50%``, and an
extra key becomes ``variants[1]: unknown key 'wieght' — did you mean 'weight'?``.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from typing import Any

from pydantic import BaseModel

from abtest.registry.findings import did_you_mean, dotted
from abtest.registry.problems import Loc
from abtest.registry.schema import Experiment
from abtest.registry.schema_types import DURATION_PATTERN, SLUG_PATTERN

_EXPECTED = {
    "string_type": "text",
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "date_type": "a date like 2026-11-02",
    "date_parsing": "a date like 2026-11-02",
    "date_from_datetime_parsing": "a date like 2026-11-02",
    "date_from_datetime_inexact": "a date like 2026-11-02 (without a time)",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
}

_RATE_FIELDS = {"alpha", "power", "baseline", "prob_best", "weight", "traffic", "margin"}


def _field_type(annotation: Any) -> Any:
    """Strip Annotated and Optional from a field's annotation."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def model_at(loc: Loc, root: type[BaseModel] = Experiment) -> type[BaseModel] | None:
    """The model class that holds the keys at ``loc`` (``None`` if not a model).

    >>> model_at(("variants", 1)).__name__, model_at(("analysis",)).__name__
    ('Variant', 'AnalysisConfig')
    """
    current: Any = root
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            if not isinstance(part, str) or part not in current.model_fields:
                return None
            current = _field_type(current.model_fields[part].annotation)
        else:
            origin = typing.get_origin(current)
            args = typing.get_args(current)
            if origin in (tuple, list) and isinstance(part, int) and args:
                current = _field_type(args[0])
            elif origin is dict and isinstance(part, str) and len(args) == 2:
                current = _field_type(args[1])
            else:
                return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def describe(value: Any) -> str:
    """How a YAML value reads back to the user.

    >>> describe("half"), describe(True), describe(None), describe([1])
    ("'half'", 'true', 'nothing (an empty value)', 'a list')
    """
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return repr(shown)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if type(value).__name__ == "_Broken":  # a value the loader reported on its own line
        return "a value that could not be read (see the problem reported for it)"
    return type(value).__name__


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "my-id"


def _type_hint(expected: str, value: Any) -> str:
    if isinstance(value, str):
        s = value.strip()
        if expected in ("a number", "a whole number"):
            if re.fullmatch(r"-?[0-9.]+\s*%", s):
                return f"; write {float(s.rstrip('% ')) / 100:g} for {s}"
            if re.fullmatch(r"-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?", s):
                return f"; write numbers without thousands separators ({s.replace(',', '')})"
            try:
                float(s)
            except ValueError:
                return ""
            return "; remove the quotes"
        if expected == "true or false" and s.lower() in {"yes", "no", "on", "off", "y", "n"}:
            return f"; write {'true' if s.lower() in {'yes', 'on', 'y'} else 'false'}"
        if expected == "true or false" and s.lower() in {"true", "false"}:
            return "; remove the quotes"
    if expected == "text" and isinstance(value, int | float | bool | dt.date):
        return f"; quote it to keep it as text: '{describe(value)}'"
    if expected == "a whole number" and isinstance(value, float):
        return f"; write {round(value)}"
    return ""


def _pattern_message(field: str, value: Any, pattern: str) -> str:
    if pattern == SLUG_PATTERN:
        return (
            f"{describe(value)} is not a valid id: use lowercase letters, digits and "
            f"single '-' or '_' (e.g. '{_slugify(str(value))}')"
        )
    if pattern == DURATION_PATTERN:
        return f"{describe(value)} is not a duration: write e.g. 7d, 48h or 2w"
    if field == "currency":
        return f"{describe(value)} is not a currency code: use three capital letters, e.g. USD"
    return f"{describe(value)} does not match the pattern {pattern}"


def _bound_message(kind: str, field: str, value: Any, ctx: dict[str, Any]) -> str:
    bound = next(iter(ctx.values()))
    words = {
        "greater_than": "greater than",
        "greater_than_equal": "at least",
        "less_than": "less than",
        "less_than_equal": "at most",
    }[kind]
    msg = f"must be {words} {bound:g}, got {describe(value)}"
    if field in _RATE_FIELDS and kind.startswith("less") and isinstance(value, int | float):
        if 1 < value <= 100:
            msg += f"; rates are fractions: write {value / 100:g} for {value:g}%"
    return msg


def translate(error: dict[str, Any], root: type[BaseModel] = Experiment) -> tuple[Loc, str, str]:
    """``(loc of the line to point at, message, code)`` for one pydantic error of ``root``.

    >>> from pydantic import ValidationError
    >>> from abtest.registry.schema import Variant
    >>> try:
    ...     Variant.model_validate({"id": "b", "name": "B", "wieght": 0.5})
    ... except ValidationError as e:
    ...     for x in e.errors():
    ...         print(translate(x, root=Variant)[1])
    missing required key 'weight' (Share of the experiment's traffic; weights sum to 1.)
    unknown key 'wieght' — did you mean 'weight'?
    """
    kind: str = error["type"]
    loc: Loc = tuple(error["loc"])
    value = error.get("input")
    ctx: dict[str, Any] = error.get("ctx") or {}
    field = next((p for p in reversed(loc) if isinstance(p, str)), "")

    def at(where: Loc, text: str) -> str:
        prefix = dotted(where)
        return f"{prefix}: {text}" if prefix else text

    if kind == "extra_forbidden":
        parent, key = loc[:-1], str(loc[-1])
        model = model_at(parent, root)
        allowed = list(model.model_fields) if model else []
        hint = did_you_mean(key, allowed)
        if not hint and allowed:
            hint = f"; allowed keys: {', '.join(allowed)}"
        return loc, at(parent, f"unknown key '{key}'{hint}"), "unknown-key"
    if kind == "missing":
        parent, key = loc[:-1], str(loc[-1])
        model = model_at(parent, root)
        info = model.model_fields.get(key) if model else None
        about = f" ({info.description})" if info is not None and info.description else ""
        return parent, at(parent, f"missing required key '{key}'{about}"), "missing-key"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = did_you_mean(str(value), options) if isinstance(value, str) else ""
        text = f"{describe(value)} is not one of {', '.join(options)}{hint}"
        return loc, at(loc, text), "enum"
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        text = f"expected {expected}, got {describe(value)}{_type_hint(expected, value)}"
        return loc, at(loc, text), "type"
    if kind == "string_pattern_mismatch":
        return loc, at(loc, _pattern_message(field, value, str(ctx.get("pattern")))), "format"
    if kind == "string_too_short":
        return loc, at(loc, "must not be empty"), "value"
    if kind == "string_too_long":
        return loc, at(loc, f"is longer than {ctx.get('max_length')} characters"), "value"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return loc, at(loc, _bound_message(kind, field, value, ctx)), "value"
    if kind == "too_short":
        n, got = ctx.get("min_length"), ctx.get("actual_length")
        if loc == ("variants",):
            text = f"needs at least 2 variants (a control and a treatment), got {got}"
        else:
            text = f"needs at least {n} entr{'y' if n == 1 else 'ies'}, got {got}"
        return loc, at(loc, text), "value"
    if kind == "too_long":
        return (
            loc,
            at(
                loc,
                f"has too many entries ({ctx.get('actual_length')}); "
                f"at most {ctx.get('max_length')}",
            ),
            "value",
        )
    if kind == "finite_number":
        return loc, at(loc, f"must be a finite number, got {describe(value)}"), "value"
    text = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return loc, at(loc, f"{text} (got {describe(value)})"), "value"


def translate_all(
    errors: list[dict[str, Any]], root: type[BaseModel] = Experiment
) -> list[tuple[Loc, Loc, str, str]]:
    """Translate a ValidationError's errors, minus the ones that only echo another.

    Returns ``(error loc, loc to point at, message, code)``. Dropped: a missing
    key that an unknown key nearby is a typo of (``wieght`` for ``weight``), and
    a "too few items" complaint about a list whose items themselves have errors.
    """
    locs = [tuple(e["loc"]) for e in errors]
    typos = set()
    for e, loc in zip(errors, locs, strict=True):
        if e["type"] == "extra_forbidden":
            model = model_at(loc[:-1], root)
            if model is not None:
                hint = did_you_mean(str(loc[-1]), list(model.model_fields))
                if hint:
                    typos.add((*loc[:-1], hint.split("'")[1]))
    out = []
    for e, loc in zip(errors, locs, strict=True):
        if e["type"] == "missing" and loc in typos:
            continue
        if e["type"] == "too_short" and any(
            len(other) > len(loc) and other[: len(loc)] == loc for other in locs
        ):
            continue
        point, message, code = translate(e, root)
        out.append((loc, point, message, code))
    return out


def misplaced_key(loc: Loc, above: str | None, root: type[BaseModel] = Experiment) -> str | None:
    """The message for an unknown key at ``loc`` that is out of its block: a key of the
    block just above it (``above`` is the key before it in the same mapping), dedented out
    of the end of that block, or a key of the enclosing mapping, indented into this one.
    ``None`` when it belongs to neither.

    >>> print(misplaced_key(("expected_daily_units",), "analysis"))
    unknown key 'expected_daily_units' here; it is a key of 'analysis' above it: \
indent it like the other keys of 'analysis'
    >>> print(misplaced_key(("kind",), "goals"))
    unknown key 'kind' here; it is a key of the last item of 'goals' above it: \
indent it like the other keys of that item
    >>> print(misplaced_key(("analysis", "data"), "mde"))
    analysis: unknown key 'data' here; it is a key of the mapping that holds 'analysis': \
indent it like 'analysis'
    >>> misplaced_key(("colour",), "analysis") is None
    True
    """
    if not loc:
        return None
    parent, key = loc[:-1], str(loc[-1])
    prefix = f"{dotted(parent)}: " if parent else ""
    # the block above, read where it is or (when it was itself pushed in) one level up
    for block in [(*parent, above), (*parent[:-1], above)] if above is not None else []:
        model = model_at(block, root)
        if model is not None and key in model.model_fields:
            where = f"'{dotted(block)}'"
            return (
                f"{prefix}unknown key '{key}' here; it is a key of {where} above it: "
                f"indent it like the other keys of {where}"
            )
        model = model_at((*block, 0), root)
        if model is not None and key in model.model_fields and block == (*parent, above):
            return (
                f"{prefix}unknown key '{key}' here; it is a key of the last item of "
                f"'{dotted(block)}' above it: indent it like the other keys of that item"
            )
    if parent and isinstance(parent[-1], str):
        outer = model_at(parent[:-1], root)
        if outer is not None and key in outer.model_fields:
            return (
                f"{prefix}unknown key '{key}' here; it is a key of the mapping that holds "
                f"'{dotted(parent)}': indent it like '{parent[-1]}'"
            )
    return None
