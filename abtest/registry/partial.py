"""The rules on the parts of an experiment file that parsed, when others did not (so
that a user learns of every independent problem in one run, #14 item 9).

A file with a schema error never becomes an :class:`~abtest.registry.schema.Experiment`,
so the model's own rule pass does not run. Here each field is validated on its own,
and a field that fails is salvaged one level down: a variant, goal or guardrail with a
typo still lends its other keys, an ``analysis`` block with an unknown key still lends
its ``method``. What did not validate is *unread*: a rule that reads it raises
:class:`Unread` and says nothing, because its verdict would be a guess. A key that is
absent next to an unknown key it may be a typo of (``methd`` for ``method``) is unread
too, not its default, so a typo is never followed by a rule's complaint about the
default value.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from abtest.registry import checks, goal_rules, lint
from abtest.registry.findings import Finding, did_you_mean
from abtest.registry.schema import Experiment
from abtest.registry.schema_types import _CONFIG, FINDINGS


class Unread(Exception):
    """A rule read a value that did not validate."""


class Partial:
    """The fields of one model that validated on their own.

    Reading a field that did not validate raises :class:`Unread`; the model's
    properties (``signed_mde``, ``control``, ``weights``...) work on what did.

    >>> from abtest.registry.schema import AnalysisConfig
    >>> a = Partial(AnalysisConfig, {"mde": 0.1, "alternative": "smaller"})
    >>> a.mde, a.signed_mde
    (0.1, -0.1)
    >>> a.method
    Traceback (most recent call last):
    ...
    abtest.registry.partial.Unread: method
    """

    __slots__ = ("_model", "_values", "model_fields_set")

    def __init__(
        self, model: type[BaseModel], values: dict[str, Any], given: set[str] | None = None
    ) -> None:
        self._model = model
        self._values = values
        self.model_fields_set = set(values) if given is None else given
        """The fields written in the file (as pydantic's ``model_fields_set``)."""

    def __getattr__(self, name: str) -> Any:
        values = self._values
        if name in values:
            return values[name]
        attr = getattr(self._model, name, None)
        if isinstance(attr, property) and attr.fget is not None:
            return attr.fget(self)
        raise Unread(name)

    def __repr__(self) -> str:
        return f"Partial({self._model.__name__}, {sorted(self._values)})"


_UNREAD: Any = object()


def _quiet() -> dict[str, list[Finding]]:
    """A validation context whose rule findings are dropped (the main validation, or this
    module's own pass, reports them); a fresh list each time, so nothing accumulates."""
    return {FINDINGS: []}


def _strip(annotation: Any) -> Any:
    """``annotation`` without ``Annotated`` and ``Optional``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, type(int | None)):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


@cache
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    field: FieldInfo = model.model_fields[name]
    kind = field.annotation
    if field.metadata:
        kind = Annotated[(kind, *field.metadata)]
    # a field validated alone follows its model's settings (strict, no inf/nan, stripped)
    config = None if _is_model(_strip(field.annotation)) else _CONFIG
    try:
        return TypeAdapter(kind, config=config)
    except Exception:  # pragma: no cover - a type that carries its own config
        return TypeAdapter(kind)


def _item(kind: type[BaseModel], raw: Any) -> Any:
    try:
        return kind.model_validate(raw, context=_quiet())
    except ValidationError:
        return salvage(kind, raw)[0] if isinstance(raw, dict) else Partial(kind, {})


def _value(model: type[BaseModel], name: str, raw: Any) -> tuple[Any, bool]:
    """``(value, whole)``: the validated value, a salvage of it, or ``_UNREAD``."""
    try:
        return _adapter(model, name).validate_python(raw, context=_quiet()), True
    except ValidationError as exc:
        errors = exc.errors()
        inside = any(e["loc"] for e in errors)  # pydantic drops bad items, then counts
        if any(not e["loc"] and not (inside and e["type"] == "too_short") for e in errors):
            return _UNREAD, False  # the value as a whole is wrong
    kind = _strip(model.model_fields[name].annotation)
    if _is_model(kind) and isinstance(raw, dict):
        return salvage(kind, raw)[0], False
    args = typing.get_args(kind)
    if typing.get_origin(kind) is tuple and args and _is_model(args[0]) and isinstance(raw, list):
        shortest = max((m.min_length for m in _metadata(model, name, "min_length")), default=0)
        if len(raw) < shortest:  # too few items: said on its own, and no rule is meaningful
            return _UNREAD, False
        return tuple(_item(args[0], x) for x in raw), False
    return _UNREAD, False


def _metadata(model: type[BaseModel], name: str, attribute: str) -> list[Any]:
    return [m for m in model.model_fields[name].metadata if hasattr(m, attribute)]


def _strays(data: Any, model: Any, into: set[str]) -> set[str]:
    """The unknown keys anywhere below ``data`` (a key indented into the wrong block)."""
    if isinstance(data, list):
        for item in data:
            _strays(item, model, into)
    elif isinstance(data, dict) and _is_model(model):
        for key, value in data.items():
            field = model.model_fields.get(key)
            if field is None:
                into.add(str(key))
                continue
            kind = _strip(field.annotation)
            args = typing.get_args(kind)
            _strays(value, args[0] if typing.get_origin(kind) is tuple and args else kind, into)
    return into


def salvage(model: type[BaseModel], raw: dict[str, Any]) -> tuple[Partial, set[str]]:
    """The fields of ``raw`` that validate as ``model``'s, one by one (fields that fail are
    salvaged one level down), and the names of the fields that validated whole. An absent
    field is unread, not defaulted, beside an unknown key it may be a typo of, and (at the
    top) when a key of its name was indented into another block."""
    values: dict[str, Any] = {}
    whole: set[str] = set()
    unknown = [str(k) for k in raw if k not in model.model_fields]
    if model is Experiment:
        unknown += [
            k for k in _strays(raw, model, set()) if k in model.model_fields and k not in raw
        ]
    for name, field in model.model_fields.items():
        if name in raw:
            value, ok = _value(model, name, raw[name])
            if value is not _UNREAD:
                values[name] = value
            if ok:
                whole.add(name)
        elif not field.is_required() and not any(
            k == name or did_you_mean(k, [name]) for k in unknown
        ):
            values[name] = field.get_default(call_default_factory=True)
    return Partial(model, values, {n for n in model.model_fields if n in raw}), whole


def _run(rules: Iterable[Callable[[Any], list[Finding]]], value: Any) -> list[Finding]:
    out: list[Finding] = []
    for rule in rules:
        try:
            out += rule(value)
        except Unread:
            continue
    return out


def partial_findings(raw: dict[str, Any], said: Sequence[Finding] = ()) -> list[Finding]:
    """The rules of :mod:`abtest.registry.checks` on the parts of ``raw`` that parsed, for
    a file whose schema validation failed.

    The rules of a list (unique ids, one control, weights summing to 1, one primary
    goal) run here only when the list did not validate whole: otherwise the model's
    field validators already ran them (their findings are ``said``). The rules across
    fields always run here (the model's own pass never did), each skipped if it reads a
    part that did not parse. When no rule found an error, the sample-size check of
    :func:`abtest.registry.lint.feasibility` runs too (its one error, not the warnings).
    """
    exp, whole = salvage(Experiment, raw)
    out: list[Finding] = []
    if "variants" not in whole:
        out += _run(checks.VARIANT_RULES, _values_or_unread(exp, "variants"))
    if "goals" not in whole:
        out += _run(goal_rules.GOAL_RULES, _values_or_unread(exp, "goals"))
    out += _run(checks.RULES, exp)
    if not any(f.severity == "error" for f in (*said, *out)):
        out += [f for f in _run([lint.feasibility], exp) if f.severity == "error"]
    return out


class _Missing:
    """A list that did not parse at all: iterating it raises :class:`Unread`."""

    def __iter__(self) -> Any:
        raise Unread("list")


def _values_or_unread(exp: Partial, name: str) -> Any:
    try:
        return getattr(exp, name)
    except Unread:
        return _Missing()
