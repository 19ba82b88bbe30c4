#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The folders' rules of docs/architecture.md, checked on the source tree:
# - a folder includes from another only where the table's "may use" allows it;
# - no circle of includes between folders, nor between a folder's modules
#   (a .c file and its .h; a private *internal.h may include its folder's
#   public headers), outside the guest kernel;
# - x86 paging facts are written once, in x86/x86.h: no other definition of
#   the PTE bits, and no hand-written page-table index arithmetic.
# Usage: test_layers.sh MEMVIRT BUILD_DIR (neither used: the sources are read).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
exec python3 - <<'PY'
import os, re, sys

# folder -> folders it may include from (docs/architecture.md, "may use")
ALLOWED = {
    "x86": set(),
    "common": set(),
    "workloads": {"x86"},
    "mmu": {"x86", "common"},
    "shadow": {"x86"},
    "trace": {"x86", "common"},
    "analysis": {"x86", "common", "trace"},
    "sim": {"x86", "common", "mmu", "shadow", "trace", "workloads"},
    "host": {"common"},
    "lab": {"common"},
    "vmm": {"x86", "common", "host", "mmu", "workloads", "trace", "lab"},
    "run": {"x86", "common", "host", "vmm", "mmu", "trace", "lab", "workloads"},
    "validate": {"x86", "common", "host", "vmm", "mmu", "shadow", "trace", "lab", "workloads",
                 "run", "sim"},
    "sweep": {"common"},
    "src": None,    # the binary: any folder above
    "tests": None,
    "bench": {"common", "mmu", "workloads", "x86"},
    "repro": set(),  # scripts that run the built binary; no C
}
SKIP_DIRS = {".git", "build", "build-asan", "build-fuzz"}
inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
errors = []

files = []
for root, dirs, names in os.walk("."):
    dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith("build")]
    for n in names:
        if n.endswith((".c", ".h")):
            files.append(os.path.normpath(os.path.join(root, n)))

def folder(path):
    return path.split(os.sep)[0]

def module(path):
    return re.sub(r"(\.bpf)?\.[ch]$", "", path)

edges = {}       # folder graph
mod_edges = {}   # module graph
for f in files:
    top_dir = folder(f)
    if top_dir not in ALLOWED:
        errors.append(f"{f}: folder '{top_dir}' is not in the architecture table")
        continue
    with open(f, errors="replace") as fh:
        for ln, line in enumerate(fh, 1):
            m = inc_re.match(line)
            if not m:
                continue
            target = m.group(1)
            if os.path.exists(target):
                tpath = os.path.normpath(target)
            elif os.path.exists(os.path.join(os.path.dirname(f), target)):
                tpath = os.path.normpath(os.path.join(os.path.dirname(f), target))
            else:
                continue  # generated (skeletons) or system headers
            tdir = folder(tpath)
            if tdir != top_dir:
                allowed = ALLOWED[top_dir]
                if allowed is not None and tdir not in allowed:
                    errors.append(f"{f}:{ln}: {top_dir}/ may not include {target}")
                edges.setdefault(top_dir, set()).add(tdir)
            # A private header (internal.h, NAME_internal.h) extends its folder's
            # public header: that include is not an edge back.
            private = "internal" in os.path.basename(f)
            if module(tpath) != module(f) and not (private and folder(tpath) == top_dir):
                mod_edges.setdefault(module(f), set()).add(module(tpath))

def cycles(graph, ignore=lambda v: False):
    sys.setrecursionlimit(100000)
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 and not all(ignore(c) for c in comp):
                out.append(sorted(comp))
    for v in list(graph):
        if v not in index:
            visit(v)
    return out

for c in cycles({k: v for k, v in edges.items() if k not in ("tests", "src")}):
    errors.append("include circle between folders: " + " -> ".join(c))
for c in cycles(mod_edges, ignore=lambda m: m.startswith("workloads/kernel/")):
    errors.append("include circle between modules: " + " -> ".join(c))

# x86 facts once: PTE bit definitions and page-table index arithmetic.
pte_def = re.compile(r"#\s*define\s+\w*PTE_(P|RW|US|PS|NX|A|D|G)\b")
index_math = re.compile(r">>\s*(39|30|21|48)\)?\s*&\s*(0x1ff|511)\b|>>\s*\(12\s*\+\s*9")
for f in files:
    if f == os.path.join("x86", "x86.h") or folder(f) == "tests":
        continue
    with open(f, errors="replace") as fh:
        for ln, line in enumerate(fh, 1):
            if pte_def.search(line):
                errors.append(f"{f}:{ln}: a PTE bit defined outside x86/x86.h")
            if index_math.search(line):
                errors.append(f"{f}:{ln}: page-table index arithmetic outside x86/x86.h (use pt_index)")

for e in errors:
    print(e)
print(f"{len(files)} files read, {len(errors)} problem(s)")
sys.exit(1 if errors else 0)
PY
