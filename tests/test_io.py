"""write_atomic: readable by others as a plain write would be (umask), never 0600."""

import os
import stat

import pytest

from abtest._io import write_atomic


@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_follow_the_umask(tmp_path, umask, expected):
    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "report.html", "<p>hi</p>")
        write_atomic(tmp_path / "report_files" / "a.png", b"\x89PNG")
    finally:
        os.umask(old)
    for name in ("report.html", "report_files/a.png"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == expected
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("{}")
    target.chmod(0o640)
    write_atomic(target, '{"a": 1}')
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_text() == '{"a": 1}'
