"""docs/api.md lists the public surface: every name a package exports is named there."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

DOC = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text(encoding="utf-8")
WORDS = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", DOC))


@pytest.mark.parametrize(
    "package",
    ["abtest", "abtest.stats", "abtest.data", "abtest.registry", "abtest.assignment",
     "abtest.analysis", "abtest.report"],
)  # fmt: skip
def test_every_exported_name_is_in_the_api_doc(package):
    names = importlib.import_module(package).__all__
    missing = sorted(n for n in names if n not in WORDS)
    assert not missing, f"{package} exports {missing}, which docs/api.md does not list"


def test_the_vocabulary_and_the_formatters_are_in_the_api_doc():
    for module in ("abtest.vocabulary", "abtest.formatting"):
        m = importlib.import_module(module)
        public = [
            n for n, v in vars(m).items()
            if not n.startswith("_") and getattr(v, "__module__", module) == module
            and (callable(v) or n.isupper())
        ]  # fmt: skip
        missing = sorted(n for n in public if n not in WORDS)
        assert not missing, f"{module}: {missing} not in docs/api.md"
