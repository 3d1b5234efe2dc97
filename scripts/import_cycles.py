#!/usr/bin/env python3
"""Checks that the files of one Rust module directory do not import each other in a circle.

usage: import_cycles.py DIR [--allow=a,b,..] [--tests] [--docs] [--quiet]

DIR is a module directory under a crate's `src/` (e.g. `socketio/src/runtime`, the module
`crate::runtime`); each `*.rs` file in it but `mod.rs` is one sibling module. An edge `a -> b` is
any use of sibling `b` in file `a`:

- `use super::b::..`, `use crate::<module>::b::..`, and inline paths `super::b::X` in code;
- a name that DIR/mod.rs re-exports (`use super::IntoPayload`) counts against its defining file;
- inside a nested `mod tests { .. }`, `super::` is the file itself and `super::super::` the
  directory.

Edges used only by tests (inside a `#[cfg(test)]` module) and intra-doc links (`[x](super::Y)`)
are listed but left out of the check unless --tests or --docs is given: a unit test may build the
whole server, and a doc link costs nothing at build time.

Prints, unless --quiet, each file's imports (item -> the lines that use it); then the files in
layers, leaves first (strongly connected components in reverse topological order); then each
cycle (component of more than one file) with the edges that make it. Exits with status 1 when
there is a cycle, unless all of its files are named in --allow (a cycle kept on purpose; a new
file joining it fails the check). Exit status 2: bad arguments.
"""
import argparse
import os
import re
import sys
from collections import defaultdict

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
KINDS = ("code", "test", "doc")


def use_tree_paths(text):
    """Flattens a use tree `a::{b::C, d as E}` into [(['a','b','C'], 'C'), (['a','d'], 'E')]."""
    toks = re.findall(r"::|[{},*]|" + IDENT, text)
    pos = 0

    def tree(prefix):
        nonlocal pos
        out = []
        path = list(prefix)
        while pos < len(toks):
            t = toks[pos]
            if t == "{":
                pos += 1
                while pos < len(toks) and toks[pos] != "}":
                    out += tree(path)
                    if pos < len(toks) and toks[pos] == ",":
                        pos += 1
                pos += 1
                return out
            if t in (",", "}"):
                break
            if t == "::":
                pos += 1
                continue
            if t == "as":
                alias = toks[pos + 1] if pos + 1 < len(toks) else path[-1]
                pos += 2
                out.append((path, alias))
                return out
            path = path + [t]
            pos += 1
        if path != list(prefix):
            out.append((path, path[-1]))
        return out

    return tree([])


def code_of(line):
    """The code of a line: string literals emptied, then the `//` comment cut off."""
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', line).split("//")[0]


def module_path(d):
    """`crate::a::b` for a directory `.../src/a/b`."""
    parts = os.path.normpath(os.path.abspath(d)).split(os.sep)
    if "src" not in parts:
        sys.exit(f"{d}: not under a crate's src/ directory")
    i = len(parts) - 1 - parts[::-1].index("src")
    return "::".join(["crate"] + parts[i + 1:])


def reexports(d, mods):
    """Names that DIR/mod.rs re-exports, with the sibling that defines each."""
    out = {}
    path = os.path.join(d, "mod.rs")
    if os.path.exists(path):
        src = open(path).read()
        for m in re.finditer(r"pub(?:\([a-z]+\))?\s+use\s+([^;]+);", src):
            for segs, alias in use_tree_paths(m.group(1)):
                if segs and segs[0] in mods:
                    out[alias] = segs[0]
    return out


def nesting(lines):
    """For each line: how many `mod x {` it sits in, and whether one of them is test-only."""
    depth_of, test_of = [], []
    stack, brace, pending_test = [], 0, False
    for ln in lines:
        code = code_of(ln)
        if re.match(r"\s*#\[cfg\(test\)\]", ln):
            pending_test = True
        opens_mod = re.match(r"\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+" + IDENT + r"\s*\{", code)
        if opens_mod:
            stack.append((brace, pending_test or bool(stack and stack[-1][1])))
            pending_test = False
        elif code.strip() and not code.strip().startswith("#"):
            pending_test = False  # the `#[cfg(test)]` was on something else
        depth_of.append(len(stack))
        test_of.append(bool(stack and stack[-1][1]))
        brace += code.count("{") - code.count("}")
        while stack and brace <= stack[-1][0]:
            stack.pop()
    return depth_of, test_of


