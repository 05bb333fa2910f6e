#!/usr/bin/env bash
# What saving bodies costs: fanout fetches the same N small URLs from one
# local nginx with and without `-o`, interleaved RUNS times so a busy
# machine slows both alike, and prints the median wall times and their
# ratio. Each `-o` run writes into a fresh directory on the file system of
# $TMPDIR (default /tmp). Traffic goes only to 127.0.0.1.
#
#   bench/save.sh                  # N=10000 C=64 RUNS=7
#   FANOUT=target/release/fanout N=100000 bench/save.sh
set -euo pipefail

N=${N:-10000}
C=${C:-64}
RUNS=${RUNS:-7}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ -z "${FANOUT:-}" ]; then
    (cd "$repo" && cargo build --release --locked --quiet)
    FANOUT="$repo/target/release/fanout"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fanout-save-bench.XXXXXX")
nginx_pid=
cleanup() {
    if [ -n "$nginx_pid" ]; then
        kill "$nginx_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$work|g" "$here/nginx.conf" >"$work/nginx.conf"
"$NGINX" -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!
until python3 -c "import socket; socket.create_connection(('127.0.0.1',$port))" 2>/dev/null; do :; done
seq 1 "$N" | sed "s|^|http://127.0.0.1:$port/any/|" >"$work/urls.txt"

wall() { # prints the wall time of "$@" in seconds
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
plain=() saving=()
for i in $(seq 1 "$RUNS"); do
    plain+=("$(wall "$FANOUT" -q -c "$C" -i "$work/urls.txt")")
    saving+=("$(wall "$FANOUT" -q -c "$C" -i "$work/urls.txt" -o "$work/out$i")")
    [ "$(find "$work/out$i" -type f | wc -l)" = "$N" ] || { echo "files missing" >&2; exit 1; }
    rm -rf "$work/out$i"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p=$(median "${plain[@]}") s=$(median "${saving[@]}")
echo "N=$N C=$C runs=$RUNS: without -o ${p}s, with -o ${s}s, ratio $(echo "scale=2; $s / $p" | bc)"
