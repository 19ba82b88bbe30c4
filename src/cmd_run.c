// SPDX-License-Identifier: GPL-2.0
/* memvirt run: one workload in a KVM guest, recorded in OUT/run.json. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "src/cmds.h"
#include "src/run_cli.h"
#include "analysis/analysis.h"
#include "trace/evfile.h"

static char kernel_default[512], program_default[512];
static unsigned repeat = 1; /* --repeat N */
static bool out_defaulted;  /* no --out: OUT is named on stderr, not in the summary */

static void usage(FILE *f)
{
	fprintf(f, "usage: memvirt run WORKLOAD [options]\n\n"
		   "Boots memvirt's guest kernel under KVM, runs WORKLOAD in guest user mode, "
		   "verifies\n"
		   "its checksum against a host replay, and writes OUT/run.json and "
		   "OUT/console.log.\n\n"
		   "workloads:\n");
	for (int k = 0; k < WL__COUNT; k++)
		fprintf(f, "  %-10s %s\n", wl_name(k), wl_describe(k));
	fprintf(f,
		"\noptions:\n"
		"  --footprint SIZE   data region (e.g. 64M, 1G); default depends on the workload\n"
		"  --iters N          passes (seq, stride, churn, pingpong) or accesses (random,\n"
		"                     chase, gups)\n"
		"  --page-size SIZE   guest page size for the data: 4k (default), 2m or 1g;\n"
		"                     mixed: its first half (rounded down to 2M) in 2M pages,\n"
		"                     the rest in 4K pages, one range (footprint 4M or more)\n"
		"  --populate         map the data region at mmap time: the guest kernel sends\n"
		"                     one message and the VMM writes the page tables, so first\n"
		"                     touches take no guest fault, only KVM's shadow fault\n"
		"                     (churn: each of its mappings)\n"
		"  --mem SIZE         guest memory (default 256M)\n"
		"  --backing KIND     host memory: anon (default), thp, hugetlb-2m, hugetlb-1g,\n"
		"                     memfd\n"
		"  --seed N           random seed (default 1)\n"
		"  --stride SIZE      stride workload: bytes between accesses (default 4K)\n"
		"  --nproc N          pingpong: processes besides the driver (default 2)\n"
		"  --out DIR          output directory (default memvirt-out/WORKLOAD, named on\n"
		"                     stderr)\n"
		"  --timeout S        stop the guest after S seconds (default: none)\n"
		"  --translate GVA,.. record GVA->GPA->HVA->HPA chains at the end of the run\n"
		"  --translate-sample N  N chains spread over the data region (at most 64)\n"
		"  --paging MODE      auto (default), shadow or tdp (EPT/NPT); if the host KVM\n"
		"                     uses the other mode the run fails naming the switch command\n"
		"  --reload-kvm       instead, reload the KVM module in the --paging mode (root,\n"
		"                     no other VM running; not possible with PVM)\n"
		"  --chains           resolve GVA->GPA->HVA->HPA for every guest fault into\n"
		"                     OUT/events.mvev\n"
		"  --ring-size SIZE   guest event ring (power of two, 4K..256M; default 1M)\n"
		"  --no-events        no guest event channel and no OUT/events.mvev\n"
		"  --trace            record KVM MMU events and host faults of this run with\n"
		"                     eBPF into OUT/events.mvev (root; see docs/tracing.md)\n"
		"  --trace-all        --trace, with a record for every emulator walk and\n"
		"                     emulated instruction too (counted only by default)\n"
		"  --console          echo the guest console to stdout\n"
		"  --no-verify        skip the host replay of the checksum\n"
		"  --kernel FILE      guest kernel ELF (default: the built one)\n"
		"  --program FILE     guest workload ELF (default: the built one)\n"
		"  --repeat N         run N times (1..1000) into OUT/repK and report the mean,\n"
		"                     sample standard deviation, minimum and maximum of each\n"
		"                     headline figure (OUT/repeat.json); stops at a failed run\n"
		"  --json             print run.json to stdout instead of the summary\n"
		"                     (with --repeat: repeat.json)\n"
		"  -h, --help         this text\n\n"
		"examples:\n"
		"  memvirt run seq --footprint 64M --iters 4\n"
		"  memvirt run gups --footprint 1G --page-size 2m --mem 1200M --iters 10000000\n"
		"  memvirt run seq --footprint 8M --page-size mixed --translate-sample 8\n"
		"  memvirt run seq --footprint 234M --iters 1 --page-size 4k --populate\n"
		"  memvirt run stride --footprint 4M --iters 1 --out runs/touch --json\n"
		"  memvirt run seq --footprint 16M --iters 1 --chains --out runs/chains\n"
		"  memvirt run touch --footprint 256K --repeat 5 --out runs/touch5\n\n"
		"exit status: 0 ok, 2 bad usage or guest image file, 3 host problem (no KVM),\n"
		"4 guest failure\n");
}

