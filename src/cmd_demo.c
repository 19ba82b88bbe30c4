// SPDX-License-Identifier: GPL-2.0
/* memvirt demo: the default experiment, every workload once under KVM, one table. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "src/cmds.h"
#include "src/runner.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: memvirt demo [--out DIR] [--json]\n\n"
		"Runs each workload once in a KVM guest with 4K pages (a 16M footprint, small\n"
		"iteration counts) and prints one table: guest cycles per access, demand faults\n"
		"the guest kernel handled, and KVM's own counts. Each run's record is in\n"
		"DIR/WORKLOAD/run.json.\n\n"
		"options:\n"
		"  --out DIR   output directory (default memvirt-out/demo)\n"
		"  --json      print the table as JSON\n"
		"  -h, --help  this text\n\n"
		"example:\n"
		"  memvirt demo --out results/demo\n");
}

static const struct {
	enum wl_kind kind;
	uint64_t footprint, iters;
} plan[] = {
	{WL_SEQ, 16 << 20, 4},	       {WL_STRIDE, 16 << 20, 16},    {WL_RANDOM, 16 << 20, 1 << 22},
	{WL_CHASE, 16 << 20, 1 << 22}, {WL_GUPS, 16 << 20, 1 << 22}, {WL_CHURN, 4 << 20, 4},
	{WL_PINGPONG, 1 << 20, 200},
};

struct row {
	struct run_config cfg;
	struct run_outcome out;
};

static void print_table(const struct row *rows, size_t n)
{
	printf("%-9s %9s %11s %9s %8s %9s %9s %8s  %s\n", "workload", "footprint", "accesses",
	       "cyc/acc", "g-faults", "pf_fixed", "exits", "wall ms", "checksum");
	for (size_t i = 0; i < n; i++) {
		const struct vm_result *r = &rows[i].out.res;
		char fp[32];

		printf("%-9s %9s %11" PRIu64 " %9.2f %8" PRIu64 " %9" PRIu64 " %9" PRIu64
		       " %8.1f  %s\n",
		       wl_name(rows[i].cfg.wl.kind),
		       format_size(rows[i].cfg.wl.footprint, fp, sizeof(fp)), r->result.accesses,
		       r->result.accesses ? (double)r->result.cycles / (double)r->result.accesses
					  : 0.0,
		       r->result.faults, vm_result_stat(r, "pf_fixed"), vm_result_stat(r, "exits"),
		       (double)rows[i].out.wall_ns / 1e6,
		       rows[i].out.status     ? "FAILED"
		       : rows[i].out.verified ? "verified"
					      : "unverified");
	}
	printf("\ncyc/acc: guest rdtsc cycles per 8-byte data access in the measured loop;\n"
	       "g-faults: demand faults the guest kernel handled; pf_fixed, exits: KVM vCPU "
	       "stats.\n");
}

static void print_json(const struct row *rows, size_t n)
{
	struct json j;

	json_init(&j, stdout);
	json_arr_begin(&j, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct vm_result *r = &rows[i].out.res;

		json_obj_begin(&j, NULL);
		json_str(&j, "workload", wl_name(rows[i].cfg.wl.kind));
		json_u64(&j, "footprint_bytes", rows[i].cfg.wl.footprint);
		json_str(&j, "status", rows[i].out.status ? "failed" : "ok");
		json_u64(&j, "accesses", r->result.accesses);
		json_u64(&j, "cycles", r->result.cycles);
		json_u64(&j, "guest_faults", r->result.faults);
		json_u64(&j, "pf_fixed", vm_result_stat(r, "pf_fixed"));
		json_u64(&j, "exits", vm_result_stat(r, "exits"));
		json_u64(&j, "wall_ns", rows[i].out.wall_ns);
		json_bool(&j, "verified", rows[i].out.verified);
		json_str(&j, "run_json", rows[i].cfg.out_dir);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_finish(&j);
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, 0, 'o'},
		{"json", no_argument, 0, 'j'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	static struct row rows[ARRAY_SIZE(plan)];
	const char *out = "memvirt-out/demo";
	char kernel[512], program[512];
	bool json = false;
	int opt, failed = 0;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (opt == 'o') {
			out = optarg;
		} else if (opt == 'j') {
			json = true;
		} else if (opt == 'h') {
			usage(stdout);
			return 0;
		} else {
			die(EXIT_USAGE, "bad option '%s': run 'memvirt demo --help'\n",
			    argv[optind - 1]);
		}
	}
	snprintf(kernel, sizeof(kernel), "%s/kernel.elf", guest_dir());
	snprintf(program, sizeof(program), "%s/workload.elf", guest_dir());
	for (size_t i = 0; i < ARRAY_SIZE(plan); i++) {
		struct run_config *c = &rows[i].cfg;

		run_config_defaults(c, plan[i].kind);
		c->wl.footprint = plan[i].footprint;
		c->wl.iters = plan[i].iters;
		c->kernel_path = kernel;
		c->program_path = program;
		c->timeout_s = 120;
		snprintf(c->out_dir, sizeof(c->out_dir), "%s/%s", out, wl_name(plan[i].kind));
		if (isatty(2))
			fprintf(stderr, "\r[%zu/%zu] %-9s", i + 1, ARRAY_SIZE(plan),
				wl_name(plan[i].kind));
		if (run_execute(c, &rows[i].out)) {
			failed++;
			if (isatty(2))
				fputc('\n', stderr);
			pr_err("%s: %s\n", wl_name(plan[i].kind), rows[i].out.error);
			if (rows[i].out.status == EXIT_HOST)
				return EXIT_HOST;
		}
	}
	if (isatty(2))
		fputs("\r\033[K", stderr);
	if (json)
		print_json(rows, ARRAY_SIZE(plan));
	else
		print_table(rows, ARRAY_SIZE(plan));
	if (!json)
		printf("records: %s/WORKLOAD/run.json\n", out);
	return failed ? EXIT_GUEST : 0;
}
