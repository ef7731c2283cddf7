"""`harness/classify`: the classifier as a command (a stable interface,
see README "The classifier as a command").

    harness/classify --client CLIENT [--rc N] [--event FILE]
        [--expect CLASS | --scenario NAME [--profile P]] < OUTPUT

Reads a client's output (stdout and stderr together) on stdin and prints
one JSON object: the client witness (its claim, the class the claim names,
the rule that matched). With --event FILE (the cell's server events, one
JSON object a line, as `tlsfault serve --events` writes them) it adds the
server witness (its facts) and the combined grade, for the class given by
--expect or by the scenario's expectation (--scenario, default: the
scenario named in the events). Exit status: 0 when the output is
classified (and, with --event, the grade passes), 1 when not, 2 on bad
usage or input."""
import argparse
import json
import sys

from ..clients import Result
from .cell import Cell
from .classify import tables, witness
from .verdict import PASSING, expectation, judge

VERSION = 1  # the JSON object's "version": bumped only on an incompatible change


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="harness/classify", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--client", required=True, help="a client of classifiers.toml")
    ap.add_argument("--rc", type=int, default=None,
                    help="the client's exit code (rows that name one need it)")
    ap.add_argument("--event", help="file of the server's events for this run (JSON lines)")
    ap.add_argument("--expect", help="the class the run should report")
    ap.add_argument("--scenario", help="take the expectation from this scenario")
    ap.add_argument("--profile", default="default")
    return ap.parse_args(argv)


class BadInput(Exception):
    """Bad usage or input: exit status 2."""


def read_events(path):
    events = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    events.append(json.loads(line))
                except ValueError as e:
                    raise BadInput(f"{path}:{n}: not a JSON event: {e}") from None
    return events


def _info(scenario, expect):
    """A scenario's info (`tlsfault list --json`), or a minimal one when the
    expectation is given and the scenario is unknown."""
    from ..clients import scenario_infos
    infos = scenario_infos() if scenario else {}
    if scenario and scenario not in infos:
        if not expect:
            raise BadInput(f"unknown scenario {scenario!r}; give --expect")
        scenario = None
    if scenario:
        return infos[scenario]
    return {"scenario": {"name": "", "summary": ""}, "server": {"protocol": "https"},
            "expect": {"class": expect, "alert": "none", "variants": {}}}


def main(argv=None):
    try:
        return _main(argv)
    except (BadInput, OSError) as e:
        print(f"classify: {e}", file=sys.stderr)
        return 2


def _main(argv):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rules, _ = tables()
    if args.client not in rules:
        print(f"classify: unknown client {args.client!r}; one of {', '.join(rules)}",
              file=sys.stderr)
        return 2
    text = sys.stdin.buffer.read().decode("utf-8", "replace")
    cw = witness(args.client, args.rc, text)
    out = {"version": VERSION, "client": args.client, "rc": args.rc, "says": cw.says,
           "class": cw.cls or None, "rule": cw.rule.describe() if cw.rule else None}
    ok = cw.rule is not None
    if args.event:
        events = read_events(args.event)
        scenario = args.scenario or next((e.get("scenario") for e in events
                                          if e.get("scenario")), None)
        info = _info(scenario, args.expect)
        from ..clients import CLIENTS
        family = CLIENTS[args.client].family if args.client in CLIENTS else ""
        rec = {"cell": Cell(scenario or "", args.client, args.profile), "status": "ran",
               "result": Result([], args.rc, text, ""), "events": events}
        expected = args.expect or expectation(info, args.client, args.profile)
        v = judge(rec, info, family, expected=expected)
        out.update(expected=expected, server=v.server, grade=v.status, reason=v.note or None,
                   problems=v.problems, grade_rule=v.grade_row)
        ok = v.status in PASSING
    print(json.dumps(out, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
