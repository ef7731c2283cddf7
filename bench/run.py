#!/usr/bin/python3
"""`make bench`: tlsfault against the wolfCrypt floor and nginx, side by side.

Everything runs on 127.0.0.1, bounded in count and time (a few minutes), and
writes build/bench/results.md and build/bench/results.json. The measuring
programs are C (bench/tfload.c, bench/floor.c); this script only starts
processes, reads /proc and writes the reports.

  CPU per full handshake  server utime+stime (/proc/PID/stat) before/after
                          N handshakes from tfload (K at a time, no session
                          reuse), per (cert, TLS version); R interleaved rounds
                          with the floor measured in each, medians reported.
  floor                   private-key op + ECDHE P-256 (bench/floor.c).
  nginx                   the same load against nginx (OpenSSL), started here.
  memory                  VmRSS idle and with IDLE idle TLS connections.
  cold start              exec of `tlsfault serve --all` to its manifest.
  isolation               what one worker process per scenario costs: processes,
                          summed VmRSS and PSS (/proc/PID/smaps_rollup: shared pages
                          counted once) of the supervisor and its workers after
                          `serve --all`; with BENCH_BASELINE_SERVER=PATH (e.g. a
                          build of the single-process server) the same for it, and
                          its cold start, side by side.
  matrix                  `make check` wall time against the clients' bare
                          start times divided by the cores.

Knobs (environment): BENCH_ROUNDS=3 BENCH_N_RSA=1000 BENCH_N_ECDSA=3000
BENCH_K=32 BENCH_IDLE=1000 BENCH_COLD_RUNS=9 BENCH_MATRIX=1 (0: skip make check)
BENCH_BASELINE_SERVER= BENCH_ONLY= (isolation: only cold start and isolation).
"""
import json
import os
import platform
import pwd
import grp
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
B = ROOT / "build"
OUT = B / "bench"
CERTS = B / "certs"
BUILT_SERVER = B / "tlsfault"
SERVER = OUT / "tlsfault"  # a copy taken at the start: one binary for the whole run
TFLOAD = OUT / "tfload"
FLOOR = OUT / "floor"
SCEN = ROOT / "bench" / "scenarios"

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
N_RSA = int(os.environ.get("BENCH_N_RSA", "1000"))
N_ECDSA = int(os.environ.get("BENCH_N_ECDSA", "3000"))
K = int(os.environ.get("BENCH_K", "32"))
IDLE = int(os.environ.get("BENCH_IDLE", "1000"))
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "9"))
MATRIX = os.environ.get("BENCH_MATRIX", "1") != "0"
BASELINE = os.environ.get("BENCH_BASELINE_SERVER") or None
ONLY = os.environ.get("BENCH_ONLY", "")

TICK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1

# (id, cert, scenario, tls, cipher for tfload, sigalgs, count)
CONFIGS = [
    ("rsa-tls12", "RSA-2048", "bench-rsa", "1.2", "ECDHE-RSA-AES128-GCM-SHA256", "RSA-PSS+SHA256", N_RSA),
    ("rsa-tls13", "RSA-2048", "bench-rsa", "1.3", "TLS13-AES128-GCM-SHA256", "RSA-PSS+SHA256", N_RSA),
    ("ecdsa-tls12", "ECDSA P-256", "bench-ecdsa", "1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDSA+SHA256",
     N_ECDSA),
    ("ecdsa-tls13", "ECDSA P-256", "bench-ecdsa", "1.3", "TLS13-AES128-GCM-SHA256", "ECDSA+SHA256", N_ECDSA),
]
TARGET_FLOOR = 1.15
TARGET_CONN_KIB = 48
TARGET_COLD_MS = 50

CLIENTS = [
    ("curl", ["curl", "--version"]),
    ("openssl", ["openssl", "version"]),
    ("java", ["java", "-version"]),
    ("node", ["node", "--version"]),
    ("python3", ["/usr/bin/python3", "-c", "pass"]),
    ("gnutls-cli", ["gnutls-cli", "--version"]),
    ("lftp", ["lftp", "--version"]),
    ("wget", ["wget", "--version"]),
]


def log(msg):
    print(f"bench: {msg}", flush=True)


