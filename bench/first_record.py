#!/usr/bin/env python3
"""Time to first record: how long fanout takes to write its first record
after the first URL arrives on its stdin, with stdin kept open (a live pipe,
as in `tail -f urls | fanout`).

Usage: first_record.py FANOUT URL RUNS

Two cases, RUNS times each, medians printed as `name median_ms` lines:
  idle   fanout is started, left to wait on an empty pipe, then sent one line
  spawn  the line is written right after the process is started, so the time
         includes fanout's own start-up
"""

import os
import select
import statistics
import subprocess
import sys
import time

TIMEOUT_S = 10.0


def one(fanout, url, settle):
    proc = subprocess.Popen(
        [fanout, "-c", "64"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        if settle:
            # Let it start and block on the empty pipe.
            time.sleep(settle)
        t0 = time.monotonic()
        os.write(proc.stdin.fileno(), (url + "\n").encode())
        ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT_S)
        if not ready:
            raise SystemExit(f"first_record: no record within {TIMEOUT_S}s")
        # The record is one line; a read of whatever arrived is enough to
        # stop the clock, the line is checked after.
        data = os.read(proc.stdout.fileno(), 65536)
        elapsed = time.monotonic() - t0
        if b'"ok":true' not in data:
            raise SystemExit(f"first_record: unexpected output {data[:200]!r}")
        return elapsed * 1000.0
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    fanout, url, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for name, settle in (("idle", 0.3), ("spawn", 0.0)):
        times = [one(fanout, url, settle) for _ in range(runs)]
        print(f"{name} {statistics.median(times):.2f} {max(times):.2f}")


if __name__ == "__main__":
    main()
