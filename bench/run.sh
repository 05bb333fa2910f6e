#!/usr/bin/env bash
# Throughput, CPU and memory of fanout next to oha and curl, all fetching the
# same N URLs at the same concurrency from one local nginx, interleaved in one
# run so that a busy machine slows every tool alike. Also times fanout's first
# record on a live pipe. Not part of `cargo test`: run it by hand.
#
#   bench/run.sh                      # all three scenarios, RUNS=5
#   N=1000000 SCENARIOS=keepalive bench/run.sh   # a million URLs
#   RUNS=9 TOOLS="fanout oha" bench/run.sh
#   SCENARIOS=keepalive RUNS=0 PROFILE=1 bench/run.sh   # callgrind only
#   SCENARIOS= RUNS=3 MEMORY=1 bench/run.sh   # 10,000 requests in flight
#
# Scenarios (SCENARIOS, default all): keepalive (plain HTTP/1.1, connections
# kept; N URLs, default 100000), tls-new (HTTPS, a new TLS connection and a
# full handshake per URL; N_TLS, default 20000), h2 (HTTP/2 over TLS,
# connections kept; N_H2, default 50000). The TLS servers use a CA and
# certificate made here with openssl; every client is given the CA.
#
# Settings (environment): C concurrency, RUNS repetitions per tool,
# TOOLS (any of: fanout fanout-1t bare oha curl fanout-protected fanout-base;
# fanout runs with its default --threads, fanout-1t with --threads 1; bare
# is bench/bare, reqwest alone on one thread (the yardstick for fanout's
# own cost);
# fanout-protected
# is fanout with --trip-after, --retry-budget, --request-id and --metrics all
# on, to measure what they cost; fanout-base is the binary FANOUT_BASE, an
# older build to compare with in the same run), FANOUT (a prebuilt binary;
# otherwise `cargo build --release`), BARE (likewise for bench/bare),
# KEEP=1 keeps the scratch directory.
#
# PROFILE=1 adds callgrind instruction counts per URL, by function, for
# fanout --threads 1 and bare (N_PROF URLs minus N_PROF0, default 5000 and
# 1000, so start-up cancels out; needs valgrind). MEMORY=1 adds the peak
# RSS of fanout (both thread counts) and bare holding N_MEM (default 10000)
# requests in flight at once to a local server that accepts and never
# answers, each given up after 5 s.
#
# Traffic goes only to 127.0.0.1. Installs what is missing (as root): nginx,
# curl, time and python3 from Debian, oha with `cargo install --locked`.
set -euo pipefail

N=${N:-100000}
N_TLS=${N_TLS:-20000}
N_H2=${N_H2:-50000}
C=${C:-64}
RUNS=${RUNS:-5}
TOOLS=${TOOLS:-"fanout fanout-1t bare oha curl"}
SCENARIOS=${SCENARIOS:-"keepalive tls-new h2"}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")

say() { printf '== %s\n' "$*" >&2; }

# --- tools ---------------------------------------------------------------
missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
[ -x /usr/bin/time ] || missing+=(time)
command -v python3 >/dev/null || missing+=(python3)
command -v openssl >/dev/null || missing+=(openssl)
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
if [ -z "${BARE:-}" ]; then
    say "building bench/bare"
    (cd "$here/bare" && cargo build --release --locked --quiet)
    BARE="$here/bare/target/release/fanout-bench-bare"
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

# A CA and a certificate for 127.0.0.1 signed by it, for the TLS servers.
(
    cd "$work"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout ca.key -out ca.pem -days 2 -subj "/CN=fanout bench CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
        -out server.pem -days 2 -extfile server.ext 2>/dev/null
)
ca="$work/ca.pem"

# Free ports on loopback; nginx binds them right after, which is racy only
# against another program grabbing the same port in between.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
tls_port=$(free_port)
h2_port=$(free_port)
sed -e "s|@PORT@|$port|g" -e "s|@TLS_PORT@|$tls_port|g" -e "s|@H2_PORT@|$h2_port|g" \
    -e "s|@DIR@|$work|g" "$here/nginx.conf" >"$work/nginx.conf"
"$NGINX" -p "$work" -c "$work/nginx.conf" &
nginx_pid=$!
base="http://127.0.0.1:$port/any"
for _ in $(seq 100); do
    curl -fs -o /dev/null "$base/up" && break
    sleep 0.05
