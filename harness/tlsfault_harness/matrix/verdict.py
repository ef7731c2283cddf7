"""A cell's graded verdict from two witnesses: what the client says
(classify.py: its claim) and what the server recorded (witness.py: facts
read from the cell's events). harness/grades.toml combines them with the
scenario's expectation into a grade; the events must also not contradict
the client's claim (event_problems).

Grades: exact, equivalent (declared with a reason), known (exceptions.toml,
a real client deviation), fail, unclassified, timeout, fixture-error (the
fixture failed under the client: never a pass or a fail), and not-installed
/ not-applicable for cells that did not run."""
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache

from ..paths import ROOT
from . import witness as server_witness
from .classify import UNCLASSIFIED, claim_class, witness

EXCEPTIONS = ROOT / "harness" / "exceptions.toml"
GRADES = ROOT / "harness" / "grades.toml"
PASSING = ("exact", "equivalent", "known")
RED = ("fail", "unclassified", "timeout")
NOT_JUDGED = ("not-installed", "not-applicable", "fixture-error")
CONSISTENCY = ROOT / "harness" / "consistency.toml"


@dataclass
class Verdict:
    status: str            # a grade (see the module's doc)
    expected: str = ""
    got: str = ""          # the class the client's claim names ("" if none)
    matched: str = None    # the classifier row that matched
    problems: list = field(default_factory=list)
    note: str = ""         # known deviation or equivalence reason
    headline: str = ""     # the one line a reader must see
    says: str = ""         # the client witness's claim
    server: list = field(default_factory=list)  # the server witness's facts
    grade_row: dict = None  # the grades.toml row that passed the cell
    exception: int = None   # the exceptions.toml [[known]] row (index) that made it known

    @property
    def red(self):
        return self.status in RED


def expectation(info, client, profile, traits=None):
    """The class a correct `client` reports under `profile`: its own
    client.NAME row, else the row of a trait it has (clients/base.py
    TRAITS; `traits` defaults to its module's), else the profile's or
    workaround's row, else the scenario's class."""
    expect = info["expect"]
    variants = expect.get("variants", {})
    if f"client.{client}" in variants:
        return variants[f"client.{client}"]
    if traits is None:
        from ..clients import CLIENTS
        traits = CLIENTS[client].traits if client in CLIENTS else ()
    by_trait = {variants[f"trait.{t}"] for t in traits if f"trait.{t}" in variants}
    if len(by_trait) > 1:
        raise ValueError(f"{info.get('name')}: traits of {client} expect {sorted(by_trait)}")
    if by_trait:
        return by_trait.pop()
    if profile != "default":
        for kind in ("profile", "workaround"):
            if f"{kind}.{profile}" in variants:
                return variants[f"{kind}.{profile}"]
    return expect["class"]


@lru_cache(maxsize=1)
def grade_rows():
    return tomllib.loads(GRADES.read_text())["grade"]


def _wants(row_server):
    return [row_server] if isinstance(row_server, str) else list(row_server)


def combine(expected, client, says, facts):
    """(the grades.toml row for this combination or None, the server facts
    the rows for (expected, says) wanted but did not find)."""
    missing = []
    for row in grade_rows():
        if row["expect"] != expected or row["says"] != says:
            continue
        if "clients" in row and client not in row["clients"]:
            continue
        wants = _wants(row["server"])
        if wants == ["*"] or any(w in facts for w in wants):
            return row, []
        missing += wants
    return None, missing


@lru_cache(maxsize=1)
def known_deviations():
    return tomllib.loads(EXCEPTIONS.read_text()).get("known", [])


def _scenario_in(row, scenario):
    names = row["scenario"]
    return scenario in ([names] if isinstance(names, str) else names)


def _covers(row, scenario, client, profile):
    return (_scenario_in(row, scenario) and client in row["clients"]
            and row.get("profile", "default") == profile)


def _deviation_row(scenario, client, profile, expected, got):
    for i, row in enumerate(known_deviations()):
        if ("problem" not in row and _covers(row, scenario, client, profile)
                and row["expected"] == expected and row["got"] == got):
            return i
    return None


def _problem_row(scenario, client, profile, problems):
    for i, row in enumerate(known_deviations()):
        if ("problem" in row and _covers(row, scenario, client, profile) and problems
                and all(p.startswith(row["problem"]) for p in problems)):
            return i
    return None


def _reason(i):
    return None if i is None else known_deviations()[i]["reason"]


def known_deviation(scenario, client, profile, expected, got):
    """The reason of the exceptions.toml row for this deviation, or None."""
    return _reason(_deviation_row(scenario, client, profile, expected, got))


def known_problem(scenario, client, profile, problems):
    """The reason of an exceptions.toml `problem` row covering every one of
    the cell's problems, or None."""
    return _reason(_problem_row(scenario, client, profile, problems))


def stale_exceptions(cells):
    """The exceptions.toml [[known]] rows (index, row) that cover a cell
    this run judged but made none of them known: the deviation is gone (or
    moved), and the row is to be removed or corrected. A row whose cells
    did not run (a filtered run, a client not installed) is not stale."""
    judged = [c for c in cells if c["verdict"] not in NOT_JUDGED]
    used = {c["exception"] for c in judged if c.get("exception") is not None}
    return [(i, row) for i, row in enumerate(known_deviations()) if i not in used and any(
        _covers(row, c["scenario"], c["client"], c["profile"]) for c in judged)]


@lru_cache(maxsize=1)
def consistency():
    return tomllib.loads(CONSISTENCY.read_text())


def _alerts(facts, prefix):
    return {f.partition(":")[2] for f in facts if f.startswith(prefix)}


