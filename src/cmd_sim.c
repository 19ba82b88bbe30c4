// SPDX-License-Identifier: GPL-2.0
/* memvirt sim: options, messages and output around the simulated machine of sim/. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "mmu/mmu.h"
#include "mmu/ptsnap.h"
#include "sim/sim.h"
#include "src/cmd_sim.h"
#include "src/cmds.h"
#include "workloads/abi.h"
#include "workloads/workload.h"

/* The progress line of the mode being simulated. */
struct progress {
	uint64_t t0, last; /* ns: start of the mode, last line printed (0: none yet) */
};

/*
 * "sim nested [#####.....]  52%  12.3M accesses  1.8M/s  ETA 11 s": a bar when the input's
 * size is known (a file's bytes, or a workload's accesses from its parameters), the count
 * and rate otherwise (a pipe, a trace or event file that is not a regular file). Only after
 * the first second, twice a second.
 */
static void progress_line(void *ctx, const struct sim_progress *p)
{
	struct progress *pr = ctx;
	uint64_t now = now_ns();
	uint64_t done = p->in_size ? p->in_pos : p->accesses;
	uint64_t size = p->in_size ? p->in_size : p->total;
	double rate;
	char bar[24] = "", eta[32] = "-";

	if (now - pr->t0 < 1000000000ULL || now - pr->last < 500000000ULL)
		return;
	pr->last = now;
	rate = (double)p->accesses * 1e3 / (double)(now - pr->t0);
	if (size) {
		double frac = done < size ? (double)done / (double)size : 1.0;
		unsigned pct = (unsigned)(frac * 100);

		bar[0] = '[';
		for (unsigned i = 0; i < 20; i++)
			bar[1 + i] = i < pct / 5 ? '#' : '.';
		snprintf(bar + 21, sizeof(bar) - 21, "]");
		/* the time left, from the share of the input done so far (none yet: not known) */
		if (done)
			snprintf(eta, sizeof(eta), "%.0f s",
				 (double)(now - pr->t0) / 1e9 * (1.0 - frac) / frac);
		fprintf(stderr, "\rsim %s %s %3u%%  %.1fM accesses  %.1fM/s  ETA %s ",
			paging_mode_name(p->mode), bar, pct, (double)p->accesses / 1e6, rate, eta);
		return;
	}
	fprintf(stderr, "\rsim %s: %.1fM accesses  %.1fM/s ", paging_mode_name(p->mode),
		(double)p->accesses / 1e6, rate);
}

/* One paging mode on a fresh machine, with a progress line when stderr is a terminal. */
static int run_mode(const struct sim_opts *o, enum paging_mode mode, struct sim_mode_result *out,
		    struct sim_input_stats *st, char *err, size_t errlen)
{
	struct progress pr = {.t0 = now_ns()};
	struct sim_machine_config mc = o->mc;
	int rc;

