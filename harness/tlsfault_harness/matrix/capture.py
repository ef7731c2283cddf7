"""Save real client outputs from a matrix.json as classifier fixtures:
tests/classify/CLIENT/SCENARIO--PROFILE.txt, each a small header (exit
code, the claim a reviewer accepted) and the output the client printed.

    python3 -m tlsfault_harness.matrix.capture build/report/matrix.json

Only exact or equivalent cells are saved: their claim was confirmed by the
server's event and the scenario's expectation, so a fixture is reviewed data."""
import json
import sys

from ..paths import ROOT

FIXTURES = ROOT / "tests" / "classify"
REF = ROOT / "tests" / "classify-ref"  # the reference corpus (refcorpus.py writes it)
MAX_OUTPUT = 6000


def fixture_text(cell):
    out = (cell["stdout"] or "")[-MAX_OUTPUT:] + "\n" + (cell["stderr"] or "")[-MAX_OUTPUT:]
    return f"rc: {cell['exit_code']}\nsays: {cell['says']}\n---\n{out}"


def parse_header(text):
    """({field: value}, body) of a fixture."""
    head, _, body = text.partition("\n---\n")
    return dict(line.split(": ", 1) for line in head.splitlines()), body


def parse_fixture(text):
    """(exit code, the claim the output makes, the output)."""
    fields, body = parse_header(text)
    return int(fields["rc"]), fields["says"], body


def main(path):
    cells = json.loads(open(path).read())["cells"]
    n = 0
    for c in cells:
        if c["verdict"] not in ("exact", "equivalent") or c["exit_code"] is None:
            continue
        d = FIXTURES / c["client"]
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{c['scenario']}--{c['profile']}.txt").write_text(fixture_text(c))
        n += 1
    print(f"{n} fixtures written under {FIXTURES}")


if __name__ == "__main__":
    main(sys.argv[1])
