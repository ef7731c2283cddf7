"""The shape issue 11 gave the server, held so a later change cannot quietly undo it:
the connection core knows no fault and no TLS-context code, and `struct conn` is
private to conn.c (front-ends and hooks use conn.h's functions)."""
import re

from tlsfault_harness import paths

SERVERS = paths.ROOT / "servers"


def includes(path):
    return set(re.findall(r'^#include "([^"]+)"', path.read_text(), re.M))


def test_the_connection_core_includes_neither_faults_nor_tlsctx():
    for name in ("conn.c", "conn.h"):
        assert not includes(SERVERS / name) & {"faults.h", "tlsctx.h"}, name


def test_struct_conn_is_defined_only_in_conn_c():
    defined = [p.name for p in sorted(SERVERS.glob("*.[ch]"))
               if re.search(r"^struct conn \{", p.read_text(), re.M)]
    assert defined == ["conn.c"]
