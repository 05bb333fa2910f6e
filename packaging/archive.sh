#!/usr/bin/env bash
# Builds one release archive, the way the release workflow does and the
# tests check:
#
#   packaging/archive.sh VERSION TARGET BINARY OUTDIR
#
# writes OUTDIR/fanout-VERSION-TARGET.tar.gz (.zip where targets.txt says
# so) holding fanout-VERSION-TARGET/ with the paths of layout.txt, and
# prints the archive's path. BINARY must run on this machine: it prints
# its own completions and man page.
set -euo pipefail

if [ "$#" -ne 4 ]; then
  echo "usage: $0 VERSION TARGET BINARY OUTDIR" >&2
  exit 2
fi
version=$1
target=$2
binary=$3
outdir=$4
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

archive=$(awk -v t="$target" '$1 == t { print $4 }' "$here/targets.txt")
if [ -z "$archive" ]; then
  echo "archive.sh: $target is not a release target (packaging/targets.txt)" >&2
  exit 1
fi
exe=
if [ "$archive" = zip ]; then
  exe=.exe
fi

name="fanout-$version-$target"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
top="$stage/$name"
mkdir -p "$top/completions" "$top/man"

cp "$binary" "$top/fanout$exe"
chmod 755 "$top/fanout$exe"
cp "$root/README.md" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$top/"
"$binary" --generate complete-bash >"$top/completions/fanout.bash"
"$binary" --generate complete-zsh >"$top/completions/_fanout"
"$binary" --generate complete-fish >"$top/completions/fanout.fish"
"$binary" --generate man >"$top/man/fanout.1"
chmod 644 "$top/README.md" "$top/LICENSE-MIT" "$top/LICENSE-APACHE" \
  "$top/completions/"* "$top/man/fanout.1"

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
out="$outdir/$name.$archive"
rm -f "$out"
case $archive in
  tar.gz)
    tar -czf "$out" -C "$stage" "$name"
    ;;
  zip)
    if command -v 7z >/dev/null 2>&1; then
      (cd "$stage" && 7z a -tzip -bd "$out" "$name" >/dev/null)
    else
      (cd "$stage" && zip -qr "$out" "$name")
    fi
    ;;
  *)
    echo "archive.sh: unknown archive format $archive for $target" >&2
    exit 1
    ;;
esac
echo "$out"
