# SPDX-License-Identifier: GPL-2.0
"""What every reproduction shares: options, running `memvirt sim`, tables, plots, the result file.

Standard library only. A reproduction calls parse_args(), then sim() for each configuration, then
emit_table(), plot() and write_md(). Exit statuses as memvirt's: 0 ok, 1 a simulation failed or a
result broke a rule of the paper's model, 2 bad usage, 3 host problem (no memvirt, no gnuplot, an
output directory that cannot be written).
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ReproError(Exception):
    """A failure with the exit status it stands for."""

    def __init__(self, msg, status):
        super().__init__(msg)
        self.status = status


def parse_args(name, doc, extra=None):
    """--quick and --out DIR (the reproduction writes DIR/NAME.{md,tsv,gp,svg,png})."""
    ap = argparse.ArgumentParser(
        prog=name,
        description=doc.strip().splitlines()[0],
        epilog="MEMVIRT names the memvirt binary (default: build/memvirt of this tree).",
    )
    ap.add_argument("--quick", action="store_true",
                    help="small footprints and few iterations (seconds; for the tests)")
    ap.add_argument("--out", default=os.path.join(REPO, "build", "repro"),
                    help="output directory (default: build/repro)")
    if extra:
        extra(ap)
    args = ap.parse_args()
    args.name = name
    try:
        os.makedirs(args.out, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=args.out, prefix=".probe-", delete=True)
        probe.close()
    except OSError as e:
        die(name, f"output directory {args.out}: {e.strerror}: give --out a writable directory", 3)
    args.memvirt = memvirt_path(name)
    args.work = tempfile.mkdtemp(prefix=f".{name}-", dir=args.out)
    return args


def die(name, msg, status):
    print(f"{name}: error: {msg}", file=sys.stderr)
    sys.exit(status)


def memvirt_path(name):
    path = os.environ.get("MEMVIRT") or os.path.join(REPO, "build", "memvirt")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        die(name, f"no memvirt binary at {path}: build it (make build) or set MEMVIRT", 3)
    return path


def progress(msg):
    """A progress line, only when stderr is a terminal."""
    if sys.stderr.isatty():
        print(f"\r\033[K{msg}", end="", file=sys.stderr, flush=True)


def progress_done():
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def sim(args, tag, sim_args, config=None):
    """Run `memvirt sim ... --json`; returns (document, {mode: result}).

    @config is the text of a configuration file ([sim-config.md]), written beside the run.
    """
    cmd = [args.memvirt, "sim"]
    if config is not None:
        conf = os.path.join(args.work, f"{tag}.conf")
        with open(conf, "w") as f:
            f.write(config)
        cmd += ["--config", conf]
    cmd += list(sim_args) + ["--out", os.path.join(args.work, tag), "--json"]
    progress(f"{args.name}: {tag}")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        progress_done()
        raise ReproError(f"{' '.join(cmd[1:])}: exit {p.returncode}: {p.stderr.strip()}",
                         1 if p.returncode == 1 else 3)
    doc = json.loads(p.stdout)
    return doc, {r["mode"]: r for r in doc["results"]}


def fmt(v, digits=2):
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def md_table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in rows:
        out.append("| " + " | ".join(fmt(c) for c in r) + " |")
    return "\n".join(out) + "\n"


def text_table(headers, rows):
    cells = [headers] + [[fmt(c) for c in r] for r in rows]
    width = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(width[i]) if i else c.ljust(width[i]) for i, c in enumerate(row))
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in width))
    return "\n".join(lines) + "\n"


def emit_table(headers, rows):
    """The table on stdout (aligned text); returns its markdown form for the result file."""
    sys.stdout.write(text_table(headers, rows))
    sys.stdout.flush()
    return md_table(headers, rows)


def write_atomic(path, text):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_tsv(args, suffix, headers, rows):
    name = f"{args.name}{suffix}.tsv"
    write_atomic(os.path.join(args.out, name),
                 "# " + "\t".join(headers) + "\n" +
                 "".join("\t".join(fmt(c, 4) for c in r) + "\n" for r in rows))
    return name


def plot(args, body):
    """Write OUT/NAME.gp (kept: `gnuplot -e "term='png'" NAME.gp` redraws) and draw svg and png.

    @body is gnuplot text that reads its data files from the output directory.
    """
    if not shutil.which("gnuplot"):
        raise ReproError("gnuplot is not installed: apt-get install gnuplot-nox", 3)
    gp = (f"# Plot of {args.name}: gnuplot -e \"term='svg'\" {args.name}.gp (or term='png').\n"
          "if (!exists(\"term\")) term = 'svg'\n"
          f"if (!exists(\"outfile\")) outfile = '{args.name}.' . term\n"
          "if (term eq 'png') {\n"
          "  set terminal pngcairo size 1000,600 noenhanced\n"
          "} else {\n"
          "  set terminal svg size 1000,600 dynamic noenhanced\n"
          "}\n"
          "set output outfile\n" + body)
    write_atomic(os.path.join(args.out, f"{args.name}.gp"), gp)
    for term in ("svg", "png"):
        # Drawn under a temporary name, renamed when complete.
        tmp = f".tmp-{args.name}.{term}"
        p = subprocess.run(["gnuplot", "-e", f"term='{term}'; outfile='{tmp}'",
                            f"{args.name}.gp"],
                           cwd=args.out, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        if p.returncode != 0:
            if os.path.exists(os.path.join(args.out, tmp)):
                os.unlink(os.path.join(args.out, tmp))
            raise ReproError(f"gnuplot ({term}): {p.stderr.strip()}", 3)
        os.replace(os.path.join(args.out, tmp), os.path.join(args.out, f"{args.name}.{term}"))


def write_md(args, text):
    write_atomic(os.path.join(args.out, f"{args.name}.md"), text)


def main(name, doc, run, extra=None):
    """Parse options, call run(args), clean the scratch directory, exit with the right status."""
    args = parse_args(name, doc, extra)
    # SIGTERM ends the run like Ctrl-C: through the finally below, which removes the scratch.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        status = run(args)
    except ReproError as e:
        progress_done()
        print(f"{name}: error: {e}", file=sys.stderr)
        status = e.status
    except KeyboardInterrupt:
        status = 130
    finally:
        shutil.rmtree(args.work, ignore_errors=True)
    progress_done()
    sys.exit(status or 0)
