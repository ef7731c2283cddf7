#!/bin/sh
# Install what tlsfault needs on Debian 12 (idempotent, fast when done).
# libnss3-tools: certutil, to give headless Chromium a private NSS trust store.
# libio-socket-ssl-perl: the seed 000 CMS's own FTPS stack (Net::FTP + IO::Socket::SSL).
set -eu
pkgs="build-essential pkg-config dpkg-dev autoconf automake libtool
 libcmocka-dev libinih-dev python3 python3-pytest
 curl openssl wget gnutls-bin lftp default-jdk-headless nodejs chromium
 libnss3-tools libio-socket-ssl-perl
 clang libclang-rt-14-dev valgrind nginx-light"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed ||
    missing="$missing $p"
done
if [ -n "$missing" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "deps: installing$missing"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
