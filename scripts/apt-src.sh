#!/bin/sh
# Derive a deb-src entry from the machine's own Debian sources so that
# `apt-get source` works without naming any host ourselves.
set -eu
out=/etc/apt/sources.list.d/tlsfault-src.sources
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
[ -f "$out" ] && exit 0
tmp=$(mktemp)
# deb822 files: copy each stanza that is Types: deb and serves $codename.
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  [ "$f" = "$out" ] && continue
  awk -v cn="$codename" '
    function flush() {
      if (st != "" && isdeb && serves) { gsub(/Types:[^\n]*/, "Types: deb-src", st); printf "%s\n", st }
      st = ""; isdeb = 0; serves = 0
    }
    /^[ \t]*$/ { flush(); next }
    /^#/ { next }
    { st = st $0 "\n" }
    /^Types:/ { if ($0 ~ /(^|[ \t])deb([ \t]|$)/) isdeb = 1 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == cn) serves = 1 }
    END { flush() }' "$f" >>"$tmp"
done
# One-line format: turn "deb URI codename ..." into "deb-src ...".
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  awk -v cn="$codename" '$1 == "deb" {
      i = 2; opts = ""
      if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
      if ($(i+1) != cn) next
      printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $i, $(i+1)
      for (j = i + 2; j <= NF; j++) printf " %s", $j
      printf "\n\n" }' "$f" >>"$tmp"
done
if ! [ -s "$tmp" ]; then
  echo "apt-src: no Debian '$codename' source found to derive a deb-src entry from" >&2
  rm -f "$tmp"; exit 1
fi
install -m 0644 "$tmp" "$out"
rm -f "$tmp"
echo "apt-src: wrote $out"
