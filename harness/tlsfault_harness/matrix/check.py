"""`make check`: every scenario x every client x the profiles each scenario
names, reports in build/report/. Exit status: 0 when no cell is red or a
fixture error (and, with --baseline, no cell changed verdict), 1 otherwise.

    python3 -m tlsfault_harness.matrix.check [--scenarios GLOBS] [--clients GLOBS]
        [--protocols GLOBS] [--out DIR] [--jobs N] [--baseline matrix.json] [--mutants]
"""
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from .. import paths
from ..suite import Suite
from . import mutants, report
from ..clients import CLIENTS, scenario_infos, vocabulary
from .runner import Runner, plan
from .verdict import judge, stale_exceptions


def _globs(s):
    return [g for g in (s or "").replace(",", " ").split() if g]


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="make check", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenarios", default=os.environ.get("SCENARIOS", ""))
    ap.add_argument("--clients", default=os.environ.get("CLIENTS", ""))
    ap.add_argument("--protocols", default=os.environ.get("PROTOCOLS", ""))
    ap.add_argument("--out", default=str(paths.BUILD / "report"))
    ap.add_argument("--jobs", type=int, default=max(2, (os.cpu_count() or 2) * 2))
    ap.add_argument("--baseline", default=os.environ.get("BASELINE") or None)
    ap.add_argument("--mutants", action="store_true", help="also run the mutation check")
    ap.add_argument("--quiet", action="store_true")
    return ap.parse_args(argv)


def baseline_changes(cells, path):
    old = {c["id"]: c["verdict"] for c in json.loads(Path(path).read_text())["cells"]}
    # A report from before graded verdicts says "pass" for exact or equivalent.
    legacy = "pass" in old.values()

    def same(was, now):
        return was == now or (legacy and was == "pass" and now in ("exact", "equivalent"))
    return [(c["id"], old.get(c["id"], "absent"), c["verdict"]) for c in cells
            if not same(old.get(c["id"], "absent"), c["verdict"])]


def run_matrix(args, log=print):
    infos = scenario_infos()
    cells, skipped = plan(infos, _globs(args.scenarios), _globs(args.clients),
                          _globs(args.protocols))
    families = {name: cl.family for name, cl in CLIENTS.items()}
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tlsfault-check-") as tmp, \
            Suite(workdir=tmp) as suite:
        shots = Path(args.out) / "screens"
        shots.mkdir(parents=True, exist_ok=True)
        runner = Runner(suite, infos, Path(args.out), jobs=args.jobs,
                        progress=not args.quiet and sys.stderr.isatty())
        recs = runner.run(cells)
    wall = time.monotonic() - t0
    recs += [{"cell": c, "status": "not-applicable", "why": why} for c, why in skipped]
    cells_out = [report.cell_record(r, judge(r, infos[r["cell"].scenario],
                                             families[r["cell"].client])) for r in recs]
    return infos, recs, cells_out, wall, families


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    if not paths.SERVER.exists():
        print("check: build/tlsfault missing; run make", file=sys.stderr)
        return 2
    infos, recs, cells, wall, families = run_matrix(args)
    stale = stale_exceptions(cells)
    meta = report.write_all(cells, args.out, {
        "wall_seconds": round(wall, 2), "jobs": args.jobs,
        "stale_exceptions": [dict(row, index=i) for i, row in stale]})
    if not args.quiet:
        print(report.terminal(cells))
    for i, row in stale:
        print(f"STALE exceptions.toml [[known]] row {i + 1} ({row['scenario']}, "
              f"{','.join(row['clients'])}, {row.get('problem') or row['expected']}): its cells "
              "ran and none of them needed it")
    print(f"\n{meta['summary']} in {wall:.1f}s; reports in {args.out}/ "
          "(matrix.json, junit.xml, index.html)")
    # A fixture error is not green either: the cell was not judged.
    rc = 0 if not any(c["verdict"] in report.RED + ("fixture-error",) for c in cells) else 1
    if args.baseline:
        changes = baseline_changes(cells, args.baseline)
        for cid, old, new in changes:
            print(f"CHANGED {cid}: {old} -> {new}")
        rc = rc or (1 if changes else 0)
    if args.mutants:
        classes = vocabulary()
        surv, indistinct = mutants.check(recs, infos, families, classes)
        n = sum(1 for r in recs if r["status"] == "ran")
        print(f"mutation check: {n} cells x {len(classes) - 1} wrong classes; "
              f"{len(surv)} expectation(s) that cannot fail; {len(indistinct)} mutant(s) "
              "skipped because the client reports both classes alike (equivalent rows)")
        for cid, wrong in surv:
            print(f"  SURVIVED {cid} with expectation {wrong}")
        sw = mutants.check_server(recs, infos, families)
        print(f"server-witness mutation: {sw['cells']} passing cells rest on a recorded cause; "
              f"{sw['mutants']} mutants (cause dropped or changed), {sw['red']} turned red; "
              f"{sw['independent']} cells need no cause (the client named the failure); "
              f"{sw['contradicted']} passing cells contradicted ({sw['contradictions']} mutants: "
              f"a fact consistency.toml forbids added, or one it requires dropped), "
              f"{sw['contradictions_red']} turned red, {sw['deviations']} became a recorded "
              f"deviation (exceptions.toml problem rows); {len(sw['survivors'])} survived")
        for cid, how in sw["survivors"]:
            print(f"  SURVIVED {cid} with server witness {how}")
        rc = rc or (1 if surv or sw["survivors"] else 0)
    return rc


if __name__ == "__main__":
    sys.exit(main())