# ---- /proc -------------------------------------------------------------------
def proc_cpu(pid):
    """utime+stime in seconds (/proc/PID/stat) and run time in ns (schedstat,
    summed over threads) of one process."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    user, sys_ = int(rest[11]) / TICK, int(rest[12]) / TICK
    ns = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                ns += int(f.read().split()[0])
        except OSError:
            pass
    return user, sys_, ns


def procs_cpu(pids):
    """(user s, system s, run-time ns) summed over pids."""
    tot = [0.0, 0.0, 0]
    for p in pids:
        for i, v in enumerate(proc_cpu(p)):
            tot[i] += v
    return tot


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pss_kib(pid):
    """Proportional set size: pages shared by the workers (forked from one
    supervisor, copy-on-write) are split among them, not counted N times."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc, sig=signal.SIGTERM):
    """Stop a child we started, by its PID."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---- servers -----------------------------------------------------------------
class Tlsfault:
    name = "tlsfault"

    def __init__(self):
        self.manifest = OUT / "tlsfault-manifest.json"
        self.proc = None
        self.ports = {}

    def start(self):
        self.manifest.unlink(missing_ok=True)
        argv = [str(SERVER), "serve", "--scenarios", str(SCEN), "--certs", str(CERTS), "--all",
                "--port-base", "0", "--manifest", str(self.manifest), "--data", str(OUT / "data")]
        self.log = open(OUT / "tlsfault.log", "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=ROOT)
        deadline = time.monotonic() + 10
        while not self.manifest.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench: tlsfault did not start; see {OUT / 'tlsfault.log'}")
            time.sleep(0.005)
        m = json.loads(self.manifest.read_text())
        self.ports = {k: v["port"] for k, v in m.items()}
        return self

    def pids(self):
        """The supervisor and its workers: relaying events is part of the cost."""
        return [self.proc.pid] + children(self.proc.pid)

    def worker(self, scenario):
        """The worker process that serves (and holds the connections of) scenario."""
        return json.loads(self.manifest.read_text())[scenario]["pid"]

    def port(self, scenario):
        return self.ports[scenario]

    def stop(self):
        stop(self.proc)
        self.log.close()


class Nginx:
    name = "nginx"

    def __init__(self):
        self.proc = None
        self.ports = {}

    def start(self):
        self.ports = {"bench-rsa": free_port(), "bench-ecdsa": free_port()}
        (OUT / "nginx-tmp").mkdir(exist_ok=True)
        user_line = ""
        if os.geteuid() == 0:  # else nginx ignores `user`; either way: the current user
            u = pwd.getpwuid(os.getuid()).pw_name
            g = grp.getgrgid(os.getgid()).gr_name
            user_line = f"user {u} {g};"
        conf = (ROOT / "bench" / "nginx.conf.in").read_text()
        for k, v in {"@USER_LINE@": user_line, "@DIR@": str(OUT), "@CERTS@": str(CERTS),
                     "@PORT_RSA@": str(self.ports["bench-rsa"]),
                     "@PORT_ECDSA@": str(self.ports["bench-ecdsa"])}.items():
            conf = conf.replace(k, v)
        path = OUT / "nginx.conf"
        path.write_text(conf)
        for f in ("nginx-error.log", "nginx-access.log", "nginx.pid"):
            (OUT / f).unlink(missing_ok=True)
        self.proc = subprocess.Popen(["nginx", "-c", str(path), "-p", str(OUT), "-e",
                                      str(OUT / "nginx-error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = (OUT / "nginx-error.log")
                raise SystemExit("bench: nginx did not start: " +
                                 (err.read_text()[-2000:] if err.exists() else "?"))
            if children(self.proc.pid) and all(self._listening(p) for p in self.ports.values()):
                break
            time.sleep(0.02)
        return self

    @staticmethod
    def _listening(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    def pids(self):
        return [self.proc.pid] + children(self.proc.pid)

    def worker(self):
        return children(self.proc.pid)[0]

    def port(self, scenario):
        return self.ports[scenario]

    def stop(self):
        stop(self.proc, signal.SIGQUIT)  # graceful; then the master exits


def version_of(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


# ---- load --------------------------------------------------------------------
def tfload(mode, port, cfg, n, extra=()):
    _, _, _, tls, cipher, sigalgs, _ = cfg
    return [str(TFLOAD), mode, "--port", str(port), "--tls", tls, "--cipher", cipher,
            "--sigalgs", sigalgs, "--ca", str(CERTS / "ca.pem"), "-n", str(n), "-c", str(K),
            "--max-seconds", "60", *extra]


def handshakes(server, cfg, n):
    pids = server.pids()
    before = procs_cpu(pids)
    r = subprocess.run(tfload("handshake", server.port(cfg[2]), cfg, n), capture_output=True,
                       text=True, timeout=120)
    after = procs_cpu(pids)
    try:
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise SystemExit(f"bench: tfload failed ({cfg[0]} vs {server.name}): {r.stderr}")
    ok = res["ok"]
    res["server_user_s"] = after[0] - before[0]
    res["server_sys_s"] = after[1] - before[1]
    res["server_cpu_s"] = res["server_user_s"] + res["server_sys_s"]
    res["server_sched_ns"] = after[2] - before[2]
    res["us_per_handshake"] = res["server_cpu_s"] / ok * 1e6 if ok else None
    res["user_us_per_handshake"] = res["server_user_s"] / ok * 1e6 if ok else None
    res["sys_us_per_handshake"] = res["server_sys_s"] / ok * 1e6 if ok else None
    res["sched_us_per_handshake"] = res["server_sched_ns"] / ok / 1e3 if ok else None
    if res["failed"] or res["resumed"] or ok != n:
        log(f"WARNING {cfg[0]} vs {server.name}: ok={ok} failed={res['failed']} "
            f"resumed={res['resumed']} first_error={res['first_error']}")
    return res


FLOOR_OPS = "rsa_pss_sign,ecdsa_p256_sign,ecdhe_p256"


def floor(ops=FLOOR_OPS, seconds=0.45):
    r = subprocess.run([str(FLOOR), "--rsa-key", str(CERTS / "leaf-valid.key"), "--ecc-key",
                        str(CERTS / "leaf-ecdsa.key"), "--seconds", str(seconds), "--ops", ops],
                       capture_output=True, text=True, timeout=60, check=True)
    us = {k: v["us"] for k, v in json.loads(r.stdout)["us"].items()}
    if "rsa_pss_sign" in us and "ecdhe_p256" in us:
        us["rsa"] = us["rsa_pss_sign"] + us["ecdhe_p256"]
        us["ecdsa"] = us["ecdsa_p256_sign"] + us["ecdhe_p256"]
    return us


def openssl_floor():
    """OpenSSL's own speed for the same operations (context for nginx)."""
    r = subprocess.run(["openssl", "speed", "-mr", "-seconds", "1", "rsa2048", "ecdsap256",
                        "ecdhp256"], capture_output=True, text=True, timeout=60)
    out = {}
    for line in r.stdout.splitlines():
        f = line.split(":")
        if line.startswith("+F2:") and f[2] == "2048":
            out["rsa2048_sign_us"] = 1e6 / float(f[3])
        elif line.startswith("+F4:") and f[2] == "256":
            out["ecdsa_p256_sign_us"] = 1e6 / float(f[3])
        elif line.startswith("+F5:") and f[2] == "256":
            out["ecdh_p256_derive_us"] = 1e6 / float(f[3])
    return out