__attribute__((noreturn)) static void bad(const char *opt, const char *val, const char *what)
{
	opt_bad("run", opt, val, what);
}

enum {
	O_TIMEOUT = RO__COUNT,
	O_CONSOLE,
	O_NOVERIFY,
	O_JSON,
	O_TRANSLATE,
	O_TSAMPLE,
	O_RING,
	O_NOEVENTS,
	O_CHAINS,
	O_TRACE,
	O_TRACE_ALL,
	O_POPULATE,
	O_REPEAT,
	O__COUNT,
};

static const struct option run_options[] = {
	RUN_COMMON_LONG_OPTIONS,
	{"timeout", required_argument, 0, O_TIMEOUT},
	{"console", no_argument, 0, O_CONSOLE},
	{"no-verify", no_argument, 0, O_NOVERIFY},
	{"json", no_argument, 0, O_JSON},
	{"translate", required_argument, 0, O_TRANSLATE},
	{"translate-sample", required_argument, 0, O_TSAMPLE},
	{"ring-size", required_argument, 0, O_RING},
	{"no-events", no_argument, 0, O_NOEVENTS},
	{"chains", no_argument, 0, O_CHAINS},
	{"trace", no_argument, 0, O_TRACE},
	{"populate", no_argument, 0, O_POPULATE},
	{"trace-all", no_argument, 0, O_TRACE_ALL},
	{"repeat", required_argument, 0, O_REPEAT},
	{"help", no_argument, 0, 'h'},
	{0, 0, 0, 0},
};

/* --translate GVA[,GVA...]: hex or decimal guest virtual addresses. */
static void parse_translate(struct run_config *c, const char *list)
{
	char buf[1024], *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		bad("--translate", list, "list too long");
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (c->nr_translate == RUN_MAX_TRANSLATE)
			bad("--translate", list, "at most 64 addresses");
		c->translate[c->nr_translate++] = opt_u64("run", "--translate", tok);
	}
}

/* Apply the option values over the workload's defaults. */
static void apply(struct run_config *c, const char *const *v)
{
	run_apply_common("run", c, v);
	if (v[O_TIMEOUT])
		c->vm.timeout_s = opt_seconds("run", "--timeout", v[O_TIMEOUT], true);
	out_defaulted = v[RO_OUT] == NULL;
	c->verify = v[O_NOVERIFY] == NULL;
	c->json = v[O_JSON] != NULL;
	/* With --json stdout is the record's. */
	c->vm.console_stdout = v[O_CONSOLE] != NULL && !c->json;
	if (v[O_TRANSLATE])
		parse_translate(c, v[O_TRANSLATE]);
	if (v[O_TSAMPLE])
		c->translate_sample = (unsigned)opt_u64_range("run", "--translate-sample",
							      v[O_TSAMPLE], 0, RUN_MAX_TRANSLATE);
	if (v[O_RING])
		c->vm.ev_ring_bytes = opt_size("run", "--ring-size", v[O_RING]);
	if (v[O_NOEVENTS])
		c->vm.ev_ring_bytes = 0;
	c->vm.ev_chains = v[O_CHAINS] != NULL;
	c->vm.wl.populate = v[O_POPULATE] != NULL;
	c->trace_all = v[O_TRACE_ALL] != NULL;
	c->trace = v[O_TRACE] != NULL || c->trace_all;
	repeat = v[O_REPEAT] ? run_repeat_arg("run", v[O_REPEAT]) : 1;
	if (repeat > 1 &&
	    snprintf(NULL, 0, "%s/rep%u", c->out_dir, repeat) >= (int)sizeof(c->out_dir))
		bad("--out", c->out_dir, "path too long for --repeat's OUT/repN");
}

/* Parse argv into @c; options may come before or after the workload name. */
static void parse(int argc, char **argv, struct run_config *c)
{
	const char *v[O__COUNT] = {0};
	int opt, kind;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", run_options, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (opt == ':')
			die(EXIT_USAGE, "option '%s' needs a value: run 'memvirt run --help'\n",
			    argv[optind - 1]);
		if (opt < 0 || opt >= O__COUNT)
			die(EXIT_USAGE, "unknown option '%s': run 'memvirt run --help'\n",
			    argv[optind - 1]);
		v[opt] = optarg ? optarg : "";
	}
	if (optind >= argc)
		die(EXIT_USAGE, "no workload given: run 'memvirt run --help' for the list\n");
	if (optind + 1 < argc)
		die(EXIT_USAGE, "unexpected argument '%s': give one workload\n", argv[optind + 1]);
	kind = wl_from_name(argv[optind]);
	if (kind < 0)
		die(EXIT_USAGE, "unknown workload '%s': run 'memvirt run --help' for the list\n",
		    argv[optind]);
	run_config_defaults(c, (enum wl_kind)kind);
	apply(c, v);
}

