#!/bin/sh
# Install what tlsfault needs on Debian 12 (idempotent, fast when done).
# libnss3-tools: certutil, to give headless Chromium a private NSS trust store.
# libio-socket-ssl-perl: the seed 000 CMS's own FTPS stack (Net::FTP + IO::Socket::SSL).
# vsftpd, nginx-light: reference servers of tests/classify-ref, only ever run in the
# foreground from a private configuration on 127.0.0.1 (tlsfault_harness.refcorpus): their
# packages' system services must not be left running (see the end).
set -eu
pkgs="build-essential pkg-config dpkg-dev autoconf automake libtool
 libcmocka-dev libinih-dev python3 python3-pytest
 curl openssl wget gnutls-bin lftp default-jdk-headless nodejs chromium
 libnss3-tools libio-socket-ssl-perl golang-go
 clang libclang-rt-14-dev valgrind nginx-light vsftpd"
missing=""
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
for p in $pkgs; do
  dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed ||
    missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "deps: installing$missing"
  # No service starts during the install: a policy-rc.d that refuses every
  # start (101), ours only if the machine has none, removed afterwards.
  policy=/usr/sbin/policy-rc.d
  own_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# tlsfault scripts/deps.sh: no service starts during its install\nexit 101\n' |
      $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    own_policy=1
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
    { [ -z "$own_policy" ] || $sudo rm -f "$policy"; exit 1; }
  [ -z "$own_policy" ] || $sudo rm -f "$policy"
fi
# The reference servers' system services stay off (where systemd runs, disabled too).
for svc in vsftpd nginx; do
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    $sudo systemctl disable --now "$svc" >/dev/null 2>&1 || true
  fi
done