def floor_key(cfg):
    return "rsa" if cfg[1].startswith("RSA") else "ecdsa"


def cpu_rounds(servers):
    """Every run sits between two floor measurements; its floor is their mean,
    so a machine that speeds up or slows down (shared, virtual) moves both."""
    rounds = []
    prev = floor()
    for r in range(ROUNDS):
        rnd = {"floor": {}, "runs": {}}
        for cfg in CONFIGS:
            for s in servers:
                res = handshakes(s, cfg, cfg[6])
                nxt = floor()
                fk = floor_key(cfg)
                res["floor_us"] = (prev[fk] + nxt[fk]) / 2
                prev = nxt
                rnd["runs"][f"{cfg[0]}/{s.name}"] = res
                log(f"round {r + 1}/{ROUNDS} {cfg[0]:12} {s.name:8} "
                    f"{res['us_per_handshake']:8.1f} us/handshake "
                    f"(user {res['user_us_per_handshake']:.1f}, sys {res['sys_us_per_handshake']:.1f}; "
                    f"floor {res['floor_us']:.1f})")
                for k, v in nxt.items():
                    rnd["floor"].setdefault(k, []).append(v)
        rnd["floor"] = {k: statistics.median(v) for k, v in rnd["floor"].items()}
        rounds.append(rnd)
    return rounds


