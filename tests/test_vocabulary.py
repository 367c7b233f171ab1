"""One vocabulary (#20): the CLI's choices, the registry schema's literals, the stats
validators and the analysis Design accept the same words, all from abtest.vocabulary."""

from __future__ import annotations

import datetime as dt
import typing

import click
import pytest

from abtest import vocabulary
from abtest.analysis import Design
from abtest.cli.analyze import analyze as analyze_command
from abtest.registry.schema import AnalysisConfig
from abtest.stats import _check, adjust_p_values, srm_test
from abtest.stats.multiple import CORRECTIONS as STATS_CORRECTIONS

CORRECTION_WORDS = vocabulary.spellings(vocabulary.CORRECTIONS, vocabulary.CORRECTION_ALIASES)
ALTERNATIVE_WORDS = vocabulary.spellings(vocabulary.ALTERNATIVES, vocabulary.ALTERNATIVE_ALIASES)


def choices(command: click.Command, option: str) -> tuple[str, ...]:
    param = next(p for p in command.params if p.name == option)
    return tuple(param.type.choices)


def literal(field: str) -> tuple[str, ...]:
    return typing.get_args(AnalysisConfig.model_fields[field].annotation)


def test_the_cli_the_schema_and_the_stats_accept_the_same_corrections():
    # once: the library accepted "fdr_bh", the CLI refused it, a registry file could not
    # say "none"
    assert set(choices(analyze_command, "correction")) == set(CORRECTION_WORDS)
    assert set(literal("correction")) == set(CORRECTION_WORDS)
    assert set(STATS_CORRECTIONS) == set(CORRECTION_WORDS)
    for word in CORRECTION_WORDS:
        adjust_p_values([0.01, 0.04], word)  # accepted
        assert Design(correction=word).correction in vocabulary.CORRECTIONS


def test_methods_alternatives_and_spending_agree():
    assert set(choices(analyze_command, "method")) == set(vocabulary.METHODS)
    assert set(literal("method")) == set(vocabulary.METHODS)
    assert set(literal("alternative")) == set(ALTERNATIVE_WORDS)
    assert set(literal("spending")) == set(vocabulary.SPENDING)
    for word in ALTERNATIVE_WORDS:
        assert _check.alternative(word) == Design(alternative=word).alternative
    assert Design(alternative="greater").alternative == "larger"  # scipy's word: b > a


def test_one_srm_threshold_and_one_duration_grammar():
    assert srm_test([500, 500], [0.5, 0.5]).threshold == vocabulary.SRM_THRESHOLD
    from abtest.data.model import parse_window

    for text in ("7d", "36h", "2w", "30m", "1.5d"):
        assert parse_window(text) == vocabulary.parse_duration(text)
        AnalysisConfig(attribution_window=text)  # a registry file accepts it too
    for bad in ("7 days", "0d", "d"):
        with pytest.raises(ValueError):
            vocabulary.parse_duration(bad)
        with pytest.raises(ValueError):
            AnalysisConfig(attribution_window=bad)
    assert vocabulary.parse_duration("2w") == dt.timedelta(days=14)


def test_bad_words_name_the_argument():
    with pytest.raises(ValueError, match=r"correction='fdr' is not one of 'holm'"):
        Design(correction="fdr")
    with pytest.raises(ValueError, match=r"alternative='up' is not one of"):
        _check.alternative("up")
