#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every reader of a file against a corpus of hostile inputs made here from valid fixtures with
# a fixed seed: truncated, bit-flipped, huge length fields, random bytes. Each run must end
# within 20 s, not by a signal, with at most 4 GiB of address space (AddressSanitizer builds:
# allocations above 2 GiB fail instead), and either read the file (exit 0: a flipped bit in a
# value can leave a valid file) or refuse it: exit 2 with exactly one line on stderr. Inputs
# that cannot be valid (cut inside the header, random bytes, huge lengths in the header) must
# be refused. Run: test_hostile.sh MEMVIRT BUILD_DIR
source "$(dirname "$0")/lib.sh"
C=$TMP/corpus
mkdir -p "$C"

# ---- valid fixtures ----
"$BUILD/test_evfile" --write "$C/good.mvev" || { echo "FAIL: test_evfile --write" >&2; exit 1; }
python3 -c '
for i in range(300):
    print(" %s %x,8" % ("LSM"[i % 3], 0x7ff000000 + 64 * i))' >"$C/good.lackey"
"$MEMVIRT" sim convert --lackey "$C/good.lackey" -o "$C/good.mvat" 2>/dev/null ||
	{ echo "FAIL: sim convert" >&2; exit 1; }
printf '[sim]\npreset = zen4\nname = hostile\n[pwc]\nlatency = 2\n[paging]\nlevels = 4\n' >"$C/good.cfg"
# A one-region, one-page snapshot of the seq workload (docs/ptsnap.md).
python3 -c "
import struct, sys
h = struct.pack('<8sIIQIIIIII6Q4Q', b'MVPTSNAP', 1, 128, 0x1000, 4, 46, 1, 1, 1, 0, 1 << 20,
                1, 4096, 1, 0, 0x8000000000, 0, 0, 0, 0)
r = struct.pack('<QQII', 0, 1 << 26, 1, 0)
p = struct.pack('<QII', 0x1000, 4, 0) + bytes(4096)
open(sys.argv[1], 'wb').write(h + r + p)" "$C/good.ptsnap"

# ---- the corpus: KIND.VARIANT; variants named must-* cannot be valid ----
python3 - "$C" "$SRC/docs/sample-run/run.json" <<'PY'
import os, random, shutil, struct, sys
c, run_json = sys.argv[1], sys.argv[2]
rng = random.Random(13)
for kind in ('mvev', 'lackey', 'mvat', 'cfg', 'ptsnap'):
    good = open(os.path.join(c, 'good.' + kind), 'rb').read()
    out = {}
    binary = kind in ('mvev', 'mvat', 'ptsnap')
    if binary:
        out['must-cut-header'] = good[:7]
        for i, at in enumerate(sorted(rng.sample(range(20, len(good) - 1), 4))):
            out['cut-%d' % i] = good[:at]
        # huge length and count fields: every aligned 32-bit word of the first 96 bytes, in
        # turn; not a snapshot's workload footprint and iters (bytes 48..63), which ask for a
        # long simulation, not a bad file
        for off in range(8, min(len(good) - 4, 96), 4):
            if kind == 'ptsnap' and 48 <= off < 64:
                continue
            b = bytearray(good)
            b[off:off + 4] = struct.pack('<I', 0xffffffff)
            out['huge-%d' % off] = bytes(b)
        out['must-random'] = bytes(rng.getrandbits(8) for _ in range(4096))
    else:
        for i, at in enumerate(sorted(rng.sample(range(1, len(good) - 1), 3))):
            out['cut-%d' % i] = good[:at]
        out['must-random'] = bytes(rng.getrandbits(8) for _ in range(4096)) + b'\0'
        out['must-long-line'] = b'x' * 100000 + b'\n'
    for i in range(8):
        b = bytearray(good)
        for _ in range(1 + i % 4):
            bit = rng.randrange(len(b) * 8)
            b[bit // 8] ^= 1 << (bit % 8)
        out['flip-%d' % i] = bytes(b)
    for name, data in out.items():
        if kind == 'ptsnap':  # a run directory: the snapshot and the sample run's run.json
            os.makedirs(os.path.join(c, 'run.' + name))
            open(os.path.join(c, 'run.' + name, 'pagetables.bin'), 'wb').write(data)
            shutil.copy(run_json, os.path.join(c, 'run.' + name, 'run.json'))
        else:
            open(os.path.join(c, '%s.%s' % (kind, name)), 'wb').write(data)
PY

# A sanitized build reserves terabytes of shadow memory: cap its allocations instead.
if ldd "$MEMVIRT" 2>/dev/null | grep -q libasan; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1:max_allocation_size_mb=2048
	limit=unlimited
else
	limit=$((4 << 20)) # KiB
fi

# hostile NAME MUST -- COMMAND...: one reader on one file.
hostile() {
	local name=$1 must=$2 rc
	shift 3
	(ulimit -v "$limit" && exec timeout -s KILL 20 "$@") >/dev/null 2>"$TMP/err" </dev/null
	rc=$?
	if [ "$rc" -ge 124 ]; then
		echo "FAIL: $name: exit $rc (a crash, a signal, or no end within 20 s)" >&2
		sed 's/^/  stderr: /' "$TMP/err" | head -3 >&2
		fails=$((fails + 1))
	elif [ "$rc" -eq 0 ] && [ "$must" = 0 ]; then
		passes=$((passes + 1))
	elif [ "$rc" -ne 2 ]; then
		echo "FAIL: $name: exit $rc, expected 2" >&2
		sed 's/^/  stderr: /' "$TMP/err" | head -3 >&2
		fails=$((fails + 1))
	elif [ "$(wc -l <"$TMP/err")" -ne 1 ] || ! grep -q '^memvirt: error: ' "$TMP/err"; then
		echo "FAIL: $name: exit 2 but not one error line:" >&2
		sed 's/^/  stderr: /' "$TMP/err" | head -5 >&2
		fails=$((fails + 1))
	else
		passes=$((passes + 1))
	fi
}

O=$TMP/out.d
for f in "$C"/*.*; do
	base=${f##*/}
	case $base in good.*) continue ;; esac
	must=0
	case $base in *.must-*) must=1 ;; esac
	case $base in
	mvev.*)
		hostile "trace stat $base" $must -- "$MEMVIRT" trace stat "$f"
		hostile "trace dump $base" $must -- "$MEMVIRT" trace dump "$f"
		hostile "trace dump --join $base" $must -- "$MEMVIRT" trace dump "$f" --join
		hostile "sim --trace $base" $must -- "$MEMVIRT" sim --trace "$f" --out "$O"
		;;
	lackey.*) hostile "sim --lackey $base" $must -- "$MEMVIRT" sim --lackey "$f" --out "$O" ;;
	mvat.*) hostile "sim --access-trace $base" $must -- "$MEMVIRT" sim --access-trace "$f" --out "$O" ;;
	cfg.*)
		hostile "sim --config $base" $must -- "$MEMVIRT" sim --config "$f" --workload seq \
			--footprint 64K --iters 1 --out "$O"
		;;
	run.*)
		hostile "sim --run $base" $must -- "$MEMVIRT" sim --run "$f" --paging native --out "$O"
		hostile "explain --run $base" $must -- "$MEMVIRT" explain --run "$f"
		;;
	esac
done
check "the corpus was read" test "$passes" -gt 150
finish
