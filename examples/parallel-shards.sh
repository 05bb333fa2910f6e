#!/usr/bin/env bash
# Split one URL list over N fanout processes with GNU parallel and print all
# records on stdout.
#
#   examples/parallel-shards.sh URLS.txt N [fanout options...] > results.jsonl
#
# Job K runs `fanout --shard K/N` over the whole list and keeps only its part
# (FNV-1a hash of each line, mod N), so the N jobs cover the list exactly
# once without splitting the file. Each job writes its own file, so records
# never interleave; they are concatenated at the end. To spread the jobs over
# machines, add `-S host1,host2 --transferfile URLS.txt --return
# shard-{}.jsonl --cleanup` to the parallel command (see the README).
#
# Exit status: 0 when every URL was ok, 1 when any was not or a job failed.
set -uo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 URLS.txt N [fanout options...]" >&2
  exit 2
fi
list=$1
n=$2
shift 2

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

opts=$(printf '%q ' "$@")
seq 1 "$n" | parallel --jobs "$n" \
  "fanout --shard {}/$n -i $(printf %q "$list") $opts > $(printf %q "$out")/shard-{}.jsonl"
status=$?

cat "$out"/shard-*.jsonl
[ "$status" -eq 0 ]
