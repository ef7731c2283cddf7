"""`make deps` changes the host only by its packages (issue 11): wolfSSL's source comes
through a private apt configuration (scripts/apt-src.sh writes nothing outside its
directory), and no package's service is left running. deps.sh runs here with fake apt
tools on PATH, so nothing is installed; its test hooks point its policy-rc.d and
init.d elsewhere."""
import os
import subprocess

from tlsfault_harness import paths

DEPS = paths.ROOT / "scripts" / "deps.sh"
APT_SRC = paths.ROOT / "scripts" / "apt-src.sh"


def tree(root):
    """Every path under root with its size and mtime: what a write would change."""
    out = {}
    for d, _, files in os.walk(root):
        for name in files:
            p = os.path.join(d, name)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            out[p] = (st.st_size, st.st_mtime_ns)
    return out


def test_apt_src_writes_only_under_its_directory(tmp_path):
    before = tree("/etc/apt")
    r = subprocess.run(["sh", str(APT_SRC), str(tmp_path / "apt")], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    conf = tmp_path / "apt" / "apt.conf"
    assert r.stdout.strip() == str(conf)
    text = conf.read_text()
    assert f'Dir::Etc::SourceParts "{tmp_path}/apt/sources.list.d";' in text
    assert f'Dir::State::Lists "{tmp_path}/apt/lists";' in text
    src = (tmp_path / "apt" / "sources.list.d" / "tlsfault-src.sources").read_text()
    assert "Types: deb-src" in src and "Types: deb\n" not in src
    assert tree("/etc/apt") == before


FAKE = {
    # Nothing is installed yet: every package is missing.
    "dpkg-query": "exit 0",
    # The install is where Debian's maintainer scripts start a service; record what
    # policy-rc.d answers then, and whether it is there at all.
    "apt-get": """case " $* " in *" install "*)
  if [ -x "$POLICY" ]; then "$POLICY" nginx start; echo "policy-rc.d: $?" >>"$LOG"
  else echo "policy-rc.d: none" >>"$LOG"; fi ;;
esac
exit 0""",
    "systemctl": 'echo "systemctl $*" >>"$LOG"',
    "update-rc.d": 'echo "update-rc.d $*" >>"$LOG"',
    "sudo": 'exec "$@"',
}


def run_deps(tmp_path, policy):
    bin_dir, initd = tmp_path / "bin", tmp_path / "init.d"
    bin_dir.mkdir()
    initd.mkdir()
    log = tmp_path / "log"
    log.write_text("")
    for name, body in FAKE.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    for svc in ("nginx", "vsftpd"):
        (initd / svc).write_text(f'#!/bin/sh\necho "init.d {svc} $*" >>"{log}"\n')
        (initd / svc).chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "LOG": str(log),
           "POLICY": str(policy), "TLSFAULT_POLICY_RC_D": str(policy),
           "TLSFAULT_INITD": str(initd)}
    r = subprocess.run(["sh", str(DEPS)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    return log.read_text().splitlines(), r.stdout


def assert_services_left_stopped_and_disabled(lines):
    for svc in ("nginx", "vsftpd"):
        disabled = (f"systemctl disable --now {svc}" in lines
                    or (f"update-rc.d {svc} disable" in lines and f"init.d {svc} stop" in lines))
        assert disabled, (svc, lines)


def test_no_service_starts_during_the_install_and_none_is_left_enabled(tmp_path):
    policy = tmp_path / "policy-rc.d"
    lines, out = run_deps(tmp_path, policy)
    # During the install a policy denied every start (101: action forbidden) ...
    assert "policy-rc.d: 101" in lines, lines
    # ... and it was ours, so it is gone afterwards.
    assert not policy.exists()
    assert_services_left_stopped_and_disabled(lines)
    assert "nginx (package nginx-light) is installed stopped and disabled" in out


def test_a_host_policy_rc_d_is_kept_as_it_was(tmp_path):
    policy = tmp_path / "policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    lines, _ = run_deps(tmp_path, policy)
    assert "policy-rc.d: 101" in lines, lines
    assert policy.read_text() == "#!/bin/sh\nexit 101\n"
    assert_services_left_stopped_and_disabled(lines)
