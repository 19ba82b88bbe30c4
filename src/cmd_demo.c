// SPDX-License-Identifier: GPL-2.0
/* memvirt demo: the default experiment, every workload once under KVM, one table. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "src/cmds.h"
#include "src/run_cli.h"
#include "host/host.h"
#include "lab/lab.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: memvirt demo [--out DIR] [--json] [--lab auto|no|only] [--repeat N]\n"
		   "                    [--no-report]\n\n"
		   "The default experiment. Runs each workload once in a KVM guest with 4K pages\n"
		   "(a 16M footprint, small iteration counts) and prints one table per MMU mode:\n"
		   "guest cycles per access, demand faults the guest kernel handled, and KVM's\n"
		   "own counts. Then simulates gups and chase over footprints of 1M to 64M and\n"
		   "churn (page-table updates) over 256K to 4M under native, nested and shadow\n"
		   "paging (memvirt sweep ... -- sim, into DIR/sim/), draws the report of it all\n"
		   "(memvirt report DIR -o DIR/report) and prints its headline table and the\n"
		   "path of DIR/report/index.html.\n\n"
		   "Both modes are shown: shadow paging and nested paging (NPT/EPT). Where this\n"
		   "host has /dev/kvm, its own mode runs natively and the other one in the lab\n"
		   "(memvirt lab: real KVM under QEMU); without /dev/kvm both run in the lab,\n"
		   "where times are an emulated CPU's and counts are KVM's. Records go to\n"
		   "DIR/MODE/WORKLOAD/run.json and the table to DIR/MODE/demo.json (with --lab\n"
		   "no: DIR/WORKLOAD/run.json and DIR/demo.json).\n\n"
		   "options:\n"
		   "  --out DIR   output directory (default memvirt-out/demo)\n"
		   "  --json      print the table as JSON ({\"MODE\": [rows]} when the lab runs)\n"
		   "  --lab L     auto (default): as above; no: this host's KVM only; only: both\n"
		   "              modes in the lab\n"
		   "  --repeat N  run each workload N times (1..1000) into DIR/WORKLOAD/repK and\n"
		   "              show the mean, sample standard deviation, minimum and maximum\n"
		   "              of each figure per workload (in the JSON too: \"figures\")\n"
		   "  --no-report the KVM runs only: no simulations, no report\n"
		   "  -h, --help  this text\n\n"
		   "examples:\n"
		   "  memvirt demo --out results/demo\n"
		   "  memvirt demo --lab only --no-report\n"
		   "  memvirt demo --lab no --json\n"
		   "  memvirt demo --lab no --repeat 3\n");
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
	struct run_repeat rep; /* every run's figures, for --repeat */
};

static unsigned repeat = 1; /* --repeat N */

static void print_table(const struct row *rows, size_t n)
{
	printf("%-9s %9s %11s %9s %8s %9s %9s %8s  %s\n", "workload", "footprint", "accesses",
	       "cyc/acc", "g-faults", "pf_fixed", "exits", "wall ms", "checksum");
	for (size_t i = 0; i < n; i++) {
		const struct vm_result *r = &rows[i].out.res;
		char fp[32];

		printf("%-9s %9s %11" PRIu64 " %9.2f %8" PRIu64 " %9" PRIu64 " %9" PRIu64
		       " %8.1f  %s\n",
		       wl_name(rows[i].cfg.vm.wl.kind),
		       format_size(rows[i].cfg.vm.wl.footprint, fp, sizeof(fp)), r->result.accesses,
		       r->result.accesses ? (double)r->result.cycles / (double)r->result.accesses
					  : 0.0,
		       r->result.faults, vm_result_stat(r, "pf_fixed"), vm_result_stat(r, "exits"),
		       (double)rows[i].out.wall_ns / 1e6,
		       rows[i].out.fail	      ? "FAILED"
		       : rows[i].out.verified ? "verified"
					      : "unverified");
	}
	for (size_t i = 0; repeat > 1 && i < n; i++) {
		char fp[32];

		printf("\n%s, footprint %s, %" PRIu64 " runs:\n", wl_name(rows[i].cfg.vm.wl.kind),
		       format_size(rows[i].cfg.vm.wl.footprint, fp, sizeof(fp)),
		       rows[i].rep.f[RF_ACCESSES].n);
		run_repeat_print(&rows[i].rep, stdout);
	}
	if (repeat > 1)
		printf("\nThe first table shows each workload's last run; sd: sample standard "
		       "deviation.\n");
	printf("\ncyc/acc: guest rdtsc cycles (measured) per 8-byte data access in the measured\n"
	       "loop; "
	       "g-faults: demand faults the guest kernel handled; pf_fixed, exits: KVM vCPU "
	       "stats.\n");
}

