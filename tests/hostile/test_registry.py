"""Hostile registry inputs (#21 items 3, 5; #19 item 3): non-regular paths, problems said at
their own lines, values the loader could not read."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "experiments" / "pricing-cta-wording.yaml"


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_a_path_that_is_not_a_regular_file_is_one_line(tmp_path, abtest_cli, one_line_error, kind):
    # /dev/null (a device) and a FIFO once gave a traceback
    if kind == "fifo":
        path = tmp_path / "pipe.yaml"
        os.mkfifo(path)
    else:
        path = Path("/dev/null")
    one_line_error(abtest_cli("validate", path), f"{path}: not a regular file or folder")


def test_a_weight_that_breaks_the_sum_is_said_at_the_weights_lines(tmp_path, abtest_cli,
                                                                   unchanged):  # fmt: skip
    # the example with its second weight changed to 0.6: once reported at 'variants:'
    # (line 14) instead of the weights' own lines 15 and 16
    path = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, path)
    lines = path.read_text().splitlines()
    assert lines[15].startswith("  - {id: free-trial") and "weight: 0.5" in lines[15]
    lines[15] = lines[15].replace("weight: 0.5", "weight: 0.6")
    path.write_text("\n".join(lines) + "\n")
    with unchanged(path):
        run = abtest_cli("validate", "-q", path)
    assert run.code == 1 and "Traceback" not in run.err
    said = run.out.splitlines()
    assert [line.split(": ", 1)[0] for line in said] == [f"{path}:15", f"{path}:16"]
    assert all("weights sum to 1.1 (0.5 + 0.6), not 1" in line for line in said)


def test_a_value_the_loader_could_not_read_is_never_called_broken():
    from abtest.registry.messages import describe
    from abtest.registry.yamldata import BROKEN

    assert describe(BROKEN) == "a value that could not be read (see the problem reported for it)"


def test_aliases_of_text_are_read_and_of_a_list_named_at_both_lines(tmp_path, abtest_cli):
    # an alias repeats its anchor's value: text is fine where text is expected, a list is
    # reported at the anchor's line and the alias's line, as plain text would be
    text = EXAMPLE.read_text()
    text = text.replace("name: Pricing page CTA wording", "name: &title Pricing page CTA wording")
    path = tmp_path / EXAMPLE.name
    path.write_text(text.replace("owner: ", "owner: *title\nx_owner: ", 1))
    run = abtest_cli("validate", "-q", path)
    assert "x_owner" in run.out and "_Broken" not in run.out  # only the unknown key
    listed = EXAMPLE.read_text().replace("name: Pricing page CTA wording", "name: &t [a, b]")
    path.write_text(listed.replace("owner: growth@example.com", "owner: *t"))
    run = abtest_cli("validate", "-q", path)
    assert run.out.splitlines() == [
        f"{path}:3: name: expected text, got a list",
        f"{path}:7: owner: expected text, got a list",
    ]
