#!/usr/bin/env python3
"""Locked instructions per operation, by function, from a callgrind dump made with
`--dump-instr=yes` (`LOCKED=1 bench/profile.sh ...` makes one and runs this).

    bench/locked_ops.py DUMP BINARY OPS [FUNCTION]

Callgrind counts a locked read-modify-write (an `Arc` count, a lock, a swap) as one instruction,
but on x86 it waits for every earlier load and store to complete, and its line must be owned by
this core: it can cost tens of cycles where a plain instruction costs one. This counts how many
of them a server runs per operation: the executed instructions of BINARY (not of the libraries it
links) whose disassembly (`objdump -d`) has a `lock` prefix or is an `xchg` with memory (locked
without the prefix). With FUNCTION (a substring of a function's name), each such instruction of
the matching functions is listed with where it was inlined from (`addr2line -i`).
"""
import collections
import re
import subprocess
import sys


def name(table, rest):
    """A callgrind name field: `(id) name` defines id, `(id)` refers to it."""
    m = re.match(r"\((\d+)\)(?: (.*))?", rest)
    if not m:
        return rest
    if m.group(2):
        table[m.group(1)] = m.group(2)
    return table.get(m.group(1), rest)


def position(token, previous):
    """A position field: absolute (hex or decimal), relative (+n, -n) or the same (*)."""
    if token == "*":
        return previous
    if token[0] in "+-":
        return previous + int(token)
    return int(token, 16) if token.startswith("0x") else int(token)


def executed(dump):
    """(object, address) -> (self count, function) over the dump's cost lines."""
    functions, objects = {}, {}
    obj = fn = None
    after_call = False
    address = line = 0
    counts = collections.Counter()
    owner = {}
    with open(dump) as f:
        for raw in f:
            raw = raw.rstrip("\n")
            if raw.startswith("ob="):
                obj = name(objects, raw[3:])
            elif raw.startswith("fn="):
                fn = name(functions, raw[3:])
            elif raw.startswith("cfn="):
                name(functions, raw[4:])
            elif raw.startswith("cob="):
                name(objects, raw[4:])
            elif raw.startswith("calls="):
                after_call = True
            elif raw and (raw[0].isdigit() or raw[0] in "+-*"):
                parts = raw.split()
                address = position(parts[0], address)
                if len(parts) > 1:
                    line = position(parts[1], line)
                # The cost line after `calls=` is the call's inclusive cost, not this
                # instruction's own.
                if after_call:
                    after_call = False
                    continue
                counts[(obj, address)] += int(parts[2]) if len(parts) > 2 else 0
                owner[(obj, address)] = fn
    return counts, owner


def locked_addresses(binary):
    out = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", binary], capture_output=True, text=True, check=True
    ).stdout
    found = set()
    for text in out.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(.*)", text)
        if not m:
            continue
        ins = m.group(2)
        if ins.startswith("lock ") or (ins.startswith("xchg") and "(" in ins):
            found.add(int(m.group(1), 16))
    return found


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    dump, binary, ops = sys.argv[1], sys.argv[2], float(sys.argv[3])
    want = sys.argv[4] if len(sys.argv) > 4 else None
    counts, owner = executed(dump)
    locked = locked_addresses(binary)
    base = binary.rsplit("/", 1)[-1]
    ours = {k: c for k, c in counts.items() if k[0] and k[0].endswith(base) and k[1] in locked}
    per_fn = collections.Counter()
    for key, c in ours.items():
        per_fn[owner[key]] += c
    print(f"locked instructions per op: {sum(ours.values()) / ops:.2f}")
    for fn, c in per_fn.most_common(25):
        if c / ops >= 0.01:
            print(f"{c / ops:8.2f}  {fn}")
    if want:
        for (obj, addr), c in sorted(ours.items(), key=lambda kv: -kv[1]):
            if want not in (owner[(obj, addr)] or "") or c / ops < 0.01:
                continue
            frames = subprocess.run(
                ["addr2line", "-i", "-e", binary, hex(addr)], capture_output=True, text=True
            ).stdout.split("\n")
            chain = " <- ".join(f.rsplit("/src/", 1)[-1] for f in frames if f)
            print(f"{c / ops:8.2f}  {hex(addr)}  {chain}")


if __name__ == "__main__":
    main()