def summarise_cpu(rounds):
    rows = []
    for cfg in CONFIGS:
        fk = floor_key(cfg)
        runs_tf = [r["runs"][f"{cfg[0]}/tlsfault"] for r in rounds]
        runs_ng = [r["runs"][f"{cfg[0]}/nginx"] for r in rounds]
        tf = [x["us_per_handshake"] for x in runs_tf]
        ng = [x["us_per_handshake"] for x in runs_ng]
        fl = [x["floor_us"] for x in runs_tf]
        fl_ng = [x["floor_us"] for x in runs_ng]
        first = rounds[0]["runs"][f"{cfg[0]}/tlsfault"]
        first_ng = rounds[0]["runs"][f"{cfg[0]}/nginx"]
        rows.append({
            "config": cfg[0], "cert": cfg[1], "tls": cfg[3],
            "negotiated": f"{first['version']} {first['cipher']}",
            "group": first["group"], "sigalg": cfg[5],
            "handshakes_per_run": cfg[6], "concurrency": K, "rounds": ROUNDS,
            "tlsfault_us": statistics.median(tf), "nginx_us": statistics.median(ng),
            "floor_us": statistics.median(fl),
            # Ratios per round (the floor measured next to the load), then the median.
            "tlsfault_user_us": statistics.median(x["user_us_per_handshake"] for x in runs_tf),
            "tlsfault_sys_us": statistics.median(x["sys_us_per_handshake"] for x in runs_tf),
            "nginx_user_us": statistics.median(x["user_us_per_handshake"] for x in runs_ng),
            "nginx_sys_us": statistics.median(x["sys_us_per_handshake"] for x in runs_ng),
            "ratio_floor": statistics.median(t / f for t, f in zip(tf, fl)),
            "ratio_floor_min": min(t / f for t, f in zip(tf, fl)),
            "ratio_floor_max": max(t / f for t, f in zip(tf, fl)),
            "nginx_ratio_floor": statistics.median(n / f for n, f in zip(ng, fl_ng)),
            "ratio_nginx": statistics.median(t / n for t, n in zip(tf, ng)),
            "ratio_nginx_min": min(t / n for t, n in zip(tf, ng)),
            "ratio_nginx_max": max(t / n for t, n in zip(tf, ng)),
            "tlsfault_us_rounds": tf, "nginx_us_rounds": ng, "floor_us_rounds": fl,
            "tickets_tlsfault": first["sessions_with_ticket"],
            "tickets_nginx": first_ng["sessions_with_ticket"],
        })
    return rows


