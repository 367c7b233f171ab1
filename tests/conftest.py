import json
from pathlib import Path

import pytest

REFERENCES = Path(__file__).parent / "references"


@pytest.fixture(scope="session")
def r_ref() -> dict:
    """Values computed by R 4.2.2 with tests/references/frequentist.R (each entry has its call)."""
    return json.loads((REFERENCES / "frequentist_r.json").read_text())
