"""Number formatting shared by every sentence and table: the decision's reason, and every
presenter (text, Markdown, HTML, plots, JSON's reason), so a number reads the same
wherever it is printed.

Pure string formatting, standard library only: nothing here computes a statistic. Missing values
(``None``, NaN) come out as an em dash so tables never show ``nan``.

Examples
--------
>>> pct(0.12038), pct(-0.01311, signed=True), interval(-0.0326, 0.0064)
('12.04%', '-1.3%', '[-3.3%, +0.6%]')
>>> p_value(0.189883), p_value(3e-07), count(145274), money(4.4256, "USD")
('0.1899', '<0.0001', '145,274', '$4.43')
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING as _CEILING
from decimal import ROUND_FLOOR as _FLOOR
from decimal import ROUND_HALF_EVEN as _HALF_EVEN
from decimal import Decimal
from typing import Any

DASH = "—"

_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def missing(x: Any) -> bool:
    """True for ``None`` and NaN (the values tables print as a dash)."""
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def pct(x: Any, *, signed: bool = False, digits: int | None = None) -> str:
    """A fraction as a percentage: ``0.1204 -> '12.04%'``; ``signed`` adds ``+``.

    Signed values (lifts) get one decimal, rates two, unless ``digits`` says.
    """
    if missing(x):
        return DASH
    x = float(x)
    if math.isinf(x):
        return "+∞" if x > 0 else "-∞"
    d = (1 if signed else 2) if digits is None else digits
    return f"{x:+.{d}%}" if signed else f"{x:.{d}%}"


def interval(low: Any, high: Any, *, signed: bool = True, digits: int | None = None) -> str:
    """``[low, high]`` as percentages (signed by default: lift intervals)."""
    if missing(low) and missing(high):
        return ""
    return f"[{pct(low, signed=signed, digits=digits)}, {pct(high, signed=signed, digits=digits)}]"


def p_value(p: Any) -> str:
    """Four decimals, or ``<0.0001`` for tiny p-values; never rounded up onto a level.

    Rounded as R and statsmodels print it (0.189883 shows 0.1899), except where rounding
    up would land on a multiple of 0.001, the levels a p-value is read against (0.05,
    0.01, 0.1, 0.025, 0.001): there the p-value shows five decimals rounded down, so it
    stays on the same side of the level as the exact one (0.04996 shows 0.04996, not
    0.0500 beside a "better" flag; 0.049996 shows 0.04999).

    >>> p_value(0.189883), p_value(0.04996), p_value(0.049996), p_value(0.05), p_value(2e-05)
    ('0.1899', '0.04996', '0.04999', '0.0500', '<0.0001')
    """
    if missing(p):
        return DASH
    p = float(p)
    if p < 0.0001:
        return "<0.0001"
    shown = f"{p:.4f}"
    # compared as the shortest decimal that is the float (repr): 0.03 is 0.03, not the
    # 0.0299999... the binary value spells
    exact = Decimal(repr(p))
    if Decimal(shown) > exact and Decimal(shown) % Decimal("0.001") == 0:
        shown = str(exact.quantize(Decimal("0.00001"), rounding=_FLOOR))
    return shown


def p_equals(p: Any, name: str = "p") -> str:
    """``p = 0.0123`` or ``p < 0.0001``: a p-value said in a sentence.

    >>> p_equals(0.01234), p_equals(3e-07), p_equals(0.2, "always-valid p")
    ('p = 0.0123', 'p < 0.0001', 'always-valid p = 0.2000')
    """
    shown = p_value(p)
    return f"{name} {shown[0]} {shown[1:]}" if shown.startswith("<") else f"{name} = {shown}"


def count(n: Any) -> str:
    """An integer with thousands separators."""
    if missing(n):
        return DASH
    return f"{round(float(n)):,}"


def number(x: Any, *, digits: int = 4) -> str:
    """A plain number with ``digits`` significant digits and thousands separators."""
    if missing(x):
        return DASH
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = max(digits - 1 - magnitude, 0)
    return f"{x:,.{decimals}f}"


def money(x: Any, currency: str = "USD") -> str:
    """An amount with the currency symbol (or code) and two decimals."""
    if missing(x):
        return DASH
    x = float(x)
    if math.isinf(x):
        return "∞"
    symbol = _CURRENCY_SYMBOLS.get(currency.upper())
    sign = "-" if x < 0 else ""
    body = f"{abs(x):,.2f}"
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}"


def money_interval(low: Any, high: Any, currency: str = "USD") -> str:
    """``[low, high]`` as amounts."""
    if missing(low) and missing(high):
        return ""
    return f"[{money(low, currency)}, {money(high, currency)}]"


def probability(x: Any, against: float | None = None) -> str:
    """A probability as a percentage with one decimal (``P(best)`` and friends), never
    rounded onto a level it is read against.

    Where one decimal would land on a multiple of 0.5% (the thresholds 95%, 97.5%, 99%
    and their complements, and 0% and 100%) that the exact value is not, it shows two
    decimals rounded toward the exact value, so it stays on the same side: 0.94996 shows
    94.99%, not 95.0% beside "< 95%"; 0.9996 shows 99.96%, not a certainty.

    >>> probability(0.9876), probability(0.94996), probability(0.9996), probability(0.05004)
    ('98.8%', '94.99%', '99.96%', '5.01%')

    Beyond two decimals of 0% or 100% it says so: ``<0.01%``, ``>99.99%``.

    >>> probability(1.0), probability(1 + 1e-12), probability(0.95), probability(2e-06)
    ('100.0%', '100.0%', '95.0%', '<0.01%')

    ``against``: a threshold printed beside it, of any value; digits are added (up to
    six) until the text reads on the exact value's side of it.

    >>> probability(0.99896), probability(0.99896, against=0.999)
    ('99.9%', '99.896%')
    """
    if missing(x):
        return DASH
    # a quadrature's 1 + 1e-12 is 1 (it is not "100.01%")
    exact = Decimal(repr(min(max(float(x), 0.0), 1.0))) * 100
    level = None if against is None else Decimal(repr(float(against))) * 100
    shown = exact.quantize(Decimal("0.1"), rounding=_HALF_EVEN)
    if shown != exact and shown % Decimal("0.5") == 0:
        if exact < Decimal("0.01") and (level is None or level >= Decimal("0.01")):
            return "<0.01%"
        if exact > Decimal("99.99") and (level is None or level <= Decimal("99.99")):
            return ">99.99%"
        shown = exact.quantize(Decimal("0.01"), rounding=_FLOOR if exact < shown else _CEILING)
    for digits in range(2, 7):  # beside a threshold: as many digits as its side needs
        if level is None or (shown >= level) == (exact >= level):
            break
        shown = exact.quantize(Decimal(1).scaleb(-digits), rounding=_HALF_EVEN)
    return f"{shown}%"


def probability_is(x: Any, name: str, against: float | None = None) -> str:
    """``P(best) = 98.8%`` or ``P(best) > 99.99%``: a probability said in a sentence
    (:func:`probability`).

    >>> probability_is(0.9876, "P(best)"), probability_is(1 - 1e-9, "P(best)")
    ('P(best) = 98.8%', 'P(best) > 99.99%')
    """
    shown = probability(x, against)
    return f"{name} {shown[0]} {shown[1:]}" if shown[0] in "<>" else f"{name} = {shown}"


def level(x: Any) -> str:
    """A confidence level: ``0.975 -> '97.5%'``, ``0.95 -> '95%'``."""
    if missing(x):
        return ""
    return f"{float(x) * 100:.10g}%"  # every digit it has: 0.99999 is 99.999%, not 100%


def plural(n: int, word: str, words: str | None = None) -> str:
    """``plural(1, 'day') -> '1 day'``, ``plural(3, 'day') -> '3 days'``."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"
