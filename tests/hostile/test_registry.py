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


def test_a_schema_error_and_a_rule_error_are_said_in_one_run(tmp_path, abtest_cli, unchanged):
    # #14 item 9: the example with a typo in one goal (a schema error), a guardrail on a goal
    # it does not have and a second primary goal (rules): once only the typo was reported,
    # so a user fixed it, reran and found the others
    text = EXAMPLE.read_text()
    old_goal = "{id: cta_click, event: cta_click, kind: micro}"
    assert old_goal in text and "{goal: bounce," in text
    text = text.replace(old_goal, "{id: cta_click, evnt: cta_click, kind: micro, primary: true}")
    path = tmp_path / EXAMPLE.name
    path.write_text(text.replace("{goal: bounce,", "{goal: bounce_rate,"))
    with unchanged(path):
        run = abtest_cli("validate", "-q", path)
    assert run.code == 1 and "Traceback" not in run.err
    said = run.out.splitlines()
    assert [line.split(": ", 2)[:2] for line in said] == [
        [f"{path}:19", "goals[1]"],  # unknown key 'evnt'
        [f"{path}:19", "goals[1].primary"],  # a second primary goal
        [f"{path}:23", "guardrails[0].goal"],  # not one of the goals
    ]
    assert "unknown key 'evnt' — did you mean 'event'?" in said[0]
    assert "goals[0] 'trial_signup' is already primary" in said[1]
    assert "'bounce_rate' is not one of this experiment's goals" in said[2]


def test_a_dedented_key_is_said_at_its_line_and_the_rest_is_still_checked(
    tmp_path, abtest_cli, unchanged
):
    # #14 item 9: 'baseline' dedented out of analysis (line 29) once stopped the parser on
    # line 30 with nothing else said; now it is reported at its own line, and the weight
    # changed to 0.6 further up is reported in the same run at both weights' lines
    lines = EXAMPLE.read_text().splitlines()
    assert lines[28] == "  baseline: 0.04"
    lines[28] = "baseline: 0.04"
    lines[15] = lines[15].replace("weight: 0.5", "weight: 0.6")
    path = tmp_path / EXAMPLE.name
    path.write_text("\n".join(lines) + "\n")
    with unchanged(path):
        run = abtest_cli("validate", "-q", path)
    assert run.code == 1 and "Traceback" not in run.err
    said = run.out.splitlines()
    assert [line.split(": ", 1)[0] for line in said] == [f"{path}:15", f"{path}:16", f"{path}:29"]
    assert "'baseline' is indented less than the keys of its mapping" in said[2]
