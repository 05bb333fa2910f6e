#!/usr/bin/env bash
# Writes DIR/SHA256SUMS for the release archives in DIR, in the format of
# `sha256sum` (hash, two spaces, file name), which `sha256sum -c` and the
# Action's installer read:
#
#   packaging/checksums.sh DIR
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
cd "$1"

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$@"
  else
    shasum -a 256 "$@"
  fi
}

shopt -s nullglob
archives=(fanout-*.tar.gz fanout-*.zip)
if [ "${#archives[@]}" -eq 0 ]; then
  echo "checksums.sh: no fanout-* archives in $1" >&2
  exit 1
fi
# Binary-mode markers (`*name`) are dropped: one format on every OS.
sha256 "${archives[@]}" | sed 's/ \*/  /' >SHA256SUMS.tmp
mv SHA256SUMS.tmp SHA256SUMS
cat SHA256SUMS