	mc.progress = isatty(STDERR_FILENO) ? progress_line : NULL;
	mc.progress_ctx = &pr;
	rc = sim_machine_run(&mc, mode, out, st, err, errlen);
	if (pr.last)
		fprintf(stderr, "\r%72s\r", "");
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Options. */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: memvirt sim [options] INPUT\n"
		"       INPUT: FILE | --workload NAME | --lackey FILE | --access-trace FILE\n"
		"              | --trace FILE | --run DIR | --replay DIR\n"
		"       FILE alone: its kind from its first bytes (event file, access trace,\n"
		"       lackey text, run directory); FILE may be '-' (standard input) after an\n"
		"       option, and gzip or zstd compressed\n"
		"       memvirt sim convert --lackey FILE -o OUT.mvat\n\n"
		"Runs a workload's data accesses (or a trace's) through the\n"
		"address-translation simulator: TLBs, page-walk caches, 1D/2D walks, cost model.\n"
		"Writes OUT/sim.json and prints a table (docs/sim-command.md).\n\n"
		"options:\n"
		"  --paging MODE      native, nested, shadow or all (default native)\n"
		"  --preset NAME      textbook (default), golden-cove, zen4, zen5\n"
		"  --config FILE      configuration file (docs/sim-config.md)\n"
		"  --print-config     print the effective configuration (of --preset or\n"
		"                     --config) in the file format, and exit\n"
		"  --roi REGION       measured (default): count a workload's measured region\n"
		"                     only, not its set-up (a chase's cycle) nor its check\n"
		"                     (gups's, touch's read-back); all: every access\n"
		"  --warmup N         the first N counted accesses warm the TLBs and caches\n"
		"                     but are not counted (default 0)\n"
		"  --page-size SIZE   guest (or native) page size: 4k (default) or 2m\n"
		"                     (--guest-pages, its former name, is taken too)\n"
		"  --host-pages SIZE  host page size for nested and shadow: 4k (default) or 2m\n"
		"  --workload NAME    synthetic input: seq, stride, random, chase, gups, touch,\n"
		"                     nop; churn and pingpong on the synthetic guest OS (demand\n"
		"                     faults, munmap, address-space switches)\n"
		"  --footprint SIZE   data region (default depends on the workload)\n"
		"  --iters N          passes or accesses, as for 'memvirt run'\n"
		"  --seed N           random seed (default 1)\n"
		"  --stride SIZE      stride workload: bytes between accesses (default 4K)\n"
		"  --nproc N          pingpong: processes besides the driver (default 2)\n"
		"  --host-memory KIND present (default: every host page there from the start) or\n"
		"                     anon (faulted in on first touch: a read maps the zero page,\n"
		"                     the first write copies it), or anon-thp (anon with\n"
		"                     transparent huge pages always: a first write may take 2M)\n"
		"  --lackey FILE      valgrind --tool=lackey --trace-mem=yes output\n"
		"  --access-trace FILE  memvirt access trace (.mvat, from 'sim convert')\n"
		"  --trace FILE       event file of a traced run: its guest fault and KVM walk\n"
		"                     addresses are the access stream\n"
		"  --run DIR          a 'memvirt run' directory: its workload over the guest's "
		"own\n"
		"                     page tables (DIR/pagetables.bin)\n"
		"  --replay DIR       a 'memvirt run' directory replayed access by access: its\n"
		"                     workload's every access in step with its event file's guest\n"
		"                     faults, maps, unmaps, flushes and switches, in every mode\n"
		"  --tlb-sizes LIST   one pass, every size: the misses of one LRU TLB level at\n"
		"                     each size (entries) of the array holding its 4K pages:\n"
		"                     LO..HI (LO and its doublings up to HI) or A,B,C\n"
		"  --tlb-level N      the level --tlb-sizes varies, 1-based (default the last)\n"
		"  --tlb-sets N       with --tlb-sizes: N sets at every size, ways = entries / N\n"
		"                     (default: fully associative at every size)\n"
		"  --out DIR          output directory (default memvirt-out/sim)\n"
		"  --json             print sim.json to stdout instead of the table\n"
		"  -h, --help         this text\n\n"
		"examples:\n"
		"  memvirt sim --workload stride --footprint 4M --iters 1 --paging all\n"
		"  memvirt sim --print-config --preset zen4 >zen4.cfg\n"
		"  memvirt sim --workload chase --footprint 64M --iters 1000000 --warmup 1000\n"
		"  memvirt sim --workload gups --preset zen4 --paging nested --host-pages 2m\n"
		"  valgrind --tool=lackey --trace-mem=yes ls 2>trace.txt\n"
		"  memvirt sim --lackey trace.txt --preset golden-cove --paging all --json\n"
		"  memvirt sim convert --lackey trace.txt -o trace.mvat\n"
		"  memvirt sim --access-trace trace.mvat --paging nested\n"
		"  memvirt sim trace.mvat.zst --paging all\n"
		"  valgrind --tool=lackey --trace-mem=yes --log-fd=9 ls 9>&1 >/dev/null |\n"
		"    memvirt sim --lackey - --paging nested\n"
		"  memvirt run stride --footprint 4M --out r1\n"
		"  memvirt sim --run r1 --paging all\n"
		"  memvirt sim --trace r1/events.mvev --paging all\n"
		"  memvirt sim --replay r1 --paging all --host-memory anon\n"
		"  memvirt sim --workload churn --footprint 1M --iters 8 --paging all\n"
		"  memvirt sim --workload random --footprint 64M --tlb-sizes 16..4096\n"
		"  memvirt sim --workload gups --tlb-sets 16 --tlb-sizes 64,256,1024\n\n"
		"exit status: 0 ok, 1 simulation failure, 2 bad usage or input, 3 OUT or stdout\n"
		"cannot be written\n");
}