def consistency_rule(cls):
    """consistency.toml's rule for a class (its own, else the default)."""
    table = consistency()
    return table["class"].get(cls, table["default"])


def forbidden_required(cls, ftps):
    """(facts the server's record must not have, facts it must have) for a
    class: the rule's own, its ftps_ ones on FTPS, and ftps_require_all on
    FTPS but for refused."""
    rule = consistency_rule(cls)
    forbid = rule.get("forbid", []) + (rule.get("ftps_forbid", []) if ftps else [])
    require = rule.get("require", []) + (rule.get("ftps_require", []) if ftps else [])
    if ftps and cls != "refused":
        require = consistency()["ftps_require_all"] + require
    return forbid, require


def event_problems(cls, facts, info, family):
    """Where the server's facts disagree with the class the client reported
    (harness/consistency.toml)."""
    if cls in (UNCLASSIFIED, "timeout"):
        return []
    table = consistency()
    rule = consistency_rule(cls)
    msg = table["messages"]
    ftps = info["server"]["protocol"].startswith("ftps")
    if "no-connection" in facts and cls != "refused":
        return [msg["forbid"]["no-connection"]]
    p = []
    forbid, require = forbidden_required(cls, ftps)
    for key, wanted, present in (("forbid", forbid, True), ("require", require, False)):
        for fact in wanted:
            if (fact in facts) == present:
                p.append(msg[key].get(fact, f"{key} {fact}"))
    client = _alerts(facts, "client-alert:")
    if "client_alerts" in rule:
        bad = client - set(rule["client_alerts"])
        if bad:
            p.append(f"client sent {sorted(bad)}, not an alert for {cls}")
    want = info["expect"].get("alert", "none")
    if (rule.get("scenario_alert") and family in table["exact_alert_families"]
            and want != "none" and client and client != {want}):
        p.append(f"OpenSSL-family client sent {sorted(client)}, scenario says {want}")
    if "alert_any" in rule:
        sent = _alerts(facts, "server-alert:")
        if not (sent | client) & set(rule["alert_any"]):
            p.append(f"server sent {sorted(sent) or 'no alert'}, not one for {cls}")
    return p


# conn.c's refusals: the fixture's own limits, not anything the client did.
FIXTURE_REFUSALS = ("refused: connection limit", "refused: out of file descriptors")


def fixture_error(rec):
    """Why the fixture, not the client, decided this cell, or None: a
    "fixture_error" event (the scenario's worker died) after the cell's
    mark, a connection the server refused (its connection or descriptor
    limit), or nothing listening (the runner's `fixture_error`)."""
    if rec.get("fixture_error"):
        return rec["fixture_error"]
    for e in rec.get("events", []):
        if e.get("fixture_error"):
            return e.get("error") or "fixture error"
        if (e.get("error") or "").startswith(FIXTURE_REFUSALS):
            return f"the server {e['error']}"
    return None


def judge(rec, info, family, expected=None, facts=None):
    """The verdict of one run cell record (see runner.Runner.run_cell).
    `facts` replaces the server witness (the mutation check)."""
    cell = rec["cell"]
    if rec["status"] in ("not-installed", "not-applicable"):
        return Verdict(rec["status"], note=rec.get("why", ""))
    res = rec["result"]
    expected = expected or expectation(info, cell.client, cell.profile)
    events = rec.get("events", [])
    if res.timed_out:
        says, matched = "timeout", None
    else:
        cw = witness(cell.client, res.rc, res.text)
        says, matched = cw.says, cw.pattern
    got = claim_class(says)
    if facts is None:
        facts = server_witness.facts(events)
    v = Verdict("fail", expected, got, matched, says=says, server=sorted(facts))
    broken = fixture_error(rec)
    if broken:
        # Neither pass nor fail: the client's report says nothing about
        # the client when the fixture itself failed under it.
        v.status, v.note = "fixture-error", broken
        v.headline = f"fixture error, client not judged: {broken}"
        return v
    if says in (UNCLASSIFIED, "timeout"):
        v.status = says
        v.headline = headline(v, info, cell)
        return v
    row, missing = combine(expected, cell.client, says, facts)
    # A matched row makes the claim stand for the expected class: the
    # events must not contradict that class (else the claim's own class).
    v.problems = event_problems(expected if row else got, facts, info, family)
    if row:
        v.status, v.grade_row = row["grade"], row
        v.note = row.get("reason", "")
    elif missing:
        v.problems.append(f"the client says {says}, but the server recorded none of "
                          f"{sorted(set(missing))}")
    else:
        i = _deviation_row(cell.scenario, cell.client, cell.profile, expected, got)
        if i is not None:
            v.status, v.note, v.exception = "known", _reason(i), i
    if v.problems and v.status in PASSING:
        i = _problem_row(cell.scenario, cell.client, cell.profile, v.problems)
        if i is not None and v.status != "known":
            v.status, v.note, v.exception = "known", _reason(i), i
        else:
            v.status = "fail"
    v.headline = headline(v, info, cell)
    return v


def headline(v, info, cell):
    if v.expected != "ok" and v.got == "ok":
        return (f"CLIENT ACCEPTED what it should refuse: {info['scenario']['summary']} "
                f"(expected {v.expected})")
    if v.got == UNCLASSIFIED:
        return "unclassified client output (add a classifier row if it is a correct report)"
    if v.got == "timeout":
        return "client hung: a timeout never counts as rejecting anything"
    if v.status == "fail" and not v.problems:
        return f"reported {v.says} ({v.got or 'names no class'}), expected {v.expected}"
    if v.problems:
        return "server event disagrees: " + "; ".join(v.problems)
    return ""
