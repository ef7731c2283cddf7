#!/bin/sh
# A private apt configuration for `apt-get source` under DIR (e.g. build/apt), so that
# fetching Debian's wolfSSL source needs no change to the host's apt sources:
#   DIR/sources.list.d/tlsfault-src.sources  deb-src stanzas derived from the host's own
#                                             Debian sources (no host named here)
#   DIR/lists, DIR/cache                      their index and apt's cache, apart from
#                                             /var/lib/apt/lists and /var/cache/apt
#   DIR/apt.conf                              the settings above; use apt-get -c DIR/apt.conf
# Prints the path of DIR/apt.conf. Writes nothing outside DIR.
set -eu
dir=$(realpath -m "$1")
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
mkdir -p "$dir/sources.list.d" "$dir/lists/partial" "$dir/cache/archives/partial"
out="$dir/sources.list.d/tlsfault-src.sources"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# deb822 files: copy each stanza that is Types: deb and serves $codename.
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  case "$f" in */tlsfault-src.sources) continue ;; esac # an old deps.sh's entry
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
  exit 1
fi
cmp -s "$tmp" "$out" 2>/dev/null || cp "$tmp" "$out"
: >"$dir/sources.list" # apt reads this main list too: ours is empty
# Downloads run as the caller: apt's _apt sandbox user may not enter the build tree.
cat >"$dir/apt.conf.tmp" <<CONF
Dir::Etc::SourceList "$dir/sources.list";
Dir::Etc::SourceParts "$dir/sources.list.d";
Dir::State::Lists "$dir/lists";
Dir::Cache "$dir/cache";
APT::Sandbox::User "$(id -un)";
CONF
mv "$dir/apt.conf.tmp" "$dir/apt.conf"
echo "$dir/apt.conf"
