// SPDX-License-Identifier: GPL-2.0
/* memvirt lab: run a command on real KVM in shadow and nested paging mode, on any machine. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "lab/lab.h"
#include "src/cmds.h"

#define LAB_DEFAULT_MEM	    (2ULL << 30)
#define LAB_DEFAULT_TIMEOUT 1800

static void lab_usage(FILE *f)
{
	fprintf(f,
		"usage: memvirt lab [OPTIONS] [--] COMMAND [ARGS...]\n"
		"       memvirt lab [OPTIONS] shell\n\n"
		"Boots a stock Linux kernel under QEMU on a CPU model with SVM and NPT (or\n"
		"VMX and EPT), loads KVM with nested paging off (shadow: kvm_amd npt=0) or\n"
		"on (tdp: npt=1), and runs COMMAND there on real KVM. COMMAND is a memvirt\n"
		"subcommand (run, explain, trace, info, demo, sim) or any program. The host's\n"
		"files are visible read-only at their usual paths (writes go to a scratch\n"
		"overlay and are lost); COMMAND runs in DIR/MODE, shared read-write, so its\n"
		"relative output paths come back there, with lab.json (what booted, how, the\n"
		"exit status) and lab-console.log. The exit status is COMMAND's (the first\n"
		"failing mode's with --paging both); 3 when the lab cannot start, 4 when\n"
		"COMMAND runs past --timeout.\n\n"
		"Under TCG (no /dev/kvm, or --accel tcg) the counts are real KVM behaviour;\n"
		"times are those of an emulated CPU.\n\n"
		"options:\n"
		"  --paging MODE    shadow, tdp or both (default both: shadow, then tdp)\n"
		"  --accel A        auto (default): host KVM with nested virtualization when\n"
		"                   it has it, else TCG; kvm; tcg\n"
		"  --mem SIZE       the lab machine's memory (default 2G)\n"
		"  --cpus N         its vCPUs (default 1)\n"
		"  --out DIR        output directory (default memvirt-out/lab); DIR/shadow, "
		"DIR/tdp\n"
		"  --timeout SEC    kill the lab after SEC seconds per mode (default %d; 0: "
		"never)\n"
		"  --thp MODE       the lab kernel's transparent huge pages: always, madvise,\n"
		"                   never (default: the kernel's own, 'always' on Debian)\n"
		"  --kernel IMAGE   another kernel (bzImage); needs --modules\n"
		"  --modules DIR    its modules folder, lib/modules/VERSION, after depmod\n"
		"  --qemu PATH      the QEMU binary (default qemu-system-x86_64 from PATH)\n"
		"  -h, --help       this text\n\n"
		"The default kernel is Debian's linux-image-amd64, fetched into the lab cache\n"
		"(/var/cache/memvirt/lab for root) by scripts/lab-kernel.sh; see docs/lab.md.\n\n"
		"examples:\n"
		"  memvirt lab -- info\n"
		"  memvirt lab --paging both -- run gups --footprint 64M --iters 200000\n"
		"  memvirt lab --paging both --out cls -- explain\n"
		"  memvirt lab --paging shadow -- run seq --paging tdp --reload-kvm\n"
		"  memvirt lab --paging tdp -- trace -- memvirt run touch --footprint 8M\n"
		"  memvirt lab --paging shadow shell\n",
		LAB_DEFAULT_TIMEOUT);
}

static const char *const memvirt_cmds[] = {"info", "run",   "explain", "demo",
					   "sim",  "trace", "validate"};

/* A memvirt subcommand runs this very binary inside, visible at the same path. */
static int resolve_command(int argc, char **argv, char ***out)
{
	static char self[PATH_MAX];
	char **v = calloc((size_t)argc + 2, sizeof(*v));
	int n = 0;

	if (!v)
		die(EXIT_HOST, "out of memory\n");
	for (size_t i = 0; i < ARRAY_SIZE(memvirt_cmds); i++) {
		if (strcmp(argv[0], memvirt_cmds[i]))
			continue;
		if (!realpath("/proc/self/exe", self))
			die(EXIT_HOST, "cannot find this binary (/proc/self/exe)\n");
		v[n++] = self;
		break;
	}
	for (int i = 0; i < argc; i++)
		v[n++] = argv[i];
	*out = v;
	return n;
}

static enum lab_thp parse_thp(const char *v)
{
	for (enum lab_thp t = LAB_THP_ALWAYS; t <= LAB_THP_NEVER; t++)
		if (!strcmp(v, lab_thp_name(t)))
			return t;
	opt_bad("lab", "--thp", v, "expected always, madvise or never");
}

struct lab_opts {
	struct lab_config cfg;
	const char *out, *kernel, *modules;
	bool shadow, tdp;
};