# ---- memory ------------------------------------------------------------------
def idle_memory(server, pid, cfg):
    base = rss_kib(pid)
    p = subprocess.Popen(tfload("hold", server.port(cfg[2]), cfg, IDLE), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().split()
    held = int(line[1]) if len(line) >= 2 and line[0] == "ready" else 0
    time.sleep(0.3)  # let the server finish with the last connections
    loaded = rss_kib(pid)
    p.stdin.write("release\n")
    p.stdin.close()
    out = p.stdout.read()
    p.wait(30)
    try:
        res = json.loads(out.strip().splitlines()[-1])
    except (IndexError, ValueError):
        res = {}
    return {"rss_idle_kib": base, "rss_loaded_kib": loaded, "connections": held,
            "per_conn_kib": (loaded - base) / held if held else None,
            "version": res.get("version"), "cipher": res.get("cipher")}


# ---- cold start --------------------------------------------------------------
def cold_start(server=None):
    server = server or SERVER
    runs = []
    n_listeners = 0
    for i in range(COLD_RUNS):
        man = OUT / f"cold-manifest.json"
        man.unlink(missing_ok=True)
        argv = [str(server), "serve", "--all", "--port-base", "0", "--manifest", str(man),
                "--data", str(OUT / "cold-data")]
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL, cwd=ROOT)
        while not man.exists():
            if p.poll() is not None:
                raise SystemExit("bench: tlsfault serve --all exited during cold start")
            if time.perf_counter() - t0 > 10:
                stop(p)
                raise SystemExit("bench: no manifest after 10 s")
            time.sleep(0.0002)
        runs.append((time.perf_counter() - t0) * 1e3)
        n_listeners = len(json.loads(man.read_text()))
        stop(p)
    # The same exec that only loads the scenario files: the part of the start
    # that is not listeners and TLS contexts.
    lst = []
    for i in range(COLD_RUNS):
        t0 = time.perf_counter()
        subprocess.run([str(server), "list"], stdout=subprocess.DEVNULL, cwd=ROOT, check=True)
        lst.append((time.perf_counter() - t0) * 1e3)
    # Python's own spawn+wait of a trivial program (measurement overhead).
    tru = []
    for i in range(COLD_RUNS):
        t0 = time.perf_counter()
        subprocess.run(["/bin/true"], check=True)
        tru.append((time.perf_counter() - t0) * 1e3)
    scen = subprocess.run([str(server), "list", "--json"], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    n_scen = len(json.loads(scen.stdout)["scenarios"])
    return {"median_ms": statistics.median(runs), "min_ms": min(runs), "max_ms": max(runs),
            "runs_ms": runs, "listeners": n_listeners, "scenarios": n_scen,
            "list_median_ms": statistics.median(lst), "spawn_true_median_ms": statistics.median(tru)}


# ---- isolation -----------------------------------------------------------------
def footprint(server):
    """Processes and memory of `serve --all` at rest, summed over the server's
    process tree (the supervisor and its workers, or the one process)."""
    man = OUT / "footprint-manifest.json"
    man.unlink(missing_ok=True)
    p = subprocess.Popen([str(server), "serve", "--all", "--port-base", "0", "--manifest",
                          str(man), "--data", str(OUT / "cold-data")], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, cwd=ROOT)
    try:
        deadline = time.monotonic() + 10
        while not man.exists():
            if p.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench: {server} serve --all did not start")
            time.sleep(0.005)
        time.sleep(0.5)  # every worker past its start
        pids = [p.pid] + children(p.pid)
        rss = {pid: rss_kib(pid) for pid in pids}
        pss = {pid: pss_kib(pid) for pid in pids}
    finally:
        stop(p)
    workers = pids[1:]
    return {"processes": len(pids), "rss_sum_kib": sum(rss.values()),
            "pss_sum_kib": sum(pss.values()), "main_rss_kib": rss[p.pid],
            "main_pss_kib": pss[p.pid],
            "worker_pss_median_kib": statistics.median(pss[w] for w in workers) if workers else None,
            "worker_rss_median_kib": statistics.median(rss[w] for w in workers) if workers else None}


def isolation(cold):
    out = {"tlsfault": footprint(SERVER)}
    out["tlsfault"]["cold_median_ms"] = cold["median_ms"]
    if BASELINE:
        base = Path(BASELINE)
        out["baseline"] = footprint(base)
        out["baseline"]["cold_median_ms"] = cold_start(base)["median_ms"]
        out["baseline"]["server"] = str(base)
    return out


# ---- matrix ------------------------------------------------------------------
def bare_starts():
    out = {}
    for name, argv in CLIENTS:
        if not shutil.which(argv[0]):
            out[name] = None
            continue
        t = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL, timeout=60)
            t.append((time.perf_counter() - t0) * 1e3)
        out[name] = statistics.median(t)
    return out


def make_check_present():
    r = subprocess.run(["make", "-n", "--no-print-directory", "check"], cwd=ROOT,
                       capture_output=True, text=True)
    text = r.stdout + r.stderr
    return r.returncode == 0 and "Nothing to be done" not in text and text.strip() != ""


def matrix(n_scenarios):
    starts = bare_starts()
    total = sum(v for v in starts.values() if v is not None)
    res = {"client_start_ms": starts, "sum_ms": total, "cores": CORES,
           "floor_ms": total / CORES,
           "floor_all_scenarios_ms": total * n_scenarios / CORES,
           "make_check": None}
    if not make_check_present():
        res["make_check"] = "n/a: make check not present"
        return res
    if not MATRIX:
        res["make_check"] = "n/a: skipped (BENCH_MATRIX=0)"
        return res
    log("make check (the matrix) ...")
    t0 = time.perf_counter()
    r = subprocess.run(["make", "--no-print-directory", "check"], cwd=ROOT,
                       stdout=open(OUT / "make-check.log", "wb"), stderr=subprocess.STDOUT)
    wall = (time.perf_counter() - t0) * 1e3
    res["make_check"] = {"wall_ms": wall, "exit": r.returncode,
                         "ratio_floor": wall / res["floor_ms"],
                         "ratio_floor_all_scenarios": wall / res["floor_all_scenarios_ms"]}
    return res


