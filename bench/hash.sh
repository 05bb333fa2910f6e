#!/usr/bin/env bash
# What --hash costs: fanout fetches the same N URLs with 16 KiB bodies
# (SIZE) from one local nginx over kept-alive connections, with and
# without --hash, interleaved RUNS times so a busy machine slows both
# alike, and prints the median CPU (user + sys) per request of each and
# their ratio. Traffic goes only to 127.0.0.1.
#
#   bench/hash.sh                  # N=50000 C=64 RUNS=7 SIZE=16384
#   FANOUT=target/release/fanout N=100000 bench/hash.sh
set -euo pipefail

N=${N:-50000}
C=${C:-64}
RUNS=${RUNS:-7}
SIZE=${SIZE:-16384}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ -z "${FANOUT:-}" ]; then
    (cd "$repo" && cargo build --release --locked --quiet)
    FANOUT="$repo/target/release/fanout"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fanout-hash-bench.XXXXXX")
nginx_pid=
cleanup() {
    if [ -n "$nginx_pid" ]; then
        kill "$nginx_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
head -c "$SIZE" /dev/urandom >"$work/body"
# nginx's worker may run as another user: let it read the body.
chmod 755 "$work" && chmod 644 "$work/body"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    client_body_temp_path $work/client_body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    server {
        listen 127.0.0.1:$port;
        root $work;
        location /b/ { default_type application/octet-stream; rewrite ^ /body break; }
    }
}
CONF
"$NGINX" -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!
until python3 -c "import socket; socket.create_connection(('127.0.0.1',$port))" 2>/dev/null; do :; done
seq 1 "$N" | sed "s|^|http://127.0.0.1:$port/b/|" >"$work/urls.txt"

cpu() { # prints the CPU microseconds per request of "$@"
    /usr/bin/time -f "%U %S" -o "$work/time" "$@" >"$work/out.jsonl"
    [ "$(grep -c '"ok":true' "$work/out.jsonl")" = "$N" ] || { echo "not all ok:" >&2; head -2 "$work/out.jsonl" >&2; exit 1; }
    awk -v n="$N" '{printf "%.2f\n", ($1 + $2) * 1e6 / n}' "$work/time"
}
plain=() hashing=()
for _ in $(seq 1 "$RUNS"); do
    plain+=("$(cpu "$FANOUT" -q -c "$C" -i "$work/urls.txt")")
    hashing+=("$(cpu "$FANOUT" -q -c "$C" -i "$work/urls.txt" --hash)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p=$(median "${plain[@]}") h=$(median "${hashing[@]}")
echo "N=$N C=$C SIZE=$SIZE runs=$RUNS: CPU per request without --hash ${p}µs, with --hash ${h}µs, ratio $(echo "scale=3; $h / $p" | bc)"
echo "without: ${plain[*]}"
echo "with:    ${hashing[*]}"