static void parse_opts(int argc, char **argv, struct lab_opts *o)
{
	static const struct option opts[] = {
		{"paging", required_argument, 0, 'p'},	{"accel", required_argument, 0, 'a'},
		{"mem", required_argument, 0, 'm'},	{"cpus", required_argument, 0, 'c'},
		{"out", required_argument, 0, 'o'},	{"timeout", required_argument, 0, 't'},
		{"thp", required_argument, 0, 'T'},	{"kernel", required_argument, 0, 'k'},
		{"modules", required_argument, 0, 'M'}, {"qemu", required_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},		{0, 0, 0, 0},
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->shadow = !strcmp(optarg, "shadow") || !strcmp(optarg, "both");
			o->tdp = !strcmp(optarg, "tdp") || !strcmp(optarg, "both");
			if (!o->shadow && !o->tdp)
				opt_bad("lab", "--paging", optarg, "expected shadow, tdp or both");
			break;
		case 'a':
			if (!strcmp(optarg, "auto"))
				o->cfg.accel = LAB_ACCEL_AUTO;
			else if (!strcmp(optarg, "kvm"))
				o->cfg.accel = LAB_ACCEL_KVM;
			else if (!strcmp(optarg, "tcg"))
				o->cfg.accel = LAB_ACCEL_TCG;
			else
				opt_bad("lab", "--accel", optarg, "expected auto, kvm or tcg");
			break;
		case 'm':
			o->cfg.mem_bytes = opt_size("lab", "--mem", optarg);
			if (o->cfg.mem_bytes < (256ULL << 20) || o->cfg.mem_bytes > (1ULL << 40))
				opt_bad("lab", "--mem", optarg, "expected 256M to 1T");
			break;
		case 'c':
			o->cfg.cpus = (unsigned int)opt_u64_range("lab", "--cpus", optarg, 1, 64);
			break;
		case 'o':
			o->out = opt_path("lab", "--out", optarg);
			break;
		case 't':
			o->cfg.timeout_s = (unsigned int)opt_u64_range(
				"lab", "--timeout", optarg, 0, (uint64_t)OPT_SECONDS_MAX);
			break;
		case 'T':
			o->cfg.thp = parse_thp(optarg);
			break;
		case 'k':
			o->kernel = optarg;
			break;
		case 'M':
			o->modules = optarg;
			break;
		case 'q':
			o->cfg.qemu = optarg;
			break;
		case 'h':
			lab_usage(stdout);
			exit(0);
		case ':':
			die(EXIT_USAGE, "option '%s' needs a value: run 'memvirt lab --help'\n",
			    argv[optind - 1]);
		default:
			die(EXIT_USAGE, "bad option '%s': run 'memvirt lab --help'\n",
			    argv[optind - 1]);
		}
	}
}

/* One boot; the exit status it gives. */
static int run_mode(const struct lab_opts *o, const struct lab_machine *m,
		    const struct lab_kernel *k, enum lab_paging p, bool *lab_failed)
{
	char dir[PATH_MAX], sz[32];
	struct lab_result res;
	const char *mode = lab_paging_name(p);

	if (snprintf(dir, sizeof(dir), "%s/%s", o->out, mode) >= (int)sizeof(dir))
		die(EXIT_USAGE, "--out '%s': path too long\n", o->out);
	pr_info("lab: %s mode: Linux %s, %s (-cpu %s: %s), %s, %u vCPU; output in %s\n", mode,
		k->version, m->accel == LAB_ACCEL_KVM ? "host KVM" : "TCG", m->cpu_model,
		m->accel_why, format_size(o->cfg.mem_bytes, sz, sizeof(sz)), o->cfg.cpus, dir);
	lab_run(&o->cfg, m, k, p, dir, &res);
	if (res.fail != LAB_OK) {
		pr_err("lab: %s\n", res.err);
		if (res.fail == LAB_FAIL_BOOT && !o->cfg.shell)
			pr_err("lab: the lab kernel's console is in %s/lab-console.log\n", dir);
		*lab_failed = res.fail != LAB_FAIL_TIMEOUT;
		if (res.fail == LAB_FAIL_SIGNAL)
			return 130;
		return res.fail == LAB_FAIL_TIMEOUT ? EXIT_GUEST : EXIT_HOST;
	}
	pr_info("lab: %s mode (%s): exit %d; command started %.1f s after QEMU, %.1f s in all%s\n",
		mode, res.kvm, res.status, res.boot_s, res.wall_s,
		m->accel == LAB_ACCEL_TCG ? " (TCG: times inside are emulated)" : "");
	return res.status;
}

int cmd_lab(int argc, char **argv)
{
	struct lab_opts o = {
		.cfg = {.accel = LAB_ACCEL_AUTO,
			.mem_bytes = LAB_DEFAULT_MEM,
			.cpus = 1,
			.timeout_s = LAB_DEFAULT_TIMEOUT,
			.version = memvirt_version()},
		.out = "memvirt-out/lab",
	};
	struct lab_machine m;
	struct lab_kernel k;
	char err[512];
	char **cmdv;
	int status = 0, ret;

	parse_opts(argc, argv, &o);
	if (!o.shadow && !o.tdp)
		o.shadow = o.tdp = true;
	if (!o.kernel != !o.modules)
		die(EXIT_USAGE,
		    "lab: --kernel and --modules go together: --kernel BZIMAGE --modules "
		    "DIR (DIR is lib/modules/VERSION of that kernel)\n");
	if (optind >= argc)
		die(EXIT_USAGE,
		    "lab: no command: give one after '--' (e.g. memvirt lab -- run seq) "
		    "or 'shell'; run 'memvirt lab --help'\n");
	o.cfg.shell = !strcmp(argv[optind], "shell") && optind + 1 == argc;
	if (o.cfg.shell && !isatty(STDIN_FILENO))
		die(EXIT_USAGE, "lab shell needs a terminal on standard input\n");
	o.cfg.argc = resolve_command(argc - optind, argv + optind, &cmdv);
	o.cfg.argv = cmdv;
	if (o.cfg.shell)
		o.cfg.timeout_s = 0;
	if (lab_kernel_find(o.kernel, o.modules, &k, err, sizeof(err)))
		die(EXIT_HOST, "lab: %s\n", err);
	if (lab_machine_probe(&o.cfg, &m, err, sizeof(err)))
		die(EXIT_HOST, "lab: %s\n", err);
	for (int p = LAB_SHADOW; p <= LAB_TDP; p++) {
		if ((p == LAB_SHADOW && !o.shadow) || (p == LAB_TDP && !o.tdp))
			continue;
		bool lab_failed = false;

		ret = run_mode(&o, &m, &k, p, &lab_failed);
		if (ret && !status)
			status = ret;
		if (lab_failed)
			break;
	}
	free(cmdv);
	return status;
}
