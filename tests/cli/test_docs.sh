#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# README.md and docs/*.md name only files that exist: every relative link, and every
# path/like/this.ext under one of the repository's top-level folders. Outputs that a command
# writes (run.json, events.mvev, ...) are not repository files: they are listed in OUTPUTS.
# Run: test_docs.sh MEMVIRT BUILD_DIR
source "$(dirname "$0")/lib.sh"

# Names of files memvirt (or a user) writes, which docs mention as paths inside output folders.
OUTPUTS="run.json sim.json events.mvev pagetables.bin console.log lab.json lab-console.log
trace.mvev trace.json tables.csv demo.json"

# docs_check ROOT: one line per missing file on stderr; fails if there is any.
docs_check() {
	python3 - "$1" "$OUTPUTS" <<'PY'
import os, re, sys
src, outputs = sys.argv[1], set(sys.argv[2].split())
tops = {d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d))
        and not d.startswith(('.', 'build', 'memvirt-out'))}
docs = ['README.md'] + ['docs/' + f for f in sorted(os.listdir(os.path.join(src, 'docs')))
                        if f.endswith('.md')]
link = re.compile(r'\]\(([^)\s]+)\)')
path = re.compile(r'(?<![\w./$~-])((?:[A-Za-z0-9_-]+/)+[A-Za-z0-9_.-]*\.[A-Za-z0-9]+)\b')
bad = []
for doc in docs:
    here = os.path.dirname(doc)
    for n, line in enumerate(open(os.path.join(src, doc), encoding='utf-8'), 1):
        for target in link.findall(line):
            if re.match(r'^[a-z]+:|^#', target):
                continue
            target = target.split('#')[0]
            if not os.path.exists(os.path.normpath(os.path.join(src, here, target))):
                bad.append('%s:%d: link to %s: no such file' % (doc, n, target))
        for p in path.findall(link.sub('](', line)):  # links are checked above
            parts = p.split('/')
            if parts[0] not in tops or parts[-1] in outputs:
                continue
            # NAME, FAMILY, ...: a placeholder standing for any file of a kind
            if any(re.fullmatch(r'[A-Z][A-Z_]+', c.split('.')[0]) for c in parts):
                continue
            if not os.path.exists(os.path.join(src, p)):
                bad.append('%s:%d: %s: no such file in the repository' % (doc, n, p))
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

expect 0 "README.md and docs/*.md name existing files" -- docs_check "$SRC"

# The check can fail: a tree with one missing link and one missing source path.
mkdir -p "$TMP/fake/docs" "$TMP/fake/src"
printf 'see [x](docs/nosuch.md), src/nosuch.c and src/r1/run.json\n' >"$TMP/fake/README.md"
printf 'back to [the README](../README.md)\n' >"$TMP/fake/docs/a.md"
expect 1 "a made-up tree with two missing files" -- docs_check "$TMP/fake"
check "the missing link is named" has "README.md:1: link to docs/nosuch.md" "$TMP/err"
check "the missing path is named" has "README.md:1: src/nosuch.c" "$TMP/err"
check "only those two" test "$(wc -l <"$TMP/err")" -eq 2
finish