struct repeat_doc {
	const struct run_config *c;
	const struct run_repeat *rep;
	const char *base;
	unsigned n;
};

static int fill_repeat(FILE *f, void *arg)
{
	const struct repeat_doc *d = arg;
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "schema", "memvirt-repeat/1");
	json_str(&j, "command", "run");
	memvirt_provenance_json(&j);
	json_str(&j, "workload", wl_name(d->c->vm.wl.kind));
	json_u64(&j, "repeat", d->n);
	json_arr_begin(&j, "runs");
	for (unsigned i = 1; i <= d->n; i++) {
		char dir[600];

		snprintf(dir, sizeof(dir), "%s/rep%u", d->base, i);
		json_str(&j, NULL, dir);
	}
	json_arr_end(&j);
	run_repeat_json(d->rep, &j, "figures");
	json_obj_end(&j);
	json_finish(&j);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

/* No --out: the run's record, failed or not, named on stderr (the summary names a given OUT). */
static void say_record(const struct run_config *c, const struct run_outcome *o)
{
	char path[600];

	if (!out_defaulted || !o->recorded)
		return;
	snprintf(path, sizeof(path), "%s/run.json", c->out_dir);
	opt_out_defaulted("run", "", path);
}

/* --repeat N: N runs into OUT/rep1..N, their figures' statistics in OUT/repeat.json. */
static int run_repeated(struct run_config *c)
{
	static struct run_outcome o;
	struct run_repeat rep = {0};
	struct repeat_doc d = {c, &rep, NULL, repeat};
	char base[512], path[600];
	bool json = c->json;
	int status, rc;

	snprintf(base, sizeof(base), "%s", c->out_dir);
	d.base = base;
	c->json = false;
	for (unsigned i = 1; i <= repeat; i++) {
		/* parse() checked that OUT/repN fits. */
		if (snprintf(c->out_dir, sizeof(c->out_dir), "%s/rep%u", base, i) >=
		    (int)sizeof(c->out_dir))
			return EXIT_USAGE;
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "\rrun %u of %u\033[K", i, repeat);
		run_execute(c, &o);
		status = run_exit_status(o.fail);
		if (status) {
			if (isatty(STDERR_FILENO))
				fputc('\n', stderr);
			say_record(c, &o);
			pr_err("run %u of %u: %s\n", i, repeat, o.error);
			return status;
		}
		run_repeat__add(&rep, &o);
	}
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	snprintf(path, sizeof(path), "%s/repeat.json", base);
	rc = write_file_atomic(path, fill_repeat, &d, false);
	if (rc)
		die(EXIT_HOST, "writing %s: %s: check --out\n", path, strerror(-rc));
	if (out_defaulted) {
		char runs[600];

		snprintf(runs, sizeof(runs), "%s/rep1..%u/run.json and ", base, repeat);
		opt_out_defaulted("run", runs, path);
	}
	if (json)
		return fill_repeat(stdout, &d) ? EXIT_HOST : 0;
	snprintf(c->out_dir, sizeof(c->out_dir), "%s", base);
	printf("memvirt run: %s, %u runs\n", wl_name(c->vm.wl.kind), repeat);
	run_repeat_print(&rep, stdout);
	if (!out_defaulted)
		printf("  records: %s/rep1..%u/run.json, %s\n", base, repeat, path);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_config c;
	static struct run_outcome o;
	char err[256];
	int status;

	parse(argc, argv, &c);
	snprintf(kernel_default, sizeof(kernel_default), "%s/kernel.elf", guest_dir());
	snprintf(program_default, sizeof(program_default), "%s/workload.elf", guest_dir());
	if (!c.vm.kernel_path)
		c.vm.kernel_path = kernel_default;
	if (!c.vm.program_path)
		c.vm.program_path = program_default;
	if (run_config_validate(&c, err, sizeof(err)))
		die(EXIT_USAGE, "%s\n", err);
	if (repeat > 1)
		return run_repeated(&c);
	run_execute(&c, &o);
	if (!c.json)
		run_print_summary(&c, &o, !out_defaulted);
	if (!c.json && o.traced && o.events_path[0]) {
		/* What the capture saw, as 'memvirt trace stat' prints it. */
		printf("\n");
		fflush(stdout);
		ev_stat_print(o.events_path, stdout, false);
	}
	say_record(&c, &o);
	status = run_exit_status(o.fail);
	if (status) {
		pr_err("%s\n", o.error);
		if (o.res.crash_dump[0])
			fputs(o.res.crash_dump, stderr);
	}
	return status;
}
