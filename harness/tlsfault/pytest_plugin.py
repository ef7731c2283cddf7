"""pytest fixtures to test your own TLS client against tlsfault's broken
servers. With tlsfault built (`make`), run your tests with

    PYTHONPATH=/path/to/tlsfault/harness pytest -p tlsfault.pytest_plugin

and use the `tlsfault` fixture:

    def test_rejects_self_signed(tlsfault):
        s = tlsfault.scenario("ftps-self-signed")   # served since session start
        ...connect your client to s.host, s.port, trusting s.ca_bundle...
        assert s.wait_event()["alert_received"]["name"] == "unknown_ca"

Options: --tlsfault-build DIR (default: the checkout's build/),
--tlsfault-scenarios GLOB,... (default: all)."""
import fnmatch
from pathlib import Path

import pytest

from tlsfault_harness import paths
from tlsfault_harness.suite import Suite


def pytest_addoption(parser):
    g = parser.getgroup("tlsfault")
    g.addoption("--tlsfault-build", default=str(paths.BUILD),
                help="tlsfault build directory (holds tlsfault and certs/)")
    g.addoption("--tlsfault-scenarios", default="",
                help="comma-separated globs of scenarios to serve (default: all)")


class ScenarioHandle:
    """One scenario as a test sees it; events() are only the connections
    made since this handle was created, i.e. by the test itself."""

    def __init__(self, suite, name):
        self._suite, self.name = suite, name
        self.host = suite.host
        self.port = suite.port(name)
        self.ca_bundle = str(suite.certs / "ca.pem")
        self._mark = suite.mark(name)

    def client_cert(self, profile="client-a"):
        """(cert PEM, key PEM, PKCS#12) paths of a client certificate
        profile; the PKCS#12 password is `changeit`."""
        base = self._suite.certs / profile
        return (str(base.with_suffix(".pem")), str(base.with_suffix(".key")),
                str(base.with_suffix(".p12")))

    def events(self):
        """Connections logged so far (an event is written when its
        connection ends; wait_event() waits for the first)."""
        return self._suite.events(self.name)[self._mark:]

    def wait_event(self, timeout=5.0):
        """The first connection this test made, once the server logged it."""
        return self._suite.event_after(self.name, self._mark, timeout)


class TlsfaultFixture:
    def __init__(self, suite):
        self.suite = suite

    @property
    def scenarios(self):
        return sorted(self.suite.manifest)

    def scenario(self, name):
        if name not in self.suite.manifest:
            pytest.fail(f"tlsfault: scenario {name!r} is not served "
                        f"(served: {', '.join(self.scenarios)})")
        return ScenarioHandle(self.suite, name)


@pytest.fixture(scope="session")
def tlsfault_suite(request, tmp_path_factory):
    build = Path(request.config.getoption("--tlsfault-build"))
    server, certs = build / "tlsfault", build / "certs"
    if not server.exists() or not (certs / "ca.pem").exists():
        pytest.fail(f"tlsfault: {server} or {certs}/ca.pem missing; run `make` in the checkout")
    globs = [g for g in request.config.getoption("--tlsfault-scenarios").split(",") if g]
    names = None
    if globs:
        names = sorted(p.stem for p in paths.SCENARIOS.glob("*.ini")
                       if any(fnmatch.fnmatch(p.stem, g) for g in globs))
    suite = Suite(scenarios=names, workdir=tmp_path_factory.mktemp("tlsfault"),
                  server=server, certs=certs)
    suite.start()
    yield suite
    suite.stop()


@pytest.fixture
def tlsfault(tlsfault_suite):
    return TlsfaultFixture(tlsfault_suite)
