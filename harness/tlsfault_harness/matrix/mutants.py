"""The mutation check: every expectation must be able to fail. For each run
cell, replace its expectation with every other class and judge the same
observed run again; an expectation under which some wrong class still
passes is reported. Classes a client cannot tell apart (classifiers.toml
[same]) are skipped and counted: no run can separate them."""
from .classify import same_as
from .verdict import judge

CLASSES_NEVER_EXPECTED = {"unclassified"}


def check(recs, infos, families, classes):
    """([(cell id, wrong class that still passed)], [(cell id, class the
    client cannot distinguish)]); no survivors = every expectation can fail."""
    survivors, indistinct = [], []
    for rec in recs:
        if rec["status"] != "ran":
            continue
        cell = rec["cell"]
        info = infos[cell.scenario]
        real = judge(rec, info, families[cell.client])
        for wrong in classes:
            if wrong == real.expected or wrong in CLASSES_NEVER_EXPECTED:
                continue
            same = same_as(cell.client, wrong)
            if (same and same[0] == real.got) or (wrong == real.got and real.note):
                # the client reports both alike, or this cell is a recorded
                # deviation whose observed class is the mutant itself
                indistinct.append((cell.id, wrong))
                continue
            v = judge(rec, info, families[cell.client], expected=wrong)
            if v.status in ("pass", "known"):
                survivors.append((cell.id, wrong))
    return survivors, indistinct
