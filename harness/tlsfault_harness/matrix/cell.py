"""A cell of the matrix: a scenario, a client and a profile."""
from dataclasses import dataclass


@dataclass
class Cell:
    scenario: str
    client: str
    profile: str = "default"

    @property
    def id(self):
        return f"{self.scenario}/{self.client}/{self.profile}"
