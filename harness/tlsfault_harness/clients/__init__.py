"""The client layer: one module per real client, each building its command
for any (target, profile, action) and running it (base.Client). The matrix
and the per-issue tests both use these; the programs some of them run live
in harness/clients/. A module of this package that defines CLIENT is a
client of the matrix: adding one touches no other file.

    from tlsfault_harness.clients import CLIENTS, Target
    r = CLIENTS["curl"].run(Target.of(suite, "https-valid"), "default")
"""
import importlib
import pkgutil

from .base import (Client, Command, Fetch, FtpGet, FtpList, FtpPut, Handshake, NotApplicable,
                   Outcome)
from .process import Result, run
from .target import Target, scenario_infos, vocabulary


def _discover():
    found = []
    for m in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{m.name}")
        if isinstance(getattr(mod, "CLIENT", None), Client):
            found.append(mod.CLIENT)
    # report column order; a client without one comes after, by name
    return {c.name: c for c in sorted(found, key=lambda c: (c.column, c.name))}


CLIENTS = _discover()


def run_client(suite, client, scenario, profile="default", action=None, **opts):
    """Run CLIENTS[client] against `scenario` in a running Suite (the
    per-issue tests' entry point; the matrix builds its targets itself)."""
    return CLIENTS[client].run(Target.of(suite, scenario), profile, action,
                               workdir=suite.workdir, **opts)

__all__ = ["CLIENTS", "Client", "Command", "Fetch", "FtpGet", "FtpList", "FtpPut", "Handshake",
           "NotApplicable", "Outcome", "Result", "Target", "run", "run_client", "scenario_infos",
           "vocabulary"]
