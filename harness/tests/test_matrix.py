"""`make test`'s slice of the matrix: curl, openssl and Python on every
scenario, judged like `make check` does, plus both mutation checks on it
(wrong expectations; the server witness's cause dropped or changed)."""
from tlsfault_harness.matrix import mutants
from tlsfault_harness.matrix.check import parse_args, run_matrix
from tlsfault_harness.clients import vocabulary

FAST_CLIENTS = "curl,openssl,python"


def test_fast_matrix_is_green_and_every_expectation_can_fail(tmp_path):
    args = parse_args(["--clients", FAST_CLIENTS, "--out", str(tmp_path), "--quiet"])
    infos, recs, cells, wall, families = run_matrix(args)
    ran = [c for c in cells if c["verdict"] not in ("not-applicable", "not-installed")]
    assert {c["scenario"] for c in ran} == set(infos), "every scenario has a cell"
    red = [f"{c['id']}: {c['headline']} {c['problems']}" for c in cells if c["verdict"] == "fail"]
    assert not red, "\n".join(red)
    broken = [f"{c['id']}: {c['note']}" for c in cells if c["verdict"] == "fixture-error"]
    assert not broken, "\n".join(broken)
    classes = vocabulary()
    survivors, _ = mutants.check(recs, infos, families, classes)
    assert not survivors
    sw = mutants.check_server(recs, infos, families)
    assert sw["cells"] > 0 and sw["mutants"] > sw["cells"]
    assert not sw["survivors"] and sw["red"] == sw["mutants"], sw["survivors"]
    assert sw["contradicted"] > 0 and sw["contradictions"] > sw["contradicted"]
    assert sw["contradictions_red"] + sw["deviations"] == sw["contradictions"]