__attribute__((noreturn)) static void bad(const char *opt, const char *val, const char *what)
{
	opt_bad("sim", opt, val, what);
}

static enum page_size pages_arg(const char *opt, const char *val)
{
	if (!strcasecmp(val, "4k"))
		return PAGE_4K;
	if (!strcasecmp(val, "2m"))
		return PAGE_2M;
	bad(opt, val, "expected 4k or 2m");
}

enum {
	O_PAGING,
	O_PRESET,
	O_CONFIG,
	O_PAGE_SIZE,
	O_HPAGES,
	O_WORKLOAD,
	O_FOOT,
	O_ITERS,
	O_SEED,
	O_STRIDE,
	O_LACKEY,
	O_ATRACE,
	O_EVENTS,
	O_RUN,
	O_REPLAY,
	O_NPROC,
	O_HOSTMEM,
	O_OUT,
	O_JSON,
	O_PRINT_CONFIG,
	O_ROI,
	O_WARMUP,
	O_TLB_SIZES,
	O_TLB_LEVEL,
	O_TLB_SETS,
	O_FILE, /* the one argument: a file or run directory of any kind */
	O__COUNT
};

static const struct option sim_options[] = {
	{"paging", required_argument, 0, O_PAGING},
	{"preset", required_argument, 0, O_PRESET},
	{"config", required_argument, 0, O_CONFIG},
	{"page-size", required_argument, 0, O_PAGE_SIZE},
	{"guest-pages", required_argument, 0, O_PAGE_SIZE}, /* its former name, still taken */
	{"host-pages", required_argument, 0, O_HPAGES},
	{"workload", required_argument, 0, O_WORKLOAD},
	{"footprint", required_argument, 0, O_FOOT},
	{"iters", required_argument, 0, O_ITERS},
	{"seed", required_argument, 0, O_SEED},
	{"stride", required_argument, 0, O_STRIDE},
	{"lackey", required_argument, 0, O_LACKEY},
	{"access-trace", required_argument, 0, O_ATRACE},
	{"trace", required_argument, 0, O_EVENTS},
	{"run", required_argument, 0, O_RUN},
	{"replay", required_argument, 0, O_REPLAY},
	{"nproc", required_argument, 0, O_NPROC},
	{"host-memory", required_argument, 0, O_HOSTMEM},
	{"out", required_argument, 0, O_OUT},
	{"json", no_argument, 0, O_JSON},
	{"print-config", no_argument, 0, O_PRINT_CONFIG},
	{"roi", required_argument, 0, O_ROI},
	{"warmup", required_argument, 0, O_WARMUP},
	{"tlb-sizes", required_argument, 0, O_TLB_SIZES},
	{"tlb-level", required_argument, 0, O_TLB_LEVEL},
	{"tlb-sets", required_argument, 0, O_TLB_SETS},
	{"help", no_argument, 0, 'h'},
	{0, 0, 0, 0},
};

static void apply_paging(struct sim_opts *o, const char *val)
{
	o->paging = val;
	if (!strcmp(val, "all")) {
		o->all = true;
		o->modes[PAGING_NATIVE] = o->modes[PAGING_NESTED] = o->modes[PAGING_SHADOW] = true;
		return;
	}
	for (int mo = 0; mo < SIM_MODES; mo++)
		if (!strcmp(val, paging_mode_name(mo))) {
			o->modes[mo] = true;
			return;
		}
	bad("--paging", val, "expected native, nested, shadow or all");
}

