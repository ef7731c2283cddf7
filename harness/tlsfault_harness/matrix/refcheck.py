"""Judge a reference-server capture (tests/classify-ref/) from its raw
output alone: the client witness's claim must pass, with grades.toml, for
the truth the reference server was configured with (the fixture's
`failure` and `server` facts); a client accepting what it should refuse is
right only where exceptions.toml records that deviation."""
from .capture import REF, parse_header
from .classify import claim_class, witness
from .verdict import combine, known_deviation


def judge_ref(client, text):
    """(right?, claim, why)."""
    fields, body = parse_header(text)
    rc, failure = int(fields["rc"]), fields["failure"]
    facts = {f for f in fields.get("server", "").split(",") if f}
    says = witness(client, rc, body).says
    row, _ = combine(failure, client, says, facts)
    if row:
        return True, says, row["grade"]
    if known_deviation(fields["scenario"], client, "default", failure, claim_class(says)):
        return True, says, "known"
    return False, says, f"no grade for {failure} from {says} with server {sorted(facts)}"


def coverage(cells, ref_dir):
    """Per client: the (client, expected class) pairs a matrix ran, those a
    reference capture reproduces, and those whose captures all grade right.
    -> {client: {"pairs": set, "reproduced": set, "right": set}}"""
    from pathlib import Path
    out = {}
    for c in cells:
        if c["verdict"] in ("not-applicable", "not-installed"):
            continue
        out.setdefault(c["client"], {"pairs": set(), "reproduced": set(), "right": set()})
        out[c["client"]]["pairs"].add(c["expected"])
    results = {}
    for p in sorted(Path(ref_dir).glob("*/*.txt")):
        text = p.read_text()
        key = (p.parent.name, parse_header(text)[0]["failure"])
        results.setdefault(key, []).append(judge_ref(p.parent.name, text)[0])
    for client, d in out.items():
        for cls in d["pairs"]:
            if (client, cls) in results:
                d["reproduced"].add(cls)
                if all(results[(client, cls)]):
                    d["right"].add(cls)
    return out


def main(argv=None):
    """python3 -m tlsfault_harness.matrix.refcheck [build/report/matrix.json]"""
    import json
    import sys
    from ..paths import BUILD
    argv = sys.argv[1:] if argv is None else argv
    path = argv[0] if argv else BUILD / "report" / "matrix.json"
    cov = coverage(json.loads(open(path).read())["cells"], REF)
    tot_r = tot_ok = 0
    print(f"{'client':12} {'pairs':>5} {'reproduced':>10} {'right':>5}  not reproducible")
    for client, d in sorted(cov.items()):
        tot_r += len(d["reproduced"])
        tot_ok += len(d["right"])
        print(f"{client:12} {len(d['pairs']):5} {len(d['reproduced']):10} {len(d['right']):5}  "
              f"{', '.join(sorted(d['pairs'] - d['reproduced']))}")
        wrong = d["reproduced"] - d["right"]
        if wrong:
            print(f"{'':12} wrong: {', '.join(sorted(wrong))}")
    pct = 100.0 * tot_ok / tot_r if tot_r else 0.0
    print(f"right from raw output alone: {tot_ok}/{tot_r} reproduced pairs ({pct:.1f} %)")
    return 0 if tot_ok == tot_r else 1


if __name__ == "__main__":
    raise SystemExit(main())
