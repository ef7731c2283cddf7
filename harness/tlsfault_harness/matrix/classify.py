"""The client witness: a client's exit code and output -> what the client
says (a claim such as "verify:self-signed" or "alert:handshake_failure(40)"),
with the tables in harness/classifiers.toml (data, tested against real
outputs captured from tlsfault and from reference servers)."""
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from ..paths import ROOT

TABLES = ROOT / "harness" / "classifiers.toml"
UNCLASSIFIED = "unclassified"


@dataclass(frozen=True)
class Rule:
    client: str
    index: int        # position among the client's rows, from 0
    rc: int | None
    pattern: re.Pattern
    says: str

    def matches(self, rc, text):
        return (self.rc is None or self.rc == rc) and bool(self.pattern.search(text))

    def describe(self):
        return {"client": self.client, "index": self.index, "rc": self.rc,
                "pattern": self.pattern.pattern}


@dataclass(frozen=True)
class ClientWitness:
    says: str            # the claim, or "unclassified"
    cls: str             # the class the claim alone names, "" if none
    rule: Rule | None    # the row that matched

    @property
    def pattern(self):
        return self.rule.pattern.pattern if self.rule else None


@lru_cache(maxsize=1)
def tables():
    """({client: [Rule]}, {claim: class})."""
    data = tomllib.loads(TABLES.read_text())
    claims = data.pop("claims")
    rules = {client: [Rule(client, i, r.get("rc"), re.compile(r["pattern"], re.M), r["says"])
                      for i, r in enumerate(rows)]
             for client, rows in data.items()}
    return rules, claims


def witness(client, rc, text):
    """What `client` says with exit code `rc` and output `text`."""
    rules, claims = tables()
    for rule in rules.get(client, []):
        if rule.matches(rc, text):
            return ClientWitness(rule.says, claims[rule.says], rule)
    return ClientWitness(UNCLASSIFIED, UNCLASSIFIED, None)


def classify(client, rc, text):
    """(claim, the pattern that matched or None)."""
    w = witness(client, rc, text)
    return w.says, w.pattern


def claim_class(says):
    """The class a claim alone names ("" if none; "unclassified" passes through)."""
    if says in (UNCLASSIFIED, "timeout"):
        return says
    return tables()[1][says]