static int print_json(FILE *f, const struct row *rows, size_t n)
{
	struct json j;

	json_init(&j, f);
	json_arr_begin(&j, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct vm_result *r = &rows[i].out.res;

		json_obj_begin(&j, NULL);
		json_str(&j, "workload", wl_name(rows[i].cfg.vm.wl.kind));
		json_u64(&j, "footprint_bytes", rows[i].cfg.vm.wl.footprint);
		json_str(&j, "status", rows[i].out.fail ? "failed" : "ok");
		json_u64(&j, "accesses", r->result.accesses);
		json_u64(&j, "cycles", r->result.cycles);
		json_u64(&j, "guest_faults", r->result.faults);
		json_u64(&j, "pf_fixed", vm_result_stat(r, "pf_fixed"));
		json_u64(&j, "exits", vm_result_stat(r, "exits"));
		json_u64(&j, "wall_ns", rows[i].out.wall_ns);
		json_bool(&j, "verified", rows[i].out.verified);
		json_str(&j, "run_json", rows[i].cfg.out_dir);
		if (repeat > 1) {
			json_u64(&j, "runs", rows[i].rep.f[RF_ACCESSES].n);
			run_repeat_json(&rows[i].rep, &j, "figures");
		}
		json_obj_end(&j);
	}
	json_arr_end(&j);
	return json_finish(&j);
}

struct demo_rows {
	const struct row *rows;
	size_t n;
};

static int fill_json(FILE *f, void *arg)
{
	const struct demo_rows *d = arg;

	return print_json(f, d->rows, d->n);
}

enum demo_show { DEMO_SHOW_NONE, DEMO_SHOW_TABLE, DEMO_SHOW_JSON };

/* Every workload once on this host's KVM; the table to DIR/demo.json and as @show says. */
static int demo_here(const char *out, enum demo_show show)
{
	static struct row rows[ARRAY_SIZE(plan)];
	struct demo_rows d = {rows, ARRAY_SIZE(plan)};
	char kernel[512], program[512], path[4200];
	int failed = 0;

	snprintf(kernel, sizeof(kernel), "%s/kernel.elf", guest_dir());
	snprintf(program, sizeof(program), "%s/workload.elf", guest_dir());
	for (size_t i = 0; i < ARRAY_SIZE(plan); i++) {
		struct run_config *c = &rows[i].cfg;

		run_config_defaults(c, plan[i].kind);
		c->vm.wl.footprint = plan[i].footprint;
		c->vm.wl.iters = plan[i].iters;
		c->vm.kernel_path = kernel;
		c->vm.program_path = program;
		c->vm.timeout_s = 120;
		memset(&rows[i].rep, 0, sizeof(rows[i].rep));
		for (unsigned r = 1; r <= repeat; r++) {
			if (repeat > 1)
				snprintf(c->out_dir, sizeof(c->out_dir), "%s/%s/rep%u", out,
					 wl_name(plan[i].kind), r);
			else
				snprintf(c->out_dir, sizeof(c->out_dir), "%s/%s", out,
					 wl_name(plan[i].kind));
			if (isatty(2))
				fprintf(stderr, "\r[%zu/%zu] %-9s %u/%u", i + 1, ARRAY_SIZE(plan),
					wl_name(plan[i].kind), r, repeat);
			if (run_execute(c, &rows[i].out)) {
				failed++;
				if (isatty(2))
					fputc('\n', stderr);
				pr_err("%s: %s\n", wl_name(plan[i].kind), rows[i].out.error);
				if (run_exit_status(rows[i].out.fail) == EXIT_HOST)
					return EXIT_HOST;
				break; /* its figures are of the runs that finished */
			}
			run_repeat__add(&rows[i].rep, &rows[i].out);
		}
	}
	if (isatty(2))
		fputs("\r\033[K", stderr);
	snprintf(path, sizeof(path), "%s/demo.json", out);
	if (write_file_atomic(path, fill_json, &d, false))
		pr_warn("cannot write %s\n", path);
	if (show == DEMO_SHOW_JSON) {
		print_json(stdout, rows, ARRAY_SIZE(plan));
	} else if (show == DEMO_SHOW_TABLE) {
		print_table(rows, ARRAY_SIZE(plan));
		printf("records: %s/WORKLOAD/run.json\n", out);
	}
	return failed ? EXIT_GUEST : 0;
}

