#!/usr/bin/env bash
# Throughput, CPU and memory of fanout next to oha and curl, all fetching the
# same N URLs at the same concurrency from one local nginx, interleaved in one
# run so that a busy machine slows every tool alike. Also times fanout's first
# record on a live pipe. Not part of `cargo test`: run it by hand.
#
#   bench/run.sh                      # N=100000 C=64 RUNS=5
#   N=1000000 bench/run.sh            # a million URLs
#   RUNS=9 TOOLS="fanout oha" bench/run.sh
#
# Settings (environment): N URLs, C concurrency, RUNS repetitions per tool,
# TOOLS (any of: fanout oha curl fanout-protected fanout-base; fanout-protected
# is fanout with --trip-after, --retry-budget, --request-id and --metrics all
# on, to measure what they cost; fanout-base is the binary FANOUT_BASE, an
# older build to compare with in the same run), FANOUT (a prebuilt binary;
# otherwise `cargo build --release`), KEEP=1 keeps the scratch directory.
#
# Traffic goes only to 127.0.0.1. Installs what is missing (as root): nginx,
# curl, time and python3 from Debian, oha with `cargo install --locked`.
set -euo pipefail

N=${N:-100000}
C=${C:-64}
RUNS=${RUNS:-5}
TOOLS=${TOOLS:-"fanout oha curl"}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")

say() { printf '== %s\n' "$*" >&2; }

# --- tools ---------------------------------------------------------------
missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
[ -x /usr/bin/time ] || missing+=(time)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
export PATH="$PATH:${CARGO_HOME:-$HOME/.cargo}/bin"
case " $TOOLS " in *" oha "*)
    if ! command -v oha >/dev/null; then
        say "installing oha"
        cargo install oha --locked
    fi ;;
esac

if [ -z "${FANOUT:-}" ]; then
    say "building fanout"
    (cd "$repo" && cargo build --release --locked --quiet)
    FANOUT="$repo/target/release/fanout"
fi

# --- scratch directory and nginx -----------------------------------------
work=$(mktemp -d /tmp/fanout-bench.XXXXXX)
nginx_pid=
cleanup() {
    if [ -n "$nginx_pid" ]; then
        kill "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then
        echo "scratch directory kept: $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free port on loopback; nginx binds it right after, which is racy only
# against another program grabbing the same port in between.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$work|g" "$here/nginx.conf" >"$work/nginx.conf"
"$NGINX" -p "$work" -c "$work/nginx.conf" &
nginx_pid=$!
base="http://127.0.0.1:$port/any"
for _ in $(seq 100); do
    curl -fs -o /dev/null "$base/up" && break
    sleep 0.05
done
curl -fs -o /dev/null "$base/up" || { echo "nginx did not start" >&2; cat "$work/nginx-error.log" >&2; exit 1; }

# --- inputs --------------------------------------------------------------
seq 0 $((N - 1)) | sed "s|^|$base/|" >"$work/urls.txt"
# curl's config file: one url and one output per transfer.
sed 's|.*|url = "&"\noutput = "/dev/null"|' "$work/urls.txt" >"$work/curl.cfg"

# --- one measured run ----------------------------------------------------
# Appends "tool wall_s user_s sys_s maxrss_kib" to results.tsv. Wall time is
# taken around /usr/bin/time with nanosecond resolution; CPU and peak RSS are
# the client's own (nginx runs in another process).
measure() {
    local tool=$1
    shift
    local t0 t1
    t0=$(date +%s%N)
    if ! /usr/bin/time -f '%U %S %M' -o "$work/time.txt" "$@" >"$work/out.$tool" 2>"$work/err.$tool"; then
        echo "$tool failed:" >&2
        tail -5 "$work/err.$tool" >&2
        exit 1
    fi
    t1=$(date +%s%N)
    local wall
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
    echo "$tool $wall $(tail -1 "$work/time.txt")" >>"$work/results.tsv"
}

run_tool() {
    case $1 in
    fanout) measure fanout "$FANOUT" -c "$C" -i "$work/urls.txt" ;;
    fanout-protected)
        measure fanout-protected "$FANOUT" -c "$C" -i "$work/urls.txt" \
            --trip-after 1000 --retry-budget 10 --request-id X-Request-Id \
            --metrics 127.0.0.1:0 ;;
    fanout-base) measure fanout-base "${FANOUT_BASE:?set FANOUT_BASE to a binary}" -c "$C" -i "$work/urls.txt" ;;
    oha) measure oha oha --no-tui -n "$N" -c "$C" --urls-from-file "$work/urls.txt" ;;
    curl) measure curl curl -s -Z --parallel-max "$C" -K "$work/curl.cfg" ;;
    *) echo "unknown tool $1" >&2; exit 2 ;;
    esac
}

