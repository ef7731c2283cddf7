"""A cell of the matrix and what it needs to run."""
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Target:
    """Where a scenario is served and what a client needs to reach it."""
    scenario: str
    protocol: str  # https | ftps-explicit | ftps-implicit
    host: str
    port: int
    certs: Path
    info: dict = field(default_factory=dict)  # `tlsfault show --json`

    @property
    def ca(self):
        return self.certs / "ca.pem"

    @property
    def client_auth(self):
        return self.info.get("server", {}).get("client_auth", "none")


@dataclass
class Cell:
    scenario: str
    client: str
    profile: str = "default"

    @property
    def id(self):
        return f"{self.scenario}/{self.client}/{self.profile}"
