"""The build (issue 11): the release binaries carry the hardening of
mk/hardening.mk, checked in their ELF as checksec does; make's dependencies
rebuild what an edited header affects; `make clean` names every output."""
import os
import re
import subprocess

import pytest

from tlsfault_harness import paths

BINARIES = [paths.SERVER, paths.BUILD / "certgen"]


def readelf(*args):
    r = subprocess.run(["readelf", "-W", *map(str, args)], capture_output=True, text=True,
                       timeout=60, check=True)
    return r.stdout


def sanitized(binary):
    return "__asan_init" in readelf("-s", binary)


def make_n(*args):
    """What make would run (-n: nothing is run or written but its parse-time stamps), for
    the release build unless args say SANITIZE=1 (`make test SANITIZE=1` exports it)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "SANITIZE")}
    r = subprocess.run(["make", "-n", "--no-print-directory", *args], cwd=paths.ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(params=BINARIES, ids=lambda p: p.name)
def release_binary(request):
    b = request.param
    assert b.exists(), f"{b}: run make first"
    if b == paths.SERVER and sanitized(b):
        pytest.skip("build/tlsfault is the SANITIZE=1 build: mk/hardening.mk leaves the "
                    "release hardening out of it")
    return b


def test_pie(release_binary):
    assert re.search(r"Type:\s+DYN \(Position-Independent Executable",
                     readelf("-h", release_binary))
    assert re.search(r"\(FLAGS_1\)\s+Flags:.*\bPIE\b", readelf("-d", release_binary))


def test_full_relro(release_binary):
    dyn = readelf("-d", release_binary)
    assert re.search(r"\(FLAGS\)\s+BIND_NOW", dyn) and re.search(r"\(FLAGS_1\).*\bNOW\b", dyn)
    segs = readelf("-l", release_binary)
    assert re.search(r"^\s+GNU_RELRO\s", segs, re.M), segs
    # NX: the stack segment is not executable.
    stack = re.search(r"^\s+GNU_STACK\s.*\s(R?W?E?)\s+0x10$", segs, re.M)
    assert stack and "E" not in stack.group(1), segs


def test_stack_protector_and_fortify(release_binary):
    syms = readelf("-s", release_binary)
    assert re.search(r"\b__stack_chk_fail\b", syms)
    chk = set(re.findall(r"\b(__\w+_chk)\b", syms)) - {"__stack_chk_fail"}
    # FORTIFY_SOURCE=2 turns the printf family (every file uses it) into *_chk.
    assert {"__snprintf_chk", "__fprintf_chk"} <= chk, chk


def test_every_own_compile_unit_was_built_hardened(release_binary):
    """The flags gcc records per compile unit (-g): every one of ours has the
    stack protector, stack-clash probes, CET and PIE (wolfSSL has no debug info)."""
    info = readelf("--debug-dump=info", "--dwarf-depth=1", release_binary)
    units = []
    for cu in info.split("Compilation Unit @")[1:]:
        producer = re.search(r"DW_AT_producer\s+:.*?: (GNU C.*)", cu)
        name = re.search(r"DW_AT_name\s+:.*?: (\S+)", cu)
        if producer and name and not name.group(1).startswith("/"):
            units.append((producer.group(1), name.group(1)))
    assert len(units) >= 6, info[:2000]
    for producer, name in units:
        for flag in ("-O2", "-fstack-protector-strong", "-fstack-clash-protection",
                     "-fcf-protection", "-fPIE"):
            assert flag in producer.split() or any(
                w.startswith(flag + "=") for w in producer.split()), (name, flag, producer)


def test_objects_carry_the_cet_note():
    """-fcf-protection: each object is marked IBT+SHSTK. (The linked binary is
    not: wolfSSL's assembly is not marked, so the linker drops the note.)"""
    dirs = ["obj-certgen"] + ([] if sanitized(paths.SERVER) else ["obj"])
    sources = {p.stem for d in ("servers", "certs") for p in (paths.ROOT / d).glob("*.c")}
    # Only objects of today's sources: a tree updated across a rename keeps the old .o.
    objs = [o for d in dirs for o in sorted((paths.BUILD / d).glob("*.o")) if o.stem in sources]
    assert len(objs) >= 6, objs
    for o in objs:
        assert re.search(r"x86 feature: IBT, SHSTK", readelf("-n", o)), o


def test_sanitize_build_has_no_release_hardening():
    """SANITIZE=1 compiles without _FORTIFY_SOURCE (it would bypass ASan's
    interceptors) and without the release link flags."""
    cmds = make_n("-B", "SANITIZE=1", f"{paths.BUILD.name}/obj-san/json.o")
    line = next(c for c in cmds.splitlines() if "-c servers/json.c" in c)
    assert "-fsanitize=address,undefined" in line and "_FORTIFY_SOURCE" not in line, line


def test_editing_a_certs_header_rebuilds_certgen():
    for header in ("certs/profile.h", "certs/x509.h", "servers/ini_file.h"):
        cmds = make_n("-W", header, "build/certgen")
        assert re.search(r"-c certs/\w+\.c -o build/obj-certgen/", cmds), (header, cmds)
        assert "-o build/certgen" in cmds, (header, cmds)
    assert "-c servers/scenario.c" in make_n("-W", "servers/tf_names.h", "build/tlsfault")


def test_objects_depend_on_their_flags():
    """Objects depend on the flags they were built with (DIR/.flags), so a
    change of flags (mk/hardening.mk) rebuilds them."""
    for d, target in (("obj", "build/tlsfault"), ("obj-certgen", "build/certgen")):
        cmds = make_n("-W", f"build/{d}/.flags", target)
        assert re.search(rf"-c servers/\w+\.c -o build/{d}/", cmds), cmds
    assert "-D_FORTIFY_SOURCE=2" in (paths.BUILD / "obj-certgen" / ".flags").read_text().split()


def test_clean_removes_every_output_but_the_wolfssl_cache():
    cmds = make_n("clean")
    rm = [c for c in cmds.replace("\\\n", " ").splitlines() if c.startswith("rm -rf")]
    assert len(rm) == 1, cmds
    named = rm[0].split()[2:]
    kept = {"wolfssl"}
    outputs = {"obj", "obj-san", "obj-certgen", "obj-fuzz", "fuzz", "bench", "java", "go", "refcorpus",
               "report", "run", "certs", "certgen", "tlsfault", "wolfssl.src", "apt"}
    for name in outputs:
        assert f"build/{name}" in named, name
    # And whatever a run of make and the tests left in build/ now.
    for p in paths.BUILD.iterdir():
        if p.name in kept:
            continue
        assert any(p.match(os.path.join(paths.ROOT, n)) for n in named), p.name