static void apply_config(struct sim_opts *o, const char *const *v)
{
	char err[256];

	if (v[O_PRESET] && v[O_CONFIG])
		die(EXIT_USAGE, "--preset and --config both given: use one (a file can start "
				"with 'preset = NAME')\n");
	o->config_is_file = v[O_CONFIG] != NULL;
	o->config_src = v[O_CONFIG] ? v[O_CONFIG] : v[O_PRESET] ? v[O_PRESET] : "textbook";
	if (o->config_is_file
		    ? sim_config__load_warn(&o->mc.cfg, o->config_src, &o->warn, err, sizeof(err))
		    : sim_config__preset(&o->mc.cfg, o->config_src, err, sizeof(err)))
		die(EXIT_USAGE, "%s\n", err);
	for (unsigned i = 0; i < o->warn.n; i++)
		pr_warn("%s\n", o->warn.text[i]);
}

/* --print-config: the configuration in the format --config reads, so it reads back the same. */
static void print_config(const struct sim_opts *o)
{
	static char text[1 << 16];

	if (sim_config__write(&o->mc.cfg, text, sizeof(text)))
		die(1, "the configuration does not fit in %zu bytes of text\n", sizeof(text));
	fputs(text, stdout);
	exit(0);
}

/* --roi and --warmup. */
static void apply_roi(struct sim_opts *o, const char *const *v)
{
	o->mc.roi = SIM_ROI_MEASURED;
	if (v[O_ROI] && !strcmp(v[O_ROI], "all"))
		o->mc.roi = SIM_ROI_ALL;
	else if (v[O_ROI] && strcmp(v[O_ROI], "measured"))
		bad("--roi", v[O_ROI], "expected measured or all");
	if (v[O_WARMUP])
		o->mc.warmup = opt_u64("sim", "--warmup", v[O_WARMUP]);
}

static void apply_workload(struct sim_opts *o, const char *const *v)
{
	char err[256];
	int kind = wl_from_name(v[O_WORKLOAD]);

	if (kind < 0)
		bad("--workload", v[O_WORKLOAD], "unknown workload");
	if (kind == WL_CRASH)
		bad("--workload", v[O_WORKLOAD], "not supported by the simulator (it crashes)");
	wl_defaults(&o->mc.wl, kind);
	o->mc.wl.kind = (uint32_t)kind;
	if (v[O_NPROC] && kind != WL_PINGPONG)
		bad("--nproc", v[O_NPROC], "applies to --workload pingpong only");
	if (v[O_NPROC]) {
		uint64_t n = opt_u64("sim", "--nproc", v[O_NPROC]);

		if (n < 1 || n >= MV_MAX_PROCS)
			bad("--nproc", v[O_NPROC], "expected 1 to 15");
		o->mc.wl.nproc = (uint32_t)n;
	}
	if (v[O_FOOT])
		o->mc.wl.footprint = opt_size("sim", "--footprint", v[O_FOOT]);
	if (v[O_ITERS])
		o->mc.wl.iters = opt_u64("sim", "--iters", v[O_ITERS]);
	if (v[O_SEED])
		o->mc.wl.seed = opt_u64("sim", "--seed", v[O_SEED]);
	if (v[O_STRIDE])
		o->mc.wl.stride = opt_size("sim", "--stride", v[O_STRIDE]);
	o->mc.wl.page_size = page_size_bytes(o->mc.gps);
	/* The checks 'memvirt run' makes: the generators rely on them. */
	if (wl_params_check(&o->mc.wl, "--", err, sizeof(err)))
		die(EXIT_USAGE, "%s: run 'memvirt sim --help'\n", err);
}