done
curl -fs -o /dev/null "$base/up" || { echo "nginx did not start" >&2; cat "$work/nginx-error.log" >&2; exit 1; }
curl -fs --cacert "$ca" -o /dev/null "https://127.0.0.1:$h2_port/any/up" || { echo "TLS does not work" >&2; exit 1; }

# --- inputs --------------------------------------------------------------
# One list per scenario, and curl's config file for it: one url and one
# output per transfer.
scenario_base() {
    case $1 in
    keepalive) echo "http://127.0.0.1:$port/any" ;;
    tls-new) echo "https://127.0.0.1:$tls_port/any" ;;
    h2) echo "https://127.0.0.1:$h2_port/any" ;;
    *) echo "unknown scenario $1" >&2; exit 2 ;;
    esac
}
scenario_n() {
    case $1 in keepalive) echo "$N" ;; tls-new) echo "$N_TLS" ;; h2) echo "$N_H2" ;; esac
}
for sc in $SCENARIOS; do
    seq 0 $(($(scenario_n "$sc") - 1)) | sed "s|^|$(scenario_base "$sc")/|" >"$work/urls.$sc.txt"
    sed 's|.*|url = "&"\noutput = "/dev/null"|' "$work/urls.$sc.txt" >"$work/curl.$sc.cfg"
done

# --- one measured run ----------------------------------------------------
# Appends "scenario tool n wall_s user_s sys_s maxrss_kib" to results.tsv. Wall time is
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
    echo "$sc $tool $n $wall $(tail -1 "$work/time.txt")" >>"$work/results.tsv"
}

# Runs tool $1 on scenario $sc (its list $urls, $n URLs). Over TLS every
# client trusts the bench CA; oha is told what curl and fanout find out by
# themselves: tls-new has no keep-alive, h2 speaks HTTP/2.
run_tool() {
    local tls=() oha_extra=() curl_extra=()
    case $sc in
    tls-new) tls=(--cacert "$ca"); oha_extra=(--disable-keepalive) ;;
    h2) tls=(--cacert "$ca"); oha_extra=(--http-version 2); curl_extra=(--http2) ;;
    esac
    case $1 in
    fanout) measure fanout "$FANOUT" -c "$C" "${tls[@]}" -i "$urls" ;;
    fanout-1t) measure fanout-1t "$FANOUT" --threads 1 -c "$C" "${tls[@]}" -i "$urls" ;;
    fanout-protected)
        measure fanout-protected "$FANOUT" -c "$C" "${tls[@]}" -i "$urls" \
            --trip-after 1000 --retry-budget 10 --request-id X-Request-Id \
            --metrics 127.0.0.1:0 ;;
    bare) measure bare "$BARE" -c "$C" "${tls[@]}" "$urls" ;;
    fanout-base) measure fanout-base "${FANOUT_BASE:?set FANOUT_BASE to a binary}" -c "$C" "${tls[@]}" -i "$urls" ;;
    oha) measure oha oha --no-tui -n "$n" -c "$C" "${tls[@]}" "${oha_extra[@]}" --urls-from-file "$urls" ;;
    curl) measure curl curl -s -Z --parallel-max "$C" "${tls[@]}" "${curl_extra[@]}" -K "$work/curl.$sc.cfg" ;;
    *) echo "unknown tool $1" >&2; exit 2 ;;
    esac
}

say "scenarios: $SCENARIOS; C=$C RUNS=$RUNS tools: $TOOLS; nginx on 127.0.0.1:$port, :$tls_port, :$h2_port"
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'),"
machine="$machine $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) memory,"
machine="$machine load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
: >"$work/results.tsv"
for rep in $(seq "$RUNS"); do
    for sc in $SCENARIOS; do
        urls="$work/urls.$sc.txt"
        n=$(scenario_n "$sc")
        for tool in $TOOLS; do
            say "run $rep/$RUNS: $sc $tool"
            run_tool "$tool"
            if [[ "$tool" == fanout* ]]; then
                # Every URL must have its full, ok record.
                lines=$(wc -l <"$work/out.$tool")
                oks=$(grep -c '"ok":true' "$work/out.$tool" || true)
                if [ "$lines" != "$n" ] || [ "$oks" != "$n" ]; then
                    echo "$tool wrote $lines records, $oks ok; expected $n" >&2
                    grep -v '"ok":true' "$work/out.$tool" | head -3 >&2
                    exit 1
                fi
            fi
        done
    done
done

