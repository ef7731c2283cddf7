"""The mutation check: every verdict must be able to fail.

Expectations: for each run cell, replace its expectation with every other
class and judge the same observed run again; an expectation under which
some wrong class still passes (exact or known) is reported. A mutant that
passes only through an `equivalent` row of grades.toml is counted apart:
the client reports both classes alike, and the row says why.

Server witness: for each passing cell whose grades.toml row needs a fact of
the server's (server != "*"), drop that recorded cause, and replace it by
every other cause (witness.CAUSES); each mutant must turn the cell red.
Every passing cell, "*" rows included, is also contradicted: each fact
consistency.toml forbids for its class added, each it requires dropped;
each of those mutants must turn it red too."""
from . import witness
from .verdict import PASSING, forbidden_required, judge, known_problem, _wants

CLASSES_NEVER_EXPECTED = {"unclassified"}


def _judged(recs, infos, families):
    """(record, cell, scenario info, real verdict) of every cell that ran."""
    for rec in recs:
        if rec["status"] == "ran":
            cell = rec["cell"]
            info = infos[cell.scenario]
            yield rec, cell, info, judge(rec, info, families[cell.client])


def check(recs, infos, families, classes):
    """([(cell id, wrong class that still passed)], [(cell id, class the
    client cannot distinguish)]); no survivors = every expectation can fail."""
    survivors, indistinct = [], []
    for rec, cell, info, real in _judged(recs, infos, families):
        for wrong in classes:
            if wrong == real.expected or wrong in CLASSES_NEVER_EXPECTED:
                continue
            v = judge(rec, info, families[cell.client], expected=wrong)
            equivalent = (v.grade_row or {}).get("grade") == "equivalent"
            if equivalent or (wrong == real.got and real.note):
                # the client reports both alike (a declared equivalence), or
                # this cell is a recorded deviation whose class is the mutant
                indistinct.append((cell.id, wrong))
            elif v.status in ("exact", "known"):
                survivors.append((cell.id, wrong))
    return survivors, indistinct


def server_mutants(facts, wants):
    """(label, mutated facts): the recorded cause dropped, or changed to
    every other cause."""
    cause = set(wants) & facts
    base = facts - cause
    yield f"dropped {sorted(cause)}", base
    for other in witness.CAUSES:
        if other not in wants:
            yield f"changed {sorted(cause)} to {other}", base | {other}


def contradictions(facts, expected, ftps):
    """(label, mutated facts): a fact consistency.toml forbids for the
    class added, or one it requires dropped."""
    forbid, require = forbidden_required(expected, ftps)
    for fact in forbid:
        if fact not in facts:
            yield f"added {fact}", facts | {fact}
    for fact in require:
        if fact in facts:
            yield f"dropped {fact}", facts - {fact}


def check_server(recs, infos, families):
    """Mutate the server witness of every passing cell: its recorded cause
    (where its grade rests on one) and its consistency facts; every mutant
    must turn the cell red."""
    out = {"cells": 0, "mutants": 0, "red": 0, "survivors": [], "independent": 0,
           "contradicted": 0, "contradictions": 0, "contradictions_red": 0, "deviations": 0}
    for rec, cell, info, real in _judged(recs, infos, families):
        if real.status not in PASSING or not real.grade_row:
            continue
        facts = set(real.server)
        ftps = info["server"]["protocol"].startswith("ftps")
        out["contradicted"] += 1
        for label, mutated in contradictions(facts, real.expected, ftps):
            out["contradictions"] += 1
            v = judge(rec, info, families[cell.client], facts=mutated)
            if _recorded_problem(cell, v):
                out["deviations"] += 1
            elif v.status in PASSING:
                out["survivors"].append((cell.id, label))
            else:
                out["contradictions_red"] += 1
        wants = _wants(real.grade_row["server"])
        if wants == ["*"]:
            out["independent"] += 1
            continue
        out["cells"] += 1
        for label, mutated in server_mutants(facts, wants):
            out["mutants"] += 1
            v = judge(rec, info, families[cell.client], facts=mutated)
            if v.status in PASSING:
                out["survivors"].append((cell.id, label))
            else:
                out["red"] += 1
    return out


def _recorded_problem(cell, v):
    """The mutant made exactly a problem that an exceptions.toml `problem`
    row records for this client (amber with its reason, never green)."""
    return v.status == "known" and v.problems and v.note == known_problem(
        cell.scenario, cell.client, cell.profile, v.problems)
