"""The pytest plugin as a client developer uses it: a user's own test file,
run by a separate pytest with `-p tlsfault.pytest_plugin`."""
import sys

from tlsfault_harness import paths
from tlsfault_harness.clients import run

USER_TEST = '''
import socket, ssl, urllib.request, pytest

def test_my_client_rejects_self_signed(tlsfault):
    s = tlsfault.scenario("https-self-signed")
    ctx = ssl.create_default_context(cafile=s.ca_bundle)
    with pytest.raises(ssl.SSLCertVerificationError):
        ctx.wrap_socket(socket.create_connection((s.host, s.port)), server_hostname="localhost")
    assert s.wait_event()["alert_received"]["name"] == "unknown_ca"

def test_my_client_works_on_valid(tlsfault):
    s = tlsfault.scenario("https-valid")
    ctx = ssl.create_default_context(cafile=s.ca_bundle)
    assert urllib.request.urlopen(f"https://localhost:{s.port}/", context=ctx).status == 200
    assert s.wait_event()["handshake"] == "ok"
    assert [e["app"]["http_status"] for e in s.events()] == [200]

def test_unknown_scenario_is_a_clear_failure(tlsfault):
    tlsfault.scenario("https-nope")
'''


def users_pytest(tmp_path, code, scenarios):
    """A separate pytest, as a client developer runs it, on `code`."""
    (tmp_path / "test_user.py").write_text(code)
    return run([sys.executable, "-m", "pytest", "-q", "-p", "tlsfault.pytest_plugin",
                "-p", "no:cacheprovider", "--tlsfault-scenarios", scenarios,
                str(tmp_path / "test_user.py")], cwd=tmp_path, timeout=120,
               env={"PYTHONPATH": str(paths.ROOT / "harness")})


def test_plugin_in_a_users_pytest(tmp_path):
    r = users_pytest(tmp_path, USER_TEST, "https-valid,https-self-signed")
    assert "1 failed, 2 passed" in r.out, r.out + r.err
    assert "scenario 'https-nope' is not served" in r.out


def test_readme_example_runs_as_written(tmp_path):
    """The ten-line example in README.md is a test that passes."""
    readme = (paths.ROOT / "README.md").read_text()
    section = readme.split("## Testing your own client", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    r = users_pytest(tmp_path, code, "ftps-self-signed")
    assert "1 passed" in r.out, r.out + r.err