# ---- report ------------------------------------------------------------------
def fmt(v, nd=1):
    return "n/a" if v is None else f"{v:.{nd}f}"


def write_md(r):
    L = []
    env = r["env"]
    L.append("# tlsfault benchmark\n")
    L.append(f"{env['date']} · {env['cpu']} · {env['cores']} cores · Linux {env['kernel']} · "
             f"load average {env['load_before']} before, {env['load_after']} after · "
             f"wolfSSL {env['wolfssl']} · {env['nginx']} with {env['openssl']}\n")
    L.append(f"Command: `{env['command']}` ({env['wall_s']:.0f} s). 127.0.0.1 only. The server is "
             f"a copy of build/tlsfault taken at the start (build/bench/tlsfault).\n")
    L.append("## CPU per full handshake (server utime+stime / handshakes)\n")
    L.append(f"Load: bench/tfload (wolfSSL client, {K} connections in flight, no session reuse, "
             f"close_notify then wait for the server's close); median of {ROUNDS} interleaved "
             f"rounds; every run sits between two floor measurements and is compared with their "
             f"mean (ratios are per run, then the median; min–max shows the spread). Floor = private-key op + ECDHE P-256 "
             f"(key generation, peer point import, shared secret), wolfCrypt, same keys.\n")
    L.append("| cert | TLS | suite | group | sig | handshakes/run | tlsfault µs (user+sys) | "
             "floor µs | tlsfault/floor (min–max) | nginx µs (user+sys) | tlsfault/nginx (min–max) | "
             "≤1.15×floor | ≤nginx |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for c in r["cpu"]:
        L.append(f"| {c['cert']} | {c['tls']} | {c['negotiated'].split(' ', 1)[1]} | {c['group']} | "
                 f"{c['sigalg']} | {c['handshakes_per_run']} | {fmt(c['tlsfault_us'])} "
                 f"({fmt(c['tlsfault_user_us'], 0)}+{fmt(c['tlsfault_sys_us'], 0)}) | "
                 f"{fmt(c['floor_us'])} | {fmt(c['ratio_floor'], 2)} "
                 f"({fmt(c['ratio_floor_min'], 2)}–{fmt(c['ratio_floor_max'], 2)}) | "
                 f"{fmt(c['nginx_us'])} ({fmt(c['nginx_user_us'], 0)}+{fmt(c['nginx_sys_us'], 0)}) | "
                 f"{fmt(c['ratio_nginx'], 2)} ({fmt(c['ratio_nginx_min'], 2)}–"
                 f"{fmt(c['ratio_nginx_max'], 2)}) | "
                 f"{'met' if c['ratio_floor'] <= TARGET_FLOOR else 'MISSED'} | "
                 f"{'met' if c['ratio_nginx'] <= 1.0 else 'MISSED'} |")
    f = r["floor_ops_us"]
    o = r.get("openssl_speed", {})
    L.append("")
    L.append(f"nginx/floor (the wolfCrypt floor): " + ", ".join(
        f"{c['config']} {fmt(c['nginx_ratio_floor'], 2)}" for c in r["cpu"]) +
        f". OpenSSL's own speed here (`openssl speed`, context for nginx): RSA-2048 sign "
        f"{fmt(o.get('rsa2048_sign_us'))} µs, ECDSA P-256 sign {fmt(o.get('ecdsa_p256_sign_us'))} µs, "
        f"ECDH P-256 derive {fmt(o.get('ecdh_p256_derive_us'))} µs.")
    L.append(f"Floor parts (µs, median of rounds): RSA-2048 PSS sign {fmt(f['rsa_pss_sign'])}, "
             f"PKCS#1 v1.5 sign {fmt(f['rsa_pkcs1_sign'])}, PSS verify {fmt(f['rsa_pss_verify'])} "
             f"(wolfSSL verifies its own RSA signature after signing, a fault check not in the "
             f"floor; measured once at the start), ECDSA P-256 sign {fmt(f['ecdsa_p256_sign'])}, ECDHE P-256 "
             f"{fmt(f['ecdhe_p256'])}.")
    t = r["cpu"]
    L.append(f"Session tickets seen by the client per run (TLS 1.3): tlsfault "
             f"{t[1]['tickets_tlsfault']}/{t[1]['handshakes_per_run']}, nginx "
             f"{t[1]['tickets_nginx']}/{t[1]['handshakes_per_run']} (never used: every "
             f"connection is a new session).\n")
    L.append("## Memory (VmRSS)\n")
    L.append("| server | idle KiB | with N idle TLS connections KiB | N | per connection KiB | target |")
    L.append("|---|---|---|---|---|---|")
    for name, m in r["memory"].items():
        tgt = "" if name != "tlsfault" else (
            "met" if m["per_conn_kib"] is not None and m["per_conn_kib"] < TARGET_CONN_KIB
            else "MISSED") + f" (< {TARGET_CONN_KIB} KiB)"
        L.append(f"| {name} | {m['rss_idle_kib']} | {m['rss_loaded_kib']} | {m['connections']} | "
                 f"{fmt(m['per_conn_kib'])} | {tgt} |")
    L.append(f"\nIdle connections: {r['memory']['tlsfault']['version']} "
             f"{r['memory']['tlsfault']['cipher']}, RSA-2048; RLIMIT_NOFILE soft raised to "
             f"{r['env']['nofile']}. tlsfault: the worker of the scenario (it holds the "
             f"connections); nginx: worker process only.\n")
    cs = r["cold_start"]
    L.append("## Cold start\n")
    L.append(f"`build/tlsfault serve --all --port-base 0 --manifest F`, exec to manifest "
             f"(every listener up): median **{fmt(cs['median_ms'], 2)} ms** "
             f"(min {fmt(cs['min_ms'], 2)}, max {fmt(cs['max_ms'], 2)}, {len(cs['runs_ms'])} runs), "
             f"{cs['listeners']} listeners for {cs['scenarios']} scenarios; target < "
             f"{TARGET_COLD_MS} ms: {'met' if cs['median_ms'] < TARGET_COLD_MS else 'MISSED'}. "
             f"For scale: `tlsfault list` (exec + scenario files only) {fmt(cs['list_median_ms'], 2)} "
             f"ms, spawning /bin/true from the driver {fmt(cs['spawn_true_median_ms'], 2)} ms.\n")
    write_isolation_md(L, r["isolation"])
    m = r["matrix"]
    L.append("## Matrix wall time\n")
    L.append("| client | bare start ms |")
    L.append("|---|---|")
    for k, v in m["client_start_ms"].items():
        L.append(f"| `{' '.join(dict(CLIENTS)[k])}` | {'missing' if v is None else fmt(v)} |")
    L.append(f"| sum | {fmt(m['sum_ms'])} |")
    L.append(f"\nSum / {m['cores']} cores = {fmt(m['floor_ms'])} ms (each client started once); "
             f"× {cs['scenarios']} scenarios = {fmt(m['floor_all_scenarios_ms'])} ms (each client "
             f"started once per scenario).")
    mc = m["make_check"]
    if isinstance(mc, dict):
        L.append(f"`make check`: {fmt(mc['wall_ms'] / 1e3, 1)} s (exit {mc['exit']}); ratio to the "
                 f"once-each floor {fmt(mc['ratio_floor'], 1)}, to the per-scenario floor "
                 f"{fmt(mc['ratio_floor_all_scenarios'], 2)}.\n")
    else:
        L.append(f"`make check`: {mc}.\n")
    (OUT / "results.md").write_text("\n".join(L) + "\n")


def write_isolation_md(L, iso):
    L.append("## Isolation: one worker process per scenario\n")
    L.append("| server | processes | cold start ms (median) | VmRSS sum KiB | PSS sum KiB | "
             "main process RSS KiB | worker PSS KiB (median) |")
    L.append("|---|---|---|---|---|---|---|")
    for name, f in iso.items():
        label = name if name == "tlsfault" else f"baseline `{f['server']}`"
        L.append(f"| {label} | {f['processes']} | {fmt(f['cold_median_ms'], 2)} | "
                 f"{f['rss_sum_kib']} | {f['pss_sum_kib']} | {f['main_rss_kib']} | "
                 f"{fmt(f['worker_pss_median_kib'])} |")
    L.append("\n`serve --all` at rest. VmRSS sums count pages the workers share with the "
             "supervisor (copy-on-write after fork) once per process; PSS splits them, so the "
             "PSS sum is the memory the tree really takes.\n")


def main():
    t_start = time.perf_counter()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit it
    for p in (BUILT_SERVER, TFLOAD, FLOOR, CERTS / "leaf-ecdsa.key"):
        if not p.exists():
            raise SystemExit(f"bench: {p} missing (run via `make bench`)")
    shutil.copy2(BUILT_SERVER, SERVER)
    (OUT / "data").mkdir(parents=True, exist_ok=True)
    (OUT / "cold-data").mkdir(parents=True, exist_ok=True)
    cpu_model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    env = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "cpu": cpu_model, "cores": CORES,
           "kernel": platform.release(), "load_before": os.getloadavg()[0],
           "wolfssl": "?", "nginx": version_of(["nginx", "-v"]),
           "openssl": version_of(["openssl", "version"]), "nofile": hard,
           "command": "make bench", "python": sys.version.split()[0]}
    results = {"env": env}
    if ONLY == "isolation":
        results["cold_start"] = cold_start()
        results["isolation"] = isolation(results["cold_start"])
        L = []
        write_isolation_md(L, results["isolation"])
        (OUT / "isolation.json").write_text(json.dumps(results, indent=2) + "\n")
        print("\n".join(L))
        return
    tf = Tlsfault().start()
    ng = None
    try:
        ng = Nginx().start()
        # Memory first: idle RSS before any connection.
        log(f"memory: {IDLE} idle TLS connections")
        mem_cfg = CONFIGS[1]
        results["memory"] = {"tlsfault": idle_memory(tf, tf.worker(mem_cfg[2]), mem_cfg)}
        results["memory"]["nginx"] = idle_memory(ng, ng.worker(), mem_cfg)
        log(f"memory: tlsfault {fmt(results['memory']['tlsfault']['per_conn_kib'])} KiB/conn, "
            f"nginx {fmt(results['memory']['nginx']['per_conn_kib'])} KiB/conn")
        # Warm-up: code paths, heap, the CPU's clock.
        for cfg in CONFIGS:
            for s in (tf, ng):
                handshakes(s, cfg, 100)
        log(f"cpu: {ROUNDS} rounds x {len(CONFIGS)} configs x 2 servers")
        rounds = cpu_rounds([tf, ng])
        results["cpu_rounds"] = rounds
        results["cpu"] = summarise_cpu(rounds)
        results["floor_ops_us"] = {k: statistics.median(r["floor"][k] for r in rounds)
                                   for k in rounds[0]["floor"]}
        results["floor_ops_us"].update(floor("rsa_pss_verify,rsa_pkcs1_sign", 0.6))
        results["openssl_speed"] = openssl_floor()
    finally:
        if ng:
            ng.stop()
        tf.stop()
    env["wolfssl"] = json.loads(subprocess.run(
        [str(FLOOR), "--rsa-key", str(CERTS / "leaf-valid.key"), "--ecc-key",
         str(CERTS / "leaf-ecdsa.key"), "--seconds", "0.01", "--ops", "ecdsa_p256_sign"],
        capture_output=True, text=True, check=True).stdout)["wolfssl"]
    log("cold start")
    results["cold_start"] = cold_start()
    log(f"cold start: median {fmt(results['cold_start']['median_ms'], 2)} ms")
    log("isolation: processes and memory of serve --all")
    results["isolation"] = isolation(results["cold_start"])
    log("matrix: client start times")
    results["matrix"] = matrix(results["cold_start"]["scenarios"])
    env["load_after"] = os.getloadavg()[0]
    env["wall_s"] = time.perf_counter() - t_start
    results["targets"] = {
        "cpu_within_floor": all(c["ratio_floor"] <= TARGET_FLOOR for c in results["cpu"]),
        "cpu_not_worse_than_nginx": all(c["ratio_nginx"] <= 1.0 for c in results["cpu"]),
        "per_conn_under_48kib": (results["memory"]["tlsfault"]["per_conn_kib"] or 1e9)
        < TARGET_CONN_KIB,
        "cold_start_under_50ms": results["cold_start"]["median_ms"] < TARGET_COLD_MS,
    }
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_md(results)
    print((OUT / "results.md").read_text())
    log(f"done in {env['wall_s']:.0f} s: {OUT / 'results.md'}, {OUT / 'results.json'}")


if __name__ == "__main__":
    main()