def analyse(d):
    """The sibling modules of `d`, and its edges: (src, dst, kind) -> {item: lines using it}."""
    files = sorted(f for f in os.listdir(d) if f.endswith(".rs"))
    mods = {f[:-3] for f in files if f != "mod.rs"}
    anchor = module_path(d)
    reexp = reexports(d, mods)

    def resolve(segs, depth):
        """The sibling and item that `segs` (after `super::`s or the anchor) name, at `depth`
        relative to the directory (0: the directory itself)."""
        if depth != 0 or not segs:
            return None, None
        if segs[0] in mods:
            return segs[0], (segs[1] if len(segs) > 1 else "*")
        if segs[0] in reexp:
            return reexp[segs[0]], segs[0]
        return None, None

    def resolve_path(segs, depth):
        """`segs` of a path written at nesting `depth` (the file itself is depth 1)."""
        anchor_segs = anchor.split("::")
        if segs[: len(anchor_segs)] == anchor_segs:
            return resolve(segs[len(anchor_segs):], 0)
        supers = 0
        while supers < len(segs) and segs[supers] == "super":
            supers += 1
        if supers == 0:
            return None, None
        return resolve(segs[supers:], depth + 1 - supers)

    graph = {}
    inline = re.compile(
        r"\b((?:super::)+|" + re.escape(anchor) + r"::)(" + IDENT + r")(?:::(" + IDENT + r"))?"
    )
    for f in files:
        if f == "mod.rs":
            continue
        me = f[:-3]
        lines = open(os.path.join(d, f)).read().split("\n")
        depth_of, test_of = nesting(lines)
        uses = defaultdict(set)  # (dst, kind) -> names imported
        use_lines = set()
        i = 0
        while i < len(lines):
            if not re.match(r"\s*(pub(\([a-z]+\))?\s+)?use\s", code_of(lines[i])):
                i += 1
                continue
            j, text = i, code_of(lines[i])
            while ";" not in text and j + 1 < len(lines):
                j += 1
                text += " " + code_of(lines[j])
            use_lines.update(range(i, j + 1))
            kind = "test" if test_of[i] else "code"
            body = re.sub(r"^\s*(pub(\([a-z]+\))?\s+)?use\s+", "", text.split(";")[0])
            for segs, alias in use_tree_paths(body):
                dst, item = resolve_path(segs, depth_of[i])
                if dst and dst != me:
                    uses[(dst, kind)].add(alias if item != "*" else "*")
            i = j + 1
        # Inline paths, in code and in doc comments.
        for n, ln in enumerate(lines):
            if n in use_lines:
                continue
            is_doc = ln.strip().startswith("//")
            text = ln if is_doc else code_of(ln)
            for m in inline.finditer(text):
                segs = m.group(1).rstrip(":").split("::") + [m.group(2)]
                segs += [m.group(3)] if m.group(3) else []
                dst, item = resolve_path(segs, depth_of[n])
                if not dst or dst == me:
                    continue
                kind = "doc" if is_doc else ("test" if test_of[n] else "code")
                graph.setdefault((me, dst, kind), defaultdict(set))[item].add(n + 1)
        # Where each imported name is used.
        for (dst, kind), names in uses.items():
            edge = graph.setdefault((me, dst, kind), defaultdict(set))
            for name in names:
                edge.setdefault(name, set())
                for n, ln in enumerate(lines):
                    if n in use_lines or ln.strip().startswith("//"):
                        continue
                    if kind == "code" and test_of[n]:
                        continue
                    if re.search(r"\b" + re.escape(name) + r"\b", code_of(ln)):
                        edge[name].add(n + 1)
    return sorted(mods), graph


def components(nodes, adj):
    """Strongly connected components (Tarjan), in reverse topological order: leaves first."""
    index, low, on, stack, out = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(adj[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for v in nodes:
        if v not in index:
            visit(v)
    return out


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("dir", help="a module directory under src/, e.g. socketio/src/runtime")
    ap.add_argument("--allow", default="", help="comma-separated files (no .rs) a cycle may span")
    ap.add_argument("--tests", action="store_true", help="count test-only edges too")
    ap.add_argument("--docs", action="store_true", help="count intra-doc links too")
    ap.add_argument("--quiet", action="store_true", help="print only the layers and the cycles")
    args = ap.parse_args()
    if not os.path.isdir(args.dir):
        ap.error(f"{args.dir}: not a directory")

    nodes, graph = analyse(args.dir)
    allow = {a for a in args.allow.split(",") if a}
    unknown = allow - set(nodes)
    if unknown:
        ap.error(f"--allow names no file of {args.dir}: {', '.join(sorted(unknown))}")
    counted = {"code"} | ({"test"} if args.tests else set()) | ({"doc"} if args.docs else set())
    adj = defaultdict(set)
    for (src, dst, kind) in graph:
        if kind in counted:
            adj[src].add(dst)

    def items(edge):
        return "; ".join(
            f"{k}@{','.join(map(str, sorted(v))) or '-'}" for k, v in sorted(edge.items())
        )

    if not args.quiet:
        for src in nodes:
            out = sorted((dst, kind) for (s, dst, kind) in graph if s == src)
            tag = lambda kind: "" if kind == "code" else f"[{kind}]"
            print(f"{src}: " + (", ".join(dst + tag(k) for dst, k in out) or "(leaf)"))
            for dst, kind in out:
                print(f"    -> {dst + tag(kind):13s}  {items(graph[(src, dst, kind)])}")

    comps = components(nodes, adj)
    print(f"{args.dir}: layers (leaves first):", " | ".join(" + ".join(c) for c in comps))
    cycles = [c for c in comps if len(c) > 1]
    failed = False
    for comp in cycles:
        ok = set(comp) <= allow
        failed |= not ok
        print("  allowed cycle among:" if ok else "  CYCLE among:", ", ".join(comp))
        for src in comp:
            for dst in sorted(adj[src] & set(comp)):
                for kind in KINDS:
                    if (src, dst, kind) in graph:
                        print(f"    {src} -> {dst} [{kind}]: {items(graph[(src, dst, kind)])}")
    stale = allow - {f for c in cycles for f in c}
    if stale:
        print(f"  note: --allow names files in no cycle ({', '.join(sorted(stale))}): drop them")
    if failed:
        print(f"{args.dir}: import cycle (see above); break it, or --allow it on purpose")
        sys.exit(1)
    print(f"{args.dir}: no import cycle" + (" (apart from the allowed ones)" if cycles else ""))


if __name__ == "__main__":
    main()
