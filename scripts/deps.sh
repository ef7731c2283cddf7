#!/bin/sh
# Install what tlsfault needs on Debian 12 (idempotent; when all is there, one dpkg-query).
# libnss3-tools: certutil, to give headless Chromium a private NSS trust store.
# libio-socket-ssl-perl: the seed 000 CMS's own FTPS stack (Net::FTP + IO::Socket::SSL).
# vsftpd, nginx-light: reference servers of tests/classify-ref, only ever run in the
# foreground from a private configuration on 127.0.0.1 (tlsfault_harness.refcorpus).
#
# What this changes on the host: the packages below, nothing else. No apt source is
# added (wolfSSL's source package comes through a private apt configuration under
# build/apt: scripts/apt-src.sh). No system service is left running: Debian starts a
# package's service on install (nginx and vsftpd would listen on every address), so
#  - during the install a policy-rc.d denies every start (exit 101, obeyed by invoke-rc.d
#    and deb-systemd-invoke); ours only if the host has none, removed afterwards, also on
#    failure or interrupt. A host policy-rc.d that does not deny is kept and said;
#  - afterwards the services of the packages this run installed are stopped and disabled
#    (systemctl where systemd runs, else update-rc.d and the init script), so they do not
#    start at boot either. A service of a package that was there before is left as its
#    owner set it.
#
# Test hooks (harness/tests/test_deps.py runs this with fake apt tools on PATH):
# TLSFAULT_POLICY_RC_D and TLSFAULT_INITD replace /usr/sbin/policy-rc.d and /etc/init.d.
set -eu
pkgs="build-essential pkg-config dpkg-dev autoconf automake libtool
 libcmocka-dev libinih-dev python3 python3-pytest
 curl openssl wget gnutls-bin lftp default-jdk-headless nodejs chromium
 libnss3-tools libio-socket-ssl-perl golang-go
 clang libclang-rt-14-dev valgrind nginx-light vsftpd"
services="nginx-light:nginx vsftpd:vsftpd" # package:service of the packages above
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo

# An earlier deps.sh wrote a deb-src entry into the host's apt sources; build/apt
# replaces it. Removed only if it is that file: our name, nothing but deb-src stanzas.
old=/etc/apt/sources.list.d/tlsfault-src.sources
if [ -f "$old" ] &&
  ! grep -Evq '^(Types: deb-src|URIs: .*|Suites: .*|Components:.*|Signed-By: .*|)$' "$old"; then
  echo "deps: removing $old (an earlier deps.sh's deb-src entry; build/apt replaces it)"
  $sudo rm -f "$old"
fi

# shellcheck disable=SC2086
installed=$(dpkg-query -W -f='${db:Status-Status} ${Package}\n' $pkgs 2>/dev/null |
  awk '$1 == "installed" { print $2 }')
missing=""
for p in $pkgs; do
  printf '%s\n' "$installed" | grep -qx "$p" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

echo "deps: installing$missing"
policy=${TLSFAULT_POLICY_RC_D:-/usr/sbin/policy-rc.d}
initd=${TLSFAULT_INITD:-/etc/init.d}
own_policy=""
cleanup() { [ -z "$own_policy" ] || $sudo rm -f "$policy"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
if [ ! -e "$policy" ]; then
  own_policy=1
  printf '#!/bin/sh\n# tlsfault scripts/deps.sh: no service starts during its install\nexit 101\n' |
    $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
elif $sudo "$policy" nginx start >/dev/null 2>&1 || [ $? -ne 101 ]; then
  echo "deps: $policy allows service starts; the services installed now are stopped afterwards" >&2
fi
$sudo apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null

for entry in $services; do
  pkg=${entry%%:*} svc=${entry#*:}
  case " $missing " in *" $pkg "*) ;; *) continue ;; esac
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    $sudo systemctl disable --now "$svc" >/dev/null 2>&1 || true
  else
    $sudo update-rc.d "$svc" disable >/dev/null 2>&1 || true
    # Stopped directly, not through invoke-rc.d, which the policy above would refuse.
    [ ! -x "$initd/$svc" ] || $sudo "$initd/$svc" stop >/dev/null 2>&1 || true
  fi
  echo "deps: $svc (package $pkg) is installed stopped and disabled"
done