say "N=$N C=$C RUNS=$RUNS tools: $TOOLS; nginx on 127.0.0.1:$port"
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'),"
machine="$machine $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) memory,"
machine="$machine load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
: >"$work/results.tsv"
for rep in $(seq "$RUNS"); do
    for tool in $TOOLS; do
        say "run $rep/$RUNS: $tool"
        run_tool "$tool"
        if [[ "$tool" == fanout* ]]; then
            # Every URL must have its full, ok record.
            lines=$(wc -l <"$work/out.$tool")
            oks=$(grep -c '"ok":true' "$work/out.$tool" || true)
            if [ "$lines" != "$N" ] || [ "$oks" != "$N" ]; then
                echo "$tool wrote $lines records, $oks ok; expected $N" >&2
                exit 1
            fi
        fi
    done
done

first=
if [[ " $TOOLS " == *" fanout "* ]]; then
    say "time to first record"
    first=$(python3 "$here/first_record.py" "$FANOUT" "$base/first" "$RUNS")
fi

# --- report --------------------------------------------------------------
python3 - "$work/results.tsv" "$N" "$C" "$RUNS" "$first" "$machine" <<'EOF'
import statistics, sys
path, n, c, runs, first, machine = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
rows = {}
for line in open(path):
    tool, wall, user, sys_, rss = line.split()
    rows.setdefault(tool, []).append((float(wall), float(user) + float(sys_), int(rss)))
med = {}
for tool, rs in rows.items():
    med[tool] = {
        "rps": statistics.median(n / w for w, _, _ in rs),
        "cpu": statistics.median(cpu for _, cpu, _ in rs),
        "rss": statistics.median(r for _, _, r in rs) / 1024,
    }
print(f"\nN={n} C={c}, medians of {runs} runs; CPU is the client's user+sys")
print(f"machine: {machine}\n")
print("| tool | requests/s | CPU s | CPU µs/request | peak RSS MiB | fanout's req/s ratio | fanout's CPU ratio | fanout's RSS ratio |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
f = med.get("fanout")
for tool, m in med.items():
    ratios = ["", "", ""]
    if f and tool != "fanout":
        ratios = [f"{f['rps'] / m['rps']:.2f}×", f"{f['cpu'] / m['cpu']:.2f}×", f"{f['rss'] / m['rss']:.2f}×"]
    print(f"| {tool} | {m['rps']:,.0f} | {m['cpu']:.2f} | {m['cpu'] / n * 1e6:.1f} | {m['rss']:.1f} | " + " | ".join(ratios) + " |")
print()
for tool, rs in rows.items():
    each = ", ".join(f"{n / w:,.0f}" for w, _, _ in rs)
    print(f"{tool} requests/s per run: {each}")
if first:
    print()
    for line in first.splitlines():
        name, median, worst = line.split()
        what = {"idle": "line sent to a waiting fanout", "spawn": "line sent at process start"}[name]
        print(f"time to first record ({what}): median {median} ms, worst {worst} ms (target ≤ 50 ms)")
EOF
