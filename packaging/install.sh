#!/usr/bin/env bash
# Installs fanout's release binary for this machine, after checking its
# SHA-256 against the release's SHA256SUMS. The GitHub Action (action.yml)
# runs it; it also works on its own:
#
#   FANOUT_REPO=OWNER/fanout FANOUT_VERSION=0.1.0 packaging/install.sh
#
# Environment (all optional but FANOUT_REPO where it cannot be inferred):
#   FANOUT_VERSION         a version (0.1.0 or v0.1.0), or "latest"; by
#                          default the version in ../Cargo.toml
#   FANOUT_REPO            OWNER/NAME of the GitHub repository whose
#                          releases hold the archives; inferred from
#                          GITHUB_ACTION_PATH when run by the Action
#   FANOUT_RELEASE_BASE    where the archives and SHA256SUMS are: a URL or
#                          a local directory (default: the GitHub release
#                          of v<version>); with a directory nothing is
#                          downloaded
#   FANOUT_INSTALL_DIR     where the binary goes (default: a fresh
#                          directory under RUNNER_TEMP or TMPDIR)
#   FANOUT_CARGO_FALLBACK  "true": when there is no release archive for
#                          this machine or it cannot be downloaded, build
#                          with `cargo install --locked` instead. Never
#                          used when a checksum does not match.
#   FANOUT_OS, FANOUT_ARCH stand in for `uname -s` and `uname -m`
#
# `install.sh --print-target` prints the release target for this machine
# (from packaging/targets.txt) and exits.
#
# On success it prints the binary's path and, under GitHub Actions, adds
# its directory to GITHUB_PATH and writes bin=PATH to GITHUB_OUTPUT. Every failure is one line on stderr and
# exit status 1.
set -euo pipefail

# Windows runners hand over paths with backslashes; bash takes them with
# forward slashes.
script=${0//\\//}
here=$(cd "$(dirname "$script")" && pwd)
targets="$here/targets.txt"
tmp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
tmp=${tmp//\\//}

fail() {
  echo "fanout install: $*" >&2
  exit 1
}

# The machine, in the os/arch words of targets.txt.
os_raw=${FANOUT_OS:-$(uname -s)}
arch_raw=${FANOUT_ARCH:-$(uname -m)}
case $os_raw in
  Linux) os=linux ;;
  Darwin) os=macos ;;
  MINGW* | MSYS* | CYGWIN* | Windows_NT) os=windows ;;
  *) os=$os_raw ;;
esac
case $arch_raw in
  x86_64 | amd64 | AMD64) arch=x86_64 ;;
  aarch64 | arm64 | ARM64) arch=aarch64 ;;
  *) arch=$arch_raw ;;
esac

read -r target archive < <(awk -v os="$os" -v arch="$arch" \
  '$1 !~ /^#/ && $2 == os && $3 == arch { print $1, $4; exit }' "$targets") || true
if [ "${1:-}" = --print-target ]; then
  [ -n "${target:-}" ] || fail "no release archive for $os_raw $arch_raw"
  echo "$target"
  exit 0
fi

# Without a version: the one of this checkout (Cargo.toml beside this
# script), so an Action pinned to a release tag installs that release.
version=${FANOUT_VERSION:-}
if [ -z "$version" ]; then
  version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$here/../Cargo.toml" 2>/dev/null | head -n 1)
  [ -n "$version" ] || fail "no version given and no Cargo.toml beside packaging/"
fi
version=${version#v}
base=${FANOUT_RELEASE_BASE:-}
fallback=${FANOUT_CARGO_FALLBACK:-false}
exe=
if [ "$os" = windows ]; then
  exe=.exe
fi

if [ -n "${FANOUT_INSTALL_DIR:-}" ]; then
  dest=$FANOUT_INSTALL_DIR
else
  dest=$(mktemp -d "$tmp/fanout-bin.XXXXXX")
fi
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

# Done: say where fanout is and put it on the job's PATH.
installed() {
  if [ -n "${GITHUB_PATH:-}" ]; then
    # The runner reads PATH entries as the OS writes them.
    if command -v cygpath >/dev/null 2>&1; then
      cygpath -w "$dest" >>"$GITHUB_PATH"
    else
      echo "$dest" >>"$GITHUB_PATH"
    fi
  fi
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "bin=$dest/fanout$exe" >>"$GITHUB_OUTPUT"
  fi
  echo "$dest/fanout$exe"
  exit 0
}

# Only when asked: build from the crate instead of a release archive.
cargo_fallback() {
  if [ "$fallback" != true ]; then
    fail "$1 (set cargo-fallback: true to build it with cargo install instead)"
  fi
  command -v cargo >/dev/null 2>&1 || fail "$1, and cargo is not installed for the fallback"
  echo "fanout install: $1; building it with cargo install" >&2
  local root
  root=$(mktemp -d "$tmp/fanout-cargo.XXXXXX")
  if [ "$version" = latest ]; then
    cargo install --locked --root "$root" fanout >&2 || fail "cargo install fanout failed"
  else
    cargo install --locked --root "$root" fanout --version "=$version" >&2 ||
      fail "cargo install fanout --version $version failed"
  fi
  cp "$root/bin/fanout$exe" "$dest/fanout$exe" || fail "cargo install left no fanout binary"
  installed
}

if [ -z "${target:-}" ]; then
  cargo_fallback "no release archive for $os_raw $arch_raw"
fi

local_dir=
case $base in
  http://* | https://*) ;;
  '') ;;
  *)
    [ -d "$base" ] || fail "FANOUT_RELEASE_BASE $base is neither a URL nor a directory"
    local_dir=$(cd "$base" && pwd)
    ;;
