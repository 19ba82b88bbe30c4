#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt report's index.html in headless Chromium: every plot image loads (naturalWidth > 0)
# and the page logs nothing to the console. A check page written here (not shipped) is
# index.html with a script that lists each image's state into the DOM; --dump-dom prints it
# and --enable-logging=stderr shows console messages as "CONSOLE" lines. A screenshot is kept
# in the build directory (report-screenshot.png). The traced run is SYNTHETIC (report_rundir).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for tool in chromium gnuplot; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP: $tool is not installed (Debian: chromium, gnuplot-nox)"
		exit 77
	fi
done
IN=$TMP/in
mkdir -p "$IN/run"
expect 0 "sim gups" -- "$MEMVIRT" sim --workload gups --footprint 1M --iters 2000 --paging all \
	--out "$IN/gups"
expect 0 "sim churn" -- "$MEMVIRT" sim --workload churn --footprint 256K --iters 2 --paging all \
	--out "$IN/churn"
check "synthetic traced run" "$BUILD/report_rundir" "$IN/run" shadow 32 tcg
OUT=$TMP/report
expect 0 "report" -- "$MEMVIRT" report "$IN" -o "$OUT"
nimg=$(grep -o '<img src="plots/[^"]*"' "$OUT/index.html" | wc -l)
check "the page has the eight plots (one fault map)" test "$nimg" -eq 8

chrome() {
	timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --user-data-dir="$(mktemp -d "$TMP/profile.XXXXXX")" "$@"
}
# The check page sits beside index.html so that its relative paths resolve the same way.
sed 's|</body>|<script>window.onerror=function(m){document.title="ERROR "+m};window.addEventListener("load",function(){var r=[];document.querySelectorAll("img").forEach(function(i){r.push((i.complete\&\&i.naturalWidth>0?"LOADED ":"BROKEN ")+i.getAttribute("src")+" "+i.naturalWidth)});var d=document.createElement("pre");d.id="imgcheck";d.textContent=r.join("\\n");document.body.appendChild(d);});</script></body>|' \
	"$OUT/index.html" >"$OUT/check.html"
chrome --enable-logging=stderr --v=0 --virtual-time-budget=10000 --dump-dom \
	"file://$OUT/check.html" >"$TMP/dom" 2>"$TMP/chrome.err"
check "chromium dumped the page" has 'id="imgcheck"' "$TMP/dom"
check "every image loaded" test "$(grep -c '^\(<pre id="imgcheck">\)\?LOADED plots/' "$TMP/dom")" -eq "$nimg"
check "no image broken" sh -c "! grep -q '^\\(<pre id=.imgcheck.>\\)\\?BROKEN' '$TMP/dom'"
check "no script error" sh -c "! grep -q '<title>ERROR' '$TMP/dom'"
check "no console message" sh -c "! grep CONSOLE '$TMP/chrome.err'"
rm -f "$OUT/check.html"
chrome --screenshot="$BUILD/report-screenshot.png" --window-size=1280,2000 \
	"file://$OUT/index.html" >/dev/null 2>&1
check "screenshot kept" test -s "$BUILD/report-screenshot.png"

finish