enum demo_lab { DEMO_LAB_AUTO, DEMO_LAB_NO, DEMO_LAB_ONLY };

/* Which mode this host's KVM gives, or -1 when it has no usable /dev/kvm. */
static int host_mode(void)
{
	struct host_info hi;

	if (host_info_probe(&hi, "/") || !hi.kvm_usable)
		return -1;
	return hi.mmu_mode == HOST_MMU_SHADOW ? LAB_SHADOW : LAB_TDP;
}

/* Copy DIR/MODE/NAME, a file a mode's demo wrote, to stdout as it is; false if it is not there. */
static bool cat_mode_file(const char *out, const char *mode, const char *name)
{
	char path[4200], buf[65536];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", out, mode, name);
	f = fopen(path, "re");
	if (!f)
		return false;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return true;
}

/* DIR/MODE/demo.json, as it is, into the combined JSON document. */
static void cat_json(const char *out, const char *mode, bool first)
{
	printf("%s\n  \"%s\": ", first ? "{" : ",", mode);
	if (!cat_mode_file(out, mode, "demo.json"))
		printf("null");
}

/* One mode in the lab: this binary's 'demo --lab no' in DIR/MODE. */
static int demo_in_lab(const char *out, enum lab_paging p, bool json)
{
	static char self[PATH_MAX], abs_dir[PATH_MAX];
	/* The lab mounts DIR/MODE at its own absolute path, so records name real paths. */
	static char reps[16];
	char *argv[] = {self,	 "demo",     "--lab", "no",	     "--out",
			abs_dir, "--repeat", reps,    "--no-report", NULL};
	struct lab_config cfg = {.accel = LAB_ACCEL_AUTO,
				 .mem_bytes = 2ULL << 30,
				 .cpus = 1,
				 .timeout_s = 900,
				 .argv = argv,
				 .argc = 9,
				 .discard_stdout = json,
				 .version = memvirt_version()};
	struct lab_machine m;
	struct lab_kernel k;
	struct lab_result res;
	char dir[4200], err[512];

	if (!realpath("/proc/self/exe", self))
		return EXIT_HOST;
	snprintf(reps, sizeof(reps), "%u", repeat);
	if (lab_kernel_find(NULL, NULL, &k, err, sizeof(err)) ||
	    lab_machine_probe(&cfg, &m, err, sizeof(err))) {
		pr_err("demo: %s mode needs the lab: %s\n", lab_paging_name(p), err);
		return EXIT_HOST;
	}
	snprintf(dir, sizeof(dir), "%s/%s", out, lab_paging_name(p));
	if (mkdir_p(dir) || !realpath(dir, abs_dir)) {
		pr_err("demo: cannot create output directory %s: %s\n", dir, strerror(errno));
		return EXIT_HOST;
	}
	pr_info("demo: %s paging in the lab (Linux %s under QEMU, %s%s); records in %s\n",
		lab_paging_name(p), k.version, lab_accel_name(m.accel),
		m.accel == LAB_ACCEL_TCG ? ": times are an emulated CPU's, counts are KVM's" : "",
		dir);
	if (!json)
		printf("\n%s paging (lab, %s):\n", lab_paging_name(p), lab_accel_name(m.accel));
	fflush(stdout);
	lab_run(&cfg, &m, &k, p, dir, &res);
	if (res.fail != LAB_OK) {
		pr_err("demo: lab: %s\n", res.err);
		return res.fail == LAB_FAIL_TIMEOUT ? EXIT_GUEST : EXIT_HOST;
	}
	return res.status;
}

/*
 * The lab's modes (all but @skip, this host's own). With two cores or more they
 * run at once: TCG runs the one vCPU on one host thread, so two labs take the
 * wall time of one. Each child's table goes to DIR/MODE/demo.txt and is printed
 * in mode order when both are done. The first host failure wins the status.
 */