# System calls and wake-ups per request, from strace -c -f on the first
# 20,000 URLs of the keep-alive list: all calls, futex (cross-thread
# wake-ups that block) and epoll_wait (one per turn of an event loop that
# had to ask the kernel for work).
: >"$work/extra.txt"
if command -v strace >/dev/null && [[ " $SCENARIOS " == *" keepalive "* ]]; then
    say "system calls per request"
    head -20000 "$work/urls.keepalive.txt" >"$work/urls.strace.txt"
    m=$(wc -l <"$work/urls.strace.txt")
    echo "System calls per request (strace -c -f, keep-alive, $m URLs, C=$C):" >>"$work/extra.txt"
    for tool in fanout-1t fanout bare; do
        case $tool in
        fanout-1t) cmd=("$FANOUT" --threads 1 -q -c "$C" -i "$work/urls.strace.txt") ;;
        fanout) cmd=("$FANOUT" -q -c "$C" -i "$work/urls.strace.txt") ;;
        bare) cmd=("$BARE" -c "$C" "$work/urls.strace.txt") ;;
        esac
        strace -c -f -o "$work/strace.txt" "${cmd[@]}" >/dev/null 2>&1
        awk -v m="$m" -v t="$tool" '
            $NF == "total" { total = $4 }
            $NF == "futex" { futex = $4 }
            $NF == "epoll_wait" { epoll = $4 }
            END { printf "- %s: %.2f in all, futex %.3f, epoll_wait %.3f\n", t, total / m, futex / m, epoll / m }
        ' "$work/strace.txt" >>"$work/extra.txt"
    done
fi

# Instructions per URL (callgrind; user space only, independent of the
# machine's load): two runs per tool, N_PROF and N_PROF0 URLs, and their
# difference divided by N_PROF - N_PROF0, so start-up (loading the root
# certificates, building the client) cancels out; then per crate and per
# function (self cost) the same way.
if [ "${PROFILE:-0}" = 1 ] && [[ " $SCENARIOS " == *" keepalive "* ]]; then
    N_PROF=${N_PROF:-5000}
    N_PROF0=${N_PROF0:-1000}
    for k in "$N_PROF0" "$N_PROF"; do head -"$k" "$work/urls.keepalive.txt" >"$work/urls.prof.$k"; done
    for tool in fanout-1t bare; do
        for k in "$N_PROF0" "$N_PROF"; do
            say "callgrind: $tool, $k URLs"
            case $tool in
            fanout-1t) cmd=("$FANOUT" --threads 1 -q -c "$C" -i "$work/urls.prof.$k") ;;
            bare) cmd=("$BARE" -c "$C" "$work/urls.prof.$k") ;;
            esac
            valgrind --tool=callgrind --callgrind-out-file="$work/cg.$tool.$k" "${cmd[@]}" >/dev/null 2>"$work/cg.$tool.$k.err"
        done
    done
    python3 "$here/callgrind_diff.py" "$N_PROF0" "$N_PROF" \
        "fanout --threads 1" "$work/cg.fanout-1t.$N_PROF0" "$work/cg.fanout-1t.$N_PROF" \
        bare "$work/cg.bare.$N_PROF0" "$work/cg.bare.$N_PROF" >>"$work/extra.txt"
fi

# Memory per request in flight: N_MEM URLs, all in flight at once (-c
# N_MEM), to a server that accepts every connection and never answers;
# each request is given up after 5 s. Peak RSS of each tool, interleaved.
if [ "${MEMORY:-0}" = 1 ]; then
    N_MEM=${N_MEM:-10000}
    ulimit -n "$(ulimit -Hn)"
    python3 -c '
import asyncio
async def hold(reader, writer):
    await reader.read()  # until the client gives up; never answers
    writer.close()
async def main():
    server = await asyncio.start_server(hold, "127.0.0.1", 0, backlog=16384)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
