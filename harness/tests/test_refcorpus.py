"""The reference-corpus helper itself: each reference server starts on
loopback from its private configuration, a real client's live capture
against it grades right from its raw output, and the server is gone
afterwards (stopped by its PID)."""
import os

import pytest

from tlsfault_harness import refcorpus
from tlsfault_harness.matrix.refcheck import judge_ref


def _case(name, kind):
    return next(c for c in refcorpus.CASES if c.name == name and c.kind == kind)


@pytest.mark.parametrize("name,kind", [("self-signed", "s_server"), ("no-shared-cipher", "s_server"),
                                       ("plain-http", "nginx"), ("tls-required", "vsftpd")])
def test_live_capture_grades_right(tmp_path, name, kind):
    case = _case(name, kind)
    n = refcorpus.capture([case], ["curl"], tmp_path, out=tmp_path / "ref")
    assert n == 1
    path = tmp_path / "ref" / "curl" / f"{name}--{kind}.txt"
    right, says, why = judge_ref("curl", path.read_text())
    assert right, f"{says}: {why}"


def test_reference_server_is_stopped_by_pid():
    with refcorpus.SServer(_case("self-signed", "s_server").args) as srv:
        pid = srv.proc.pid
        os.kill(pid, 0)  # running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_refused_capture(tmp_path):
    n = refcorpus.capture_refused(["curl", "python"], tmp_path, out=tmp_path / "ref")
    assert n == 4  # curl and python, each on https and ftps
    for p in (tmp_path / "ref").glob("*/*.txt"):
        assert judge_ref(p.parent.name, p.read_text())[0], p