/*
 * The workload a run directory's snapshot records becomes the simulator's, after the checks
 * 'memvirt run' made of its options (the file is untrusted), before any generator runs.
 */
static void adopt_workload(struct sim_opts *o, const char *dir)
{
	char err[256];

	o->mc.wl = (struct wl_params){.kind = o->snap.wl_kind,
				      .nproc = o->snap.wl_nproc,
				      .footprint = o->snap.wl_footprint,
				      .iters = o->snap.wl_iters,
				      .page_size = o->snap.wl_page_size,
				      .seed = o->snap.wl_seed,
				      .stride = o->snap.wl_stride};
	if (wl_params_check(&o->mc.wl, "", err, sizeof(err)))
		die(EXIT_USAGE, "%s/%s: its workload is not one 'memvirt run' accepts: %s\n", dir,
		    PTSNAP_FILE, err);
}

/*
 * --replay DIR: the run's workload (from its snapshot's header) replayed access by access with
 * DIR/events.mvev; guest memory as the run's (its snapshot's RAM size).
 */
static void apply_replay(struct sim_opts *o, const char *const *v)
{
	char err[700];
	uint64_t mem_end;
	int kind;

	if (v[O_PAGE_SIZE])
		bad("--page-size", v[O_PAGE_SIZE], "the run's own mappings decide the guest pages");
	if (sim_run_check_ram(v[O_REPLAY], &o->snap, &mem_end, err, sizeof(err)))
		die(EXIT_USAGE, "%s\n", err);
	kind = (int)o->snap.wl_kind;
	if (kind < 0 || kind >= WL__COUNT || kind == WL_CRASH)
		bad("--replay", v[O_REPLAY], "its workload is not one the simulator replays");
	if (o->snap.wl_page_size != X86_PAGE_SIZE)
		bad("--replay", v[O_REPLAY], "its workload used pages other than 4K: not replayed");
	if (snprintf(o->replay_events, sizeof(o->replay_events), "%s/events.mvev", v[O_REPLAY]) >=
	    (int)sizeof(o->replay_events))
		bad("--replay", v[O_REPLAY], "path too long");
	if (access(o->replay_events, R_OK))
		die(EXIT_USAGE,
		    "--replay %s: %s: %s: the run needs its event file (run without "
		    "--no-events)\n",
		    v[O_REPLAY], o->replay_events, strerror(errno));
	o->mc.input = SIM_IN_REPLAY;
	o->mc.in_path = o->replay_events;
	adopt_workload(o, v[O_REPLAY]);
	o->mc.shadow_ram_bytes = mem_end;
}

/* --run DIR: the run's workload and paging from its page-table snapshot. */
static void apply_run(struct sim_opts *o, const char *const *v)
{
	char err[700];
	int kind;

	o->mc.input = SIM_IN_RUN;
	o->mc.in_path = v[O_RUN];
	if (v[O_PAGE_SIZE])
		bad("--page-size", v[O_PAGE_SIZE], "the run's own tables decide the guest pages");
	if (sim_run_check(o->mc.in_path, &o->snap, err, sizeof(err)))
		die(EXIT_USAGE, "%s\n", err);
	adopt_workload(o, o->mc.in_path);
	kind = (int)o->snap.wl_kind;
	if (kind < 0 || kind >= WL__COUNT || kind == WL_CHURN || kind == WL_PINGPONG ||
	    kind == WL_CRASH || kind == WL_NOP)
		bad("--run", o->mc.in_path,
		    "its workload is not one the simulator replays (seq, stride, random, chase, "
		    "gups)");
	if (o->snap.levels != o->mc.cfg.levels)
		die(EXIT_USAGE,
		    "--run %s: the guest used %u-level paging, the configuration %u: use a "
		    "configuration with [paging] levels = %u\n",
		    o->mc.in_path, o->snap.levels, o->mc.cfg.levels, o->snap.levels);
	o->mc.gps = o->mc.wl.page_size == page_size_bytes(PAGE_2M) ? PAGE_2M : PAGE_4K;
}