' >"$work/hang.port" &
    hang_pid=$!
    until [ -s "$work/hang.port" ]; do sleep 0.05; done
    seq 0 $((N_MEM - 1)) | sed "s|^|http://127.0.0.1:$(cat "$work/hang.port")/hang/|" >"$work/urls.hang.txt"
    : >"$work/memory.tsv"
    for rep in $(seq "${RUNS_MEM:-3}"); do
        for tool in fanout-1t fanout bare; do
            say "memory run $rep: $tool, $N_MEM in flight"
            case $tool in
            fanout-1t) cmd=("$FANOUT" --threads 1 -q -r 0 --timeout 5s -c "$N_MEM" -i "$work/urls.hang.txt") ;;
            fanout) cmd=("$FANOUT" -q -r 0 --timeout 5s -c "$N_MEM" -i "$work/urls.hang.txt") ;;
            bare) cmd=("$BARE" --timeout 5 -c "$N_MEM" "$work/urls.hang.txt") ;;
            esac
            # Every request times out, so every tool exits with 1.
            /usr/bin/time -f '%M' -o "$work/time.txt" "${cmd[@]}" >"$work/out.mem" 2>/dev/null || true
            echo "$tool $(tail -1 "$work/time.txt")" >>"$work/memory.tsv"
            if [ "$tool" != bare ] && [ "$(grep -c '"kind":"timeout"' "$work/out.mem")" != "$N_MEM" ]; then
                echo "$tool: not every request timed out" >&2
                head -3 "$work/out.mem" >&2
                exit 1
            fi
        done
    done
    kill "$hang_pid"
    python3 - "$work/memory.tsv" "$N_MEM" >>"$work/extra.txt" <<'EOF'
import statistics, sys
rss = {}
for line in open(sys.argv[1]):
    tool, kib = line.split()
    rss.setdefault(tool, []).append(int(kib))
n = int(sys.argv[2])
med = {t: statistics.median(v) for t, v in rss.items()}
print(f"\nPeak RSS with {n:,} requests in flight (medians of {len(rss['bare'])}):")
for t, kib in med.items():
    extra = f", {(kib - med['bare']) / n:+.2f} KiB per request over bare" if t != "bare" else ""
    print(f"- {t}: {kib / 1024:.1f} MiB{extra}")
EOF
fi

first=
if [[ " $TOOLS " == *" fanout "* ]]; then
    say "time to first record"
    first=$(python3 "$here/first_record.py" "$FANOUT" "$base/first" "$RUNS")
fi

# --- report --------------------------------------------------------------
python3 - "$work/results.tsv" "$C" "$RUNS" "$first" "$machine" <<'EOF'
import statistics, sys
path, c, runs, first, machine = sys.argv[1:6]
rows = {}
for line in open(path):
    sc, tool, n, wall, user, sys_, rss = line.split()
    rows.setdefault(sc, {}).setdefault(tool, []).append((int(n), float(wall), float(user) + float(sys_), int(rss)))
print(f"\nC={c}, medians of {runs} runs; CPU is the client's user+sys")
print(f"machine: {machine}")
for sc, tools in rows.items():
    med = {}
    for tool, rs in tools.items():
        n = rs[0][0]
        med[tool] = {
            "rps": statistics.median(n / w for n, w, _, _ in rs),
            "cpu": statistics.median(cpu for _, _, cpu, _ in rs),
            "rss": statistics.median(r for _, _, _, r in rs) / 1024,
            "n": n,
        }
    print(f"\n{sc}, N={n}:\n")
    print("| tool | requests/s | CPU s | CPU µs/request | peak RSS MiB | fanout's req/s ratio | fanout's CPU ratio | fanout's RSS ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    f = med.get("fanout")
    for tool, m in med.items():
        ratios = ["", "", ""]
        if f and tool != "fanout":
            ratios = [f"{f['rps'] / m['rps']:.2f}×", f"{f['cpu'] / m['cpu']:.2f}×", f"{f['rss'] / m['rss']:.2f}×"]
        print(f"| {tool} | {m['rps']:,.0f} | {m['cpu']:.2f} | {m['cpu'] / m['n'] * 1e6:.1f} | {m['rss']:.1f} | " + " | ".join(ratios) + " |")
    b = med.get("bare")
    for tool in ("fanout-1t", "fanout"):
        if b and tool in med:
            m = med[tool]
            extra = (m["cpu"] - b["cpu"]) / m["n"] * 1e6
            print(f"\n{tool} over bare: {extra:+.2f} µs CPU per request ({m['cpu'] / b['cpu']:.2f}×), "
                  f"{m['rps'] / b['rps']:.2f}× its requests/s, {m['rss'] - b['rss']:+.1f} MiB peak RSS", end="")
    print("\n")
    for tool, rs in tools.items():
        each = ", ".join(f"{n / w:,.0f}" for n, w, _, _ in rs)
        print(f"{tool} requests/s per run: {each}")
if first:
    print()
    for line in first.splitlines():
        name, median, worst = line.split()
        what = {"idle": "line sent to a waiting fanout", "spawn": "line sent at process start"}[name]
        print(f"time to first record ({what}): median {median} ms, worst {worst} ms (target ≤ 50 ms)")
EOF
if [ -s "$work/extra.txt" ]; then
    echo
    cat "$work/extra.txt"
fi
