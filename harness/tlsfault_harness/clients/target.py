"""What a client is pointed at: a scenario as `tlsfault list/show --json`
describes it (protocol, [ftp] credentials, [client] certificate) and where it
is served now. Nothing a client needs about a scenario comes from anywhere
else: one parser, the server's own."""
import json
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .. import paths

FTPS = ("ftps-explicit", "ftps-implicit")


@lru_cache(maxsize=4)
def _list_json(scenario_dir):
    """`tlsfault list --json` of a scenario directory, run once per process."""
    out = subprocess.run([paths.SERVER, "list", "--json", "--scenarios", scenario_dir],
                         cwd=paths.ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


@lru_cache(maxsize=4)
def _infos(scenario_dir):
    return {s["scenario"]["name"]: s for s in _list_json(scenario_dir)["scenarios"]}


def scenario_infos(scenario_dir=paths.SCENARIOS):
    """Every scenario as `tlsfault list --json` gives it (a fresh copy)."""
    return json.loads(json.dumps(_infos(str(scenario_dir))))


def vocabulary():
    """The failure classes, from the server's own table (a fresh copy)."""
    return list(_list_json(str(paths.SCENARIOS))["classes"])


@dataclass
class Target:
    """Where a scenario is served and what a client needs to reach it."""
    scenario: str
    protocol: str  # https | ftps-explicit | ftps-implicit
    host: str
    port: int
    certs: Path
    info: dict = field(default_factory=dict)  # `tlsfault show --json`

    @classmethod
    def of(cls, suite, scenario):
        """The target `scenario` is in a running Suite (described by the
        suite's own scenario files)."""
        info = scenario_infos(suite.scenario_dir)[scenario]
        return cls(scenario, info["server"]["protocol"], suite.host, suite.port(scenario),
                   suite.certs, info)

    @property
    def ca(self):
        return self.certs / "ca.pem"

    @property
    def client_auth(self):
        return self.info.get("server", {}).get("client_auth", "none")

    @property
    def ftps(self):
        return self.protocol in FTPS

    @property
    def implicit(self):
        return self.protocol == "ftps-implicit"

    @property
    def client_cert(self):
        """The name of the certificate the scenario's client presents, or None."""
        return (self.info.get("client") or {}).get("cert") or None

    @property
    def client_cert_files(self):
        """(cert, key) the scenario's client presents, or (None, None)."""
        name = self.client_cert
        if not name:
            return None, None
        return self.certs / f"{name}.pem", self.certs / f"{name}.key"

    @property
    def plaintext(self):
        """The scenario's FTP client does not use TLS ([client] plaintext)."""
        return bool((self.info.get("client") or {}).get("plaintext"))

    @property
    def user(self):
        return self.info["ftp"]["user"]

    @property
    def password(self):
        return self.info["ftp"]["password"]