esac

if [ "$version" = latest ]; then
  [ -z "$local_dir" ] || fail "version latest needs the network; give a version with a local FANOUT_RELEASE_BASE"
fi

repo=${FANOUT_REPO:-}
if [ -z "$base" ]; then
  if [ -z "$repo" ]; then
    # Under the Action: .../_actions/OWNER/NAME/REF
    action_path=${GITHUB_ACTION_PATH:-}
    action_path=${action_path//\\//}
    case $action_path in
      */_actions/*/*/*)
        repo=${action_path#*/_actions/}
        repo=$(echo "$repo" | cut -d/ -f1-2)
        ;;
    esac
  fi
  [ -n "$repo" ] || fail "FANOUT_REPO (OWNER/NAME) is not set"
  if [ "$version" = latest ]; then
    # The latest release by its redirect: no API call, no rate limit.
    url=$(curl -fsSLI -o /dev/null -w '%{url_effective}' --retry 3 \
      "https://github.com/$repo/releases/latest") ||
      fail "cannot find the latest release of $repo"
    version=${url##*/}
    version=${version#v}
    case $version in
      [0-9]*) ;;
      *) fail "$repo has no release to install" ;;
    esac
  fi
  base="https://github.com/$repo/releases/download/v$version"
fi

asset="fanout-$version-$target.$archive"
work=$(mktemp -d "$tmp/fanout-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Copies or downloads one file of the release into $work.
get() {
  if [ -n "$local_dir" ]; then
    [ -f "$local_dir/$1" ] || return 1
    cp "$local_dir/$1" "$work/$1"
  else
    curl -fsSL --retry 3 -o "$work/$1" "$base/$1"
  fi
}

get "$asset" || cargo_fallback "cannot get $asset from $base"
get SHA256SUMS || fail "cannot get SHA256SUMS from $base; refusing to install without a checksum"

expected=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1; exit }' "$work/SHA256SUMS")
[ -n "$expected" ] || fail "SHA256SUMS has no line for $asset; refusing to install it"
if command -v sha256sum >/dev/null 2>&1; then
  actual=$(sha256sum "$work/$asset" | cut -d' ' -f1)
else
  actual=$(shasum -a 256 "$work/$asset" | cut -d' ' -f1)
fi
if [ "$actual" != "$expected" ]; then
  fail "checksum mismatch for $asset: SHA256SUMS says $expected, the file is $actual; refusing to install it"
fi

mkdir "$work/x"
case $archive in
  tar.gz)
    tar -xzf "$work/$asset" -C "$work/x" || fail "cannot extract $asset"
    ;;
  zip)
    if command -v unzip >/dev/null 2>&1; then
      unzip -q "$work/$asset" -d "$work/x" || fail "cannot extract $asset"
    elif command -v 7z >/dev/null 2>&1; then
      7z x -bd -o"$work/x" "$work/$asset" >/dev/null || fail "cannot extract $asset"
    else
      powershell -NoProfile -Command \
        "Expand-Archive -LiteralPath '$work/$asset' -DestinationPath '$work/x'" ||
        fail "cannot extract $asset"
    fi
    ;;
  *) fail "unknown archive format $archive" ;;
esac

bin="$work/x/fanout-$version-$target/fanout$exe"
[ -f "$bin" ] || fail "$asset has no fanout-$version-$target/fanout$exe"
cp "$bin" "$dest/fanout$exe"
chmod 755 "$dest/fanout$exe"
said=$("$dest/fanout$exe" --version 2>/dev/null) || {
  rm -f "$dest/fanout$exe"
  fail "the fanout binary in $asset does not run on this machine"
}
if [ "$said" != "fanout $version" ]; then
  rm -f "$dest/fanout$exe"
  fail "the binary in $asset says \"$said\", not fanout $version"
fi
installed