static int modes_given(const struct sim_opts *o)
{
	int n = 0;

	for (int mo = 0; mo < SIM_MODES; mo++)
		n += o->modes[mo];
	return n;
}

/* A file each mode can read again from its start: not a pipe, socket or terminal. */
static bool rereadable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
}

/* Exactly one input; the workload options only with --workload. */
static void apply_input(struct sim_opts *o, const char *const *v)
{
	static const struct {
		int opt;
		const char *name;
		enum sim_input in;
	} files[] = {{O_LACKEY, "--lackey", SIM_IN_LACKEY},
		     {O_ATRACE, "--access-trace", SIM_IN_ATRACE},
		     {O_EVENTS, "--trace", SIM_IN_EVENTS}};
	int n = (v[O_WORKLOAD] != NULL) + (v[O_RUN] != NULL) + (v[O_REPLAY] != NULL);

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		n += v[files[i].opt] != NULL;
	if (n != 1)
		die(EXIT_USAGE, "give one input, --workload NAME, --lackey FILE, --access-trace "
				"FILE, --trace FILE, --run DIR or --replay DIR: run 'memvirt sim "
				"--help'\n");
	if (v[O_WORKLOAD]) {
		apply_workload(o, v);
		return;
	}
	if (v[O_FOOT] || v[O_ITERS] || v[O_SEED] || v[O_STRIDE])
		die(EXIT_USAGE, "--footprint, --iters, --seed and --stride apply to --workload "
				"only, not to a file input or a run\n");
	if (v[O_NPROC])
		bad("--nproc", v[O_NPROC], "applies to --workload pingpong only");
	if (v[O_RUN]) {
		apply_run(o, v);
		return;
	}
	if (v[O_REPLAY]) {
		apply_replay(o, v);
		return;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!v[files[i].opt])
			continue;
		o->mc.input = files[i].in;
		/* '-' is standard input, as for 'sim convert'. */
		o->mc.in_path = v[files[i].opt];
		if (strcmp(o->mc.in_path, "-") && access(o->mc.in_path, R_OK))
			bad(files[i].name, o->mc.in_path, strerror(errno));
		sim_file_check(files[i].name, o->mc.in_path);
		/* Several modes each read the input from its start: a pipe is copied first. */
		if (modes_given(o) > 1 && !rereadable(o->mc.in_path)) {
			if (strcmp(o->mc.in_path, "-"))
				die(EXIT_USAGE,
				    "%s %s: a pipe other than standard input is read once, and "
				    "each of the %d paging modes reads the input from its start: "
				    "give it as '-' or save it to a file\n",
				    files[i].name, o->mc.in_path, modes_given(o));
			sim_stdin_spool(o->spool, sizeof(o->spool));
			o->mc.in_name = "<stdin>";
			o->mc.in_path = o->spool;
		}
	}
}

/* FILE given alone becomes the option that reads its kind. */
static void file_alone(const char **v, const char *path)
{
	static const struct {
		int opt;
		const char *name;
	} by_name[] = {{O_LACKEY, "--lackey"},
		       {O_ATRACE, "--access-trace"},
		       {O_EVENTS, "--trace"},
		       {O_RUN, "--run"}};
	const char *name = sim_file_option(path);

	for (size_t i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++)
		if (!strcmp(by_name[i].name, name)) {
			if (v[by_name[i].opt])
				die(EXIT_USAGE,
				    "%s given twice, as %s and as the file %s: give "
				    "one input\n",
				    name, v[by_name[i].opt], path);
			v[by_name[i].opt] = path;
		}
}

