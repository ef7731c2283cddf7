"""Turn a client's exit code and output into a failure class, with the
tables in harness/classifiers.toml (data, reviewed against captured real
output in tests/classify/)."""
import re
import tomllib
from functools import lru_cache

from ..paths import ROOT

TABLES = ROOT / "harness" / "classifiers.toml"
UNCLASSIFIED = "unclassified"


@lru_cache(maxsize=1)
def tables():
    data = tomllib.loads(TABLES.read_text())
    same = data.pop("same", {})
    rules = {client: [(r.get("rc"), re.compile(r["pattern"], re.M), r["class"]) for r in rows]
             for client, rows in data.items()}
    return rules, same


def classify(client, rc, text):
    """(class, the pattern that matched or None)."""
    rules, _ = tables()
    for want_rc, pattern, cls in rules.get(client, []):
        if (want_rc is None or want_rc == rc) and pattern.search(text):
            return cls, pattern.pattern
    return UNCLASSIFIED, None


def same_as(client, expected):
    """A class this client reports instead of `expected`, and why; or None."""
    _, same = tables()
    row = same.get(f"{client}:{expected}")
    return (row[0], row[1]) if row else None
