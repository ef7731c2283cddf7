"""pytest set-up for tlsfault's checker: one server for the whole session,
serving every scenario on ephemeral 127.0.0.1 ports."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tlsfault_harness import paths  # noqa: E402
from tlsfault_harness.suite import Suite  # noqa: E402


@pytest.fixture(scope="session")
def suite(tmp_path_factory):
    if not paths.SERVER.exists() or not (paths.CERTS / "ca.pem").exists():
        pytest.fail("build/tlsfault or build/certs missing: run `make` first")
    s = Suite(workdir=tmp_path_factory.mktemp("suite"))
    s.start()
    yield s
    rc = s.stop()
    assert rc == 0, f"tlsfault serve exited {rc} on SIGTERM: {s.server_log()}"