/* "LO..HI": LO and its doublings up to HI; "A,B,C": those sizes. In entries, increasing. */
static void sweep_sizes(struct tlb_sweep_config *sw, const char *val)
{
	const char *dots = strstr(val, "..");
	char buf[512], *tok, *save;

	if (dots) {
		uint64_t lo, hi;

		if (snprintf(buf, sizeof(buf), "%.*s", (int)(dots - val), val) >= (int)sizeof(buf))
			bad("--tlb-sizes", val, "too long");
		lo = opt_u64_range("sim", "--tlb-sizes", buf, 1, TLB_SWEEP_MAX_ENTRIES);
		hi = opt_u64_range("sim", "--tlb-sizes", dots + 2, lo, TLB_SWEEP_MAX_ENTRIES);
		for (uint64_t e = lo; e <= hi && sw->nsizes < TLB_SWEEP_MAX_SIZES; e *= 2)
			sw->entries[sw->nsizes++] = (unsigned)e;
		return;
	}
	if (snprintf(buf, sizeof(buf), "%s", val) >= (int)sizeof(buf))
		bad("--tlb-sizes", val, "too long");
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (sw->nsizes == TLB_SWEEP_MAX_SIZES)
			bad("--tlb-sizes", val, "at most 32 sizes");
		sw->entries[sw->nsizes++] = (unsigned)opt_u64_range("sim", "--tlb-sizes", tok, 1,
								    TLB_SWEEP_MAX_ENTRIES);
	}
}

/*
 * --tlb-sizes: checked against the configuration, and refused for inputs that unmap or
 * switch address spaces as they go (their flushes punch holes no single LRU stack follows).
 */
static void apply_sweep(struct sim_opts *o, const char *const *v)
{
	struct tlb_sweep_config *sw = &o->sweep;
	char err[256];

	if (!v[O_TLB_SIZES]) {
		if (v[O_TLB_LEVEL] || v[O_TLB_SETS])
			die(EXIT_USAGE, "--tlb-level and --tlb-sets go with --tlb-sizes: run "
					"'memvirt sim --help'\n");
		return;
	}
	sw->level = v[O_TLB_LEVEL] ? (unsigned)opt_u64_range("sim", "--tlb-level", v[O_TLB_LEVEL],
							     1, SIM_MAX_TLB_LEVELS) -
					     1
				   : o->mc.cfg.tlb.nlevels - 1;
	sw->sets = v[O_TLB_SETS] ? (unsigned)opt_u64_range("sim", "--tlb-sets", v[O_TLB_SETS], 1,
							   TLB_SWEEP_MAX_ENTRIES)
				 : 0;
	sweep_sizes(sw, v[O_TLB_SIZES]);
	if (tlb_sweep_check(&o->mc.cfg, sw, err, sizeof(err)))
		die(EXIT_USAGE, "%s\n", err);
	if (o->mc.input == SIM_IN_REPLAY ||
	    (o->mc.input == SIM_IN_WORKLOAD &&
	     (o->mc.wl.kind == WL_CHURN || o->mc.wl.kind == WL_PINGPONG)))
		die(EXIT_USAGE, "--tlb-sizes: this input unmaps pages and switches address "
				"spaces, after which one pass does not equal separate runs: run "
				"one simulation per size\n");
	o->mc.sweep = sw;
}

