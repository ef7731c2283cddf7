#!/bin/sh
# Build wolfSSL from Debian's own source package into $1 (e.g. build/wolfssl).
# Debian's libwolfssl-dev lacks static-RSA suites, TLS 1.0 and CA names in
# CertificateRequest, all of which the scenarios put on the wire.
# X25519 and X448 (curve25519/curve448): the groups curl, OpenSSL and Node
# send their TLS 1.3 key share for first; without them every such handshake
# costs a HelloRetryRequest, which no mainstream server sends them.
set -eu
prefix=$(realpath -m "$1")
here=$(cd "$(dirname "$0")" && pwd)
opts="--enable-static --disable-shared --disable-examples --disable-crypttests
 --enable-opensslall --enable-opensslextra
 --enable-tls13 --enable-oldtls --enable-tlsv10 --enable-des3
 --enable-pkcallbacks --enable-certgen --enable-certreq --enable-certext
 --enable-keygen --enable-ip-alt-name --enable-pkcs12
 --enable-crl --enable-ocsp --enable-ocspstapling --enable-sni --enable-alpn
 --enable-supportedcurves --enable-session-ticket
 --enable-altcertchains --enable-ecc --enable-curve25519 --enable-curve448
 --enable-sp=yes --enable-sp-asm --enable-sp-math-all --enable-aesni --enable-intelasm"
# STATIC_RSA: AES128-SHA/DES-CBC3-SHA; EX_DATA: per-connection data;
# ALT_NAMES: subjectAltName in the certificates certs/certgen.c makes.
cflags="-O2 -DWOLFSSL_STATIC_RSA -DHAVE_EX_DATA -DWOLFSSL_ALT_NAMES"
# Our one source patch: wolfSSL 5.5.4's TLS 1.3 CertificateRequest has no
# certificate_authorities extension (its TODO), so a TLS 1.3 server could
# not advertise client CA names (seed 002 on TLS 1.3).
patches="wolfssl-tls13-ca-names.patch"
# The stamp holds the options and the patches' checksums, so changing
# either rebuilds and an unchanged second run is a no-op.
sums=$(cd "$here" && cat $patches | sha256sum | cut -c1-16)
want=$(printf '%s\n%s\npatches %s\n' "$opts" "$cflags" "$sums" | tr -s ' \n' ' ')
stamp="$prefix/.options"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$prefix/lib/libwolfssl.a" ]; then
  exit 0
fi
src="$prefix.src"
rm -rf "$src" && mkdir -p "$src"
# Debian's source package through a private apt configuration under build/apt
# (scripts/apt-src.sh): the host's apt sources and lists are not touched.
apt_conf=$(sh "$here/apt-src.sh" "$(dirname "$prefix")/apt")
# The private deb-src lists are fetched once, and again when they are stale.
if ! (cd "$src" && apt-get -c "$apt_conf" source --download-only wolfssl >/dev/null 2>&1); then
  apt-get -c "$apt_conf" update -qq
  (cd "$src" && apt-get -c "$apt_conf" source --download-only wolfssl >/dev/null)
fi
(cd "$src" && dpkg-source -x --no-check ./wolfssl_*.dsc tree >/dev/null)
cd "$src/tree"
for p in $patches; do patch -p1 -s <"$here/$p"; done
./autogen.sh >/dev/null 2>&1
# shellcheck disable=SC2086
./configure --prefix="$prefix" $opts CFLAGS="$cflags" >configure.log 2>&1 ||
  { tail -30 configure.log >&2; exit 1; }
make -j"$(nproc)" >make.log 2>&1 || { tail -40 make.log >&2; exit 1; }
make install >/dev/null
echo "$want" >"$stamp"
echo "wolfSSL $(dpkg-parsechangelog -S Version 2>/dev/null || echo '?') built into $prefix with:"
echo "  $want"