static int demo_labs(const char *out, int skip, bool json)
{
	bool together = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	pid_t pid[LAB_TDP + 1] = {0};
	int status = 0, ret, ws;
	char path[4200];

	fflush(stdout);
	for (int p = LAB_SHADOW; p <= LAB_TDP; p++) {
		if (p == skip)
			continue;
		if (!together) {
			ret = demo_in_lab(out, p, json);
			if (ret && !status)
				status = ret;
			if (ret == EXIT_HOST)
				return ret;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", out, lab_paging_name(p));
		if (mkdir_p(path)) {
			pr_err("demo: cannot create output directory %s: %s\n", path,
			       strerror(errno));
			return EXIT_HOST;
		}
		pid[p] = fork();
		if (pid[p] < 0) {
			pr_err("demo: fork: %s\n", strerror(errno));
			return EXIT_HOST;
		}
		if (pid[p] == 0) {
			snprintf(path, sizeof(path), "%s/%s/demo.txt", out, lab_paging_name(p));
			if (!freopen(path, "we", stdout))
				_exit(EXIT_HOST);
			ret = demo_in_lab(out, p, json);
			fflush(stdout);
			_exit(ret);
		}
	}
	for (int p = LAB_SHADOW; p <= LAB_TDP; p++) {
		if (pid[p] <= 0)
			continue;
		while (waitpid(pid[p], &ws, 0) < 0 && errno == EINTR)
			;
		ret = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
		if (!json) /* DIR/MODE/demo.txt: that lab's table */
			cat_mode_file(out, lab_paging_name(p), "demo.txt");
		if (ret && (!status || ret == EXIT_HOST))
			status = ret;
	}
	return status;
}

/* This binary with @args, its stdout to @log (NULL: ours); its exit status. */
static int run_self(char *const args[], const char *log)
{
	static char self[PATH_MAX];
	char *argv[24] = {self};
	pid_t pid;
	int ws, fd;

	if (!realpath("/proc/self/exe", self))
		return EXIT_HOST;
	for (int i = 0; args[i] && i < (int)ARRAY_SIZE(argv) - 2; i++)
		argv[i + 1] = args[i];
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return EXIT_HOST;
	if (pid == 0) {
		if (log) {
			fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
				_exit(EXIT_HOST);
		}
		execv(self, argv);
		_exit(EXIT_HOST);
	}
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return EXIT_HOST;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/*
 * The simulations: two sweeps of 'memvirt sim', every mode per point. A sweep
 * left by an earlier demo in the same place is replaced (a sweep refuses to run
 * into its own directory again without --resume, and would then keep old points).
 */
static int demo_sims(const char *out)
{
	static const struct {
		const char *dir, *workloads, *footprints, *iters;
	} sweeps[] = {
		{"tlb", "gups,chase", "1M..64M:x4", "200000"},
		{"updates", "churn", "256K..4M:x4", "4"},
	};
	char dir[4200], marker[4300];
	int ret;

	for (size_t i = 0; i < ARRAY_SIZE(sweeps); i++) {
		snprintf(dir, sizeof(dir), "%s/sim/%s", out, sweeps[i].dir);
		snprintf(marker, sizeof(marker), "%s/sweep.json", dir);
		if (access(marker, F_OK) == 0)
			rm_tree(dir);
		pr_info("demo: simulating %s over %s (native, nested, shadow; zen4) into %s\n",
			sweeps[i].workloads, sweeps[i].footprints, dir);
		ret = run_self((char *const[]){"sweep", "--out", dir, "--jobs", "2", "--workload",
					       (char *)sweeps[i].workloads, "--footprint",
					       (char *)sweeps[i].footprints, "--", "sim",
					       "--paging", "all", "--preset", "zen4", "--iters",
					       (char *)sweeps[i].iters, NULL},
			       "/dev/null");
		if (ret) {
			pr_err("demo: the simulations in %s failed (exit %d): see "
			       "%s/points/*/log.txt\n",
			       dir, ret, dir);
			return ret == EXIT_USAGE ? EXIT_HOST : ret;
		}
	}
	return 0;
}

/* Print the headline table of DIR/report/report.md: its first Markdown table. */
static void print_headline(const char *report_md)
{
	char line[1024];
	bool in = false;
	FILE *f = fopen(report_md, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '|') {
			in = true;
			fputs(line, stdout);
		} else if (in) {
			break;
		}
	}
	fclose(f);
}

/* The simulations, then the report of everything under DIR. */
static int demo_report(const char *out, bool json)
{
	char rep[4200], md[4300], html[PATH_MAX];
	int ret = demo_sims(out);

	if (ret)
		return ret;
	snprintf(rep, sizeof(rep), "%s/report", out);
	pr_info("demo: the report of %s into %s\n", out, rep);
	ret = run_self((char *const[]){"report", (char *)out, "-o", rep, NULL}, "/dev/null");
	if (ret) {
		pr_err("demo: memvirt report %s -o %s failed (exit %d)\n", out, rep, ret);
		return ret;
	}
	snprintf(md, sizeof(md), "%s/report.md", rep);
	if (!json) {
		printf("\nreport (KVM runs and simulations):\n");
		print_headline(md);
	}
	snprintf(md, sizeof(md), "%s/index.html", rep);
	fprintf(json ? stderr : stdout, "\nreport: %s\n", realpath(md, html) ? html : md);
	return 0;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, 0, 'o'},
		{"json", no_argument, 0, 'j'},
		{"lab", required_argument, 0, 'l'},
		{"repeat", required_argument, 0, 'r'},
		{"no-report", no_argument, 0, 'n'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *out = "memvirt-out/demo";
	enum demo_lab lab = DEMO_LAB_AUTO;
	char dir[4200];
	bool json = false, report = true;
	int opt, mode, status = 0, ret = 0;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (opt == 'o') {
			out = opt_path("demo", "--out", optarg);
		} else if (opt == 'j') {
			json = true;
		} else if (opt == 'l') {
			if (!strcmp(optarg, "auto"))
				lab = DEMO_LAB_AUTO;
			else if (!strcmp(optarg, "no"))
				lab = DEMO_LAB_NO;
			else if (!strcmp(optarg, "only"))
				lab = DEMO_LAB_ONLY;
			else
				opt_bad("demo", "--lab", optarg, "expected auto, no or only");
		} else if (opt == 'r') {
			repeat = run_repeat_arg("demo", optarg);
		} else if (opt == 'n') {
			report = false;
		} else if (opt == 'h') {
			usage(stdout);
			return 0;
		} else {
			die(EXIT_USAGE, "bad option '%s': run 'memvirt demo --help'\n",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		die(EXIT_USAGE, "unexpected argument '%s': run 'memvirt demo --help'\n",
		    argv[optind]);
	/* Inside the lab, or when asked: this host's KVM only. */
	if (lab == DEMO_LAB_NO || lab_inside(NULL)) {
		status = demo_here(out, json ? DEMO_SHOW_JSON : DEMO_SHOW_TABLE);
		if (report && !lab_inside(NULL) && status != EXIT_HOST)
			ret = demo_report(out, json);
		return status ? status : ret;
	}
	mode = lab == DEMO_LAB_ONLY ? -1 : host_mode();
	if (mode >= 0) {
		pr_info("demo: %s paging on this host's KVM\n", lab_paging_name(mode));
		snprintf(dir, sizeof(dir), "%s/%s", out, lab_paging_name(mode));
		if (!json)
			printf("%s paging (this host's KVM):\n", lab_paging_name(mode));
		status = demo_here(dir, json ? DEMO_SHOW_NONE : DEMO_SHOW_TABLE);
		if (status == EXIT_HOST)
			return status;
	} else if (lab == DEMO_LAB_AUTO) {
		pr_info("demo: no usable /dev/kvm here: both MMU modes run in the lab\n");
	}
	ret = demo_labs(out, mode, json);
	if (ret && (!status || ret == EXIT_HOST))
		status = ret;
	if (json) {
		bool first = true;

		for (int p = LAB_SHADOW; p <= LAB_TDP; p++, first = false)
			cat_json(out, lab_paging_name(p), first);
		printf("\n}\n");
	}
	if (report && status != EXIT_HOST) {
		ret = demo_report(out, json);
		if (ret && !status)
			status = ret;
	}
	return status;
}