static void parse(int argc, char **argv, struct sim_opts *o)
{
	const char *v[O__COUNT] = {0};
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", sim_options, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (opt == ':')
			die(EXIT_USAGE, "option '%s' needs a value: run 'memvirt sim --help'\n",
			    argv[optind - 1]);
		if (opt < 0 || opt >= O__COUNT)
			die(EXIT_USAGE, "unknown option '%s': run 'memvirt sim --help'\n",
			    argv[optind - 1]);
		v[opt] = optarg ? optarg : "";
	}
	if (optind + 1 < argc)
		die(EXIT_USAGE,
		    "unexpected argument '%s': one FILE at most, see 'memvirt sim "
		    "--help'\n",
		    argv[optind + 1]);
	memset(o, 0, sizeof(*o));
	if (optind < argc) /* FILE alone: the option that reads its kind */
		file_alone(v, argv[optind]);
	apply_paging(o, v[O_PAGING] ? v[O_PAGING] : "native");
	apply_config(o, v);
	if (v[O_PRINT_CONFIG])
		print_config(o);
	apply_roi(o, v);
	o->mc.gps = v[O_PAGE_SIZE] ? pages_arg("--page-size", v[O_PAGE_SIZE]) : PAGE_4K;
	o->mc.hps = v[O_HPAGES] ? pages_arg("--host-pages", v[O_HPAGES]) : PAGE_4K;
	apply_input(o, v);
	if (v[O_HOSTMEM] && strcmp(v[O_HOSTMEM], "anon") && strcmp(v[O_HOSTMEM], "anon-thp") &&
	    strcmp(v[O_HOSTMEM], "present"))
		bad("--host-memory", v[O_HOSTMEM], "expected present, anon or anon-thp");
	o->mc.host_anon = v[O_HOSTMEM] && strcmp(v[O_HOSTMEM], "present");
	o->mc.host_thp = v[O_HOSTMEM] && !strcmp(v[O_HOSTMEM], "anon-thp");
	if (o->mc.host_anon && o->mc.hps != PAGE_4K)
		bad("--host-memory", v[O_HOSTMEM], "anon takes 4K host pages (--host-pages 4k)");
	if (snprintf(o->out_dir, sizeof(o->out_dir), "%s",
		     v[O_OUT] ? opt_path("sim", "--out", v[O_OUT]) : "memvirt-out/sim") >=
	    (int)sizeof(o->out_dir))
		bad("--out", v[O_OUT], "path too long");
	o->json = v[O_JSON] != NULL;
	apply_sweep(o, v);
}

int cmd_sim(int argc, char **argv)
{
	static struct sim_opts o;
	static struct sim_mode_result runs[SIM_MODES];
	struct sim_input_stats st = {0};
	struct report rep = {.o = &o, .runs = runs, .st = &st};
	char err[512], path[600];
	int rc;

	if (argc > 1 && !strcmp(argv[1], "convert"))
		return cmd_sim_convert(argc - 1, argv + 1);
	parse(argc, argv, &o);
	/* Found now, not after a simulation that may take minutes. */
	rc = dir_writable(o.out_dir);
	if (rc)
		die(EXIT_HOST, "--out %s: cannot write there: %s: give another directory\n",
		    o.out_dir, strerror(-rc));
	for (int mo = 0; mo < SIM_MODES; mo++) {
		if (!o.modes[mo])
			continue;
		rc = run_mode(&o, mo, &runs[mo], &st, err, sizeof(err));
		if (rc == -EINVAL && o.mc.input != SIM_IN_WORKLOAD)
			die(EXIT_USAGE, "%s\n", err);
		if (rc)
			die(1, "%s\n", err);
		if (runs[mo].roi.warmup < o.mc.warmup)
			die(EXIT_USAGE,
			    "--warmup %llu: the %s mode counted only %llu accesses: give a "
			    "smaller warm-up\n",
			    (unsigned long long)o.mc.warmup, paging_mode_name(mo),
			    (unsigned long long)runs[mo].roi.warmup);
		if (runs[mo].res.sweep.inexact)
			die(1,
			    "--tlb-sizes: %s in %s mode, so one pass would not equal "
			    "separate "
			    "runs: run one simulation per size\n",
			    runs[mo].res.sweep.why, paging_mode_name(mo));
	}
	if (o.spool[0]) /* read from a copy of standard input */
		o.mc.in_path = "-";
	rc = mkdir_p(o.out_dir);
	snprintf(path, sizeof(path), "%s/sim.json", o.out_dir);
	if (!rc)
		rc = write_file_atomic(path, sim_report_fill_json, &rep, false);
	if (rc)
		die(EXIT_HOST, "writing %s: %s: check --out\n", path, strerror(-rc));
	if (!strcmp(o.out_dir, "memvirt-out/sim")) /* the default: say where it went */
		opt_out_defaulted("sim", "", path);
	if (o.json)
		sim_report_json(&rep, stdout);
	else
		sim_report_table(&rep);
	return 0;
}
