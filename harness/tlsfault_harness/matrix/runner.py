"""Run cells in parallel: scenarios at once, the cells of one scenario one
after another, so each cell's server events are exactly the connections
its client made."""
import fnmatch
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .. import paths
from ..clients import CLIENTS, NotApplicable, Target
from .cell import Cell

EVENT_WAIT = 5.0   # for the first event of a cell after its client exits
EVENT_SETTLE = 0.15  # for any further connection it made (Java retries, Chromium)


def _matches(name, patterns):
    return not patterns or any(fnmatch.fnmatch(name, p) for p in patterns)


def named_profiles(info):
    """default plus every profile or workaround the scenario names."""
    out = ["default"]
    for key in info["expect"].get("variants", {}):
        kind, _, name = key.partition(".")
        if kind in ("profile", "workaround") and name not in out:
            out.append(name)
    return out


def plan(infos, scenarios=(), clients=(), protocols=()):
    """(cells to run, cells skipped with why: the client module's own
    NotApplicable)."""
    cells, skipped = [], []
    for name, info in sorted(infos.items()):
        proto = info["server"]["protocol"]
        if not _matches(name, scenarios) or not _matches(proto, protocols):
            continue
        for client, cl in CLIENTS.items():
            if not _matches(client, clients) or proto not in cl.protocols:
                continue
            probe = Target(name, proto, "", 0, paths.CERTS, info)
            for profile in named_profiles(info):
                cell = Cell(name, client, profile)
                try:
                    cl.check(probe, profile)
                    cells.append(cell)
                except NotApplicable as e:
                    skipped.append((cell, str(e)))
    return cells, skipped


class Runner:
    def __init__(self, suite, infos, workdir, jobs=4, progress=True):
        self.suite, self.infos, self.workdir = suite, infos, workdir
        self.jobs, self.progress = jobs, progress
        self._done = 0
        self._print_lock = threading.Lock()

    def target(self, scenario):
        info = self.infos[scenario]
        m = self.suite.manifest[scenario]
        return Target(scenario, info["server"]["protocol"], m["host"], m["port"],
                      self.suite.certs, info)

    def run_cell(self, cell):
        cl = CLIENTS[cell.client]
        rec = {"cell": cell}
        if not cl.installed():
            rec["status"] = "not-installed"
            return rec
        mark = self.suite.mark(cell.scenario)
        t0 = time.monotonic()
        try:
            rec["result"] = cl.run(self.target(cell.scenario), cell.profile,
                                   workdir=self.workdir)
            rec["status"] = "ran"
        except NotApplicable as e:
            rec["status"], rec["why"] = "not-applicable", str(e)
            return rec
        rec["seconds"] = round(time.monotonic() - t0, 3)
        rec["events"] = self._events(cell.scenario, mark)
        if not rec["events"]:
            why = self._not_serving(cell.scenario)
            if why:
                rec["fixture_error"] = why
        return rec

    def _events(self, scenario, mark):
        try:
            self.suite.events_after(scenario, mark, 1, EVENT_WAIT)
        except AssertionError:
            return []
        time.sleep(EVENT_SETTLE)
        return self.suite.events(scenario)[mark:]

    def _not_serving(self, scenario):
        """A cell with no server event: was anything serving it? Checked
        only then: the probe is a connection of its own, waited for so that
        its event is not taken for the next cell's."""
        if not self.suite.alive():
            return "the tlsfault server exited"
        t = self.target(scenario)
        mark = self.suite.mark(scenario)
        try:
            socket.create_connection((t.host, t.port), timeout=EVENT_WAIT).close()
        except OSError as e:
            return f"nothing listening on {t.host}:{t.port} ({e.strerror or e})"
        try:
            self.suite.events_after(scenario, mark, 1, EVENT_WAIT)
        except AssertionError:
            return f"the server logged no event for a probe connection to {t.host}:{t.port}"
        return None

    def _tick(self, total, rec):
        if not self.progress:
            return
        with self._print_lock:
            self._done += 1
            sys.stderr.write(f"\r[{self._done}/{total}] {rec['cell'].id:70.70}")
            sys.stderr.flush()

    def run(self, cells):
        """Each scenario is one task running its cells in order; the
        slowest (browser and JVM cells) start first."""
        by_scenario = {}
        for i, cell in enumerate(cells):
            by_scenario.setdefault(cell.scenario, []).append((i, cell))
        tasks = sorted(by_scenario.values(),
                       key=lambda t: -sum(CLIENTS[c.client].weight for _, c in t))

        def one_scenario(task):
            out = []
            for i, cell in task:
                rec = self.run_cell(cell)
                self._tick(len(cells), rec)
                out.append((i, rec))
            return out
        recs = [None] * len(cells)
        with ThreadPoolExecutor(self.jobs) as pool:
            for done in pool.map(one_scenario, tasks):
                for i, rec in done:
                    recs[i] = rec
        if self.progress:
            sys.stderr.write("\n")
        return recs
