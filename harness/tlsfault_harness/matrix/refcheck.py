"""Judge a reference-server capture (tests/classify-ref/) from its raw
output alone: the client witness's claim must pass, with grades.toml, for
the truth the reference server was configured with (the fixture's
`failure` and `server` facts); a client accepting what it should refuse is
right only where exceptions.toml records that deviation."""
from .capture import parse_header
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
