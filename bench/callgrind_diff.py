#!/usr/bin/env python3
"""Instructions per URL from two callgrind runs of one tool that differ
only in the number of URLs (K0 and K1): the difference of the two divided
by K1 - K0, so that start-up cancels out. Prints the total, the self cost
per crate (the first path segment of the function's name; C functions by
library) and the functions that cost most, for each tool given.

    callgrind_diff.py K0 K1 NAME OUT_K0 OUT_K1 [NAME OUT_K0 OUT_K1 ...]

Needs callgrind_annotate (valgrind). Self cost: with LTO most of a crate's
small functions are inlined into their callers, so a crate's figure is
what ended up in its functions, not an exact split by source.
"""
import re
import subprocess
import sys

LINE = re.compile(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*\S)\s*$")
SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)::")


def costs(path):
    """Self instructions per function name, and the program's total."""
    text = subprocess.run(
        ["callgrind_annotate", "--threshold=100", "--inclusive=no", path],
        check=True, capture_output=True, text=True,
    ).stdout
    per, total = {}, None
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        n, name = int(m.group(1).replace(",", "")), m.group(2)
        if name.startswith("PROGRAM TOTALS"):
            total = n
            continue
        # "file:function [object]" -> function
        name = re.sub(r"\s+\[[^\]]*\]$", "", name)
        name = name.split(":", 1)[1] if ":" in name and not name.startswith("<") and "::" not in name.split(":", 1)[0] else name
        name = re.sub(r"^\?\?\?:", "", name)
        per[name] = per.get(name, 0) + n
    return per, total


def crate(name):
    if name.startswith("mi_") or name.startswith("_mi_"):
        return "mimalloc"
    m = SEGMENT.search(name.lstrip("<&* "))
    if m:
        seg = m.group(1)
        return "std" if seg in ("core", "alloc", "std") else seg
    return "libc and kernel entry (" + name[:24] + ")" if name.startswith(("mem", "__mem", "str")) else "C: " + name[:40]


def main(argv):
    k0, k1 = int(argv[1]), int(argv[2])
    urls = k1 - k0
    rest = argv[3:]
    for i in range(0, len(rest), 3):
        title, p0, p1 = rest[i:i + 3]
        a, ta = costs(p0)
        b, tb = costs(p1)
        diff = {f: (b.get(f, 0) - a.get(f, 0)) / urls for f in set(a) | set(b)}
        print(f"\n{title}: {(tb - ta) / urls:,.0f} instructions per URL "
              f"(callgrind, {k1:,} URLs minus {k0:,})")
        by_crate = {}
        for f, n in diff.items():
            by_crate[crate(f)] = by_crate.get(crate(f), 0) + n
        print("  per crate (self):")
        for c, n in sorted(by_crate.items(), key=lambda x: -x[1])[:16]:
            print(f"    {n:9,.0f}  {c}")
        print("  functions (self):")
        for f, n in sorted(diff.items(), key=lambda x: -x[1])[:30]:
            short = f if len(f) <= 150 else f[:147] + "..."
            print(f"    {n:9,.0f}  {short}")


if __name__ == "__main__":
    main(sys.argv)
