// SPDX-License-Identifier: GPL-2.0
/* memvirt: one binary, subcommands dispatched from a table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/version.h"
#include "common/log.h"
#include "common/util.h"
#include "src/cmds.h"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{"info", cmd_info, "what the host offers: KVM and its MMU mode, huge pages, BPF, tools"},
	{"run", cmd_run, "run one workload in a KVM guest and record run.json"},
	{"explain", cmd_explain, "the four address spaces of guest addresses, level by level"},
	{"demo", cmd_demo, "the default experiment: every workload once, a summary table"},
	{"sim", cmd_sim, "simulate address translation for a workload or lackey trace"},
	{"trace", cmd_trace, "capture KVM MMU and host events; dump and summarize event files"},
	{"validate", cmd_validate,
	 "KVM's MMU counters against the simulator's model, per workload"},
	{"lab", cmd_lab, "real KVM in shadow and nested paging mode under QEMU, on any machine"},
	{"sweep", cmd_sweep, "run, lab, sim or validate over a parameter grid, in parallel"},
	{"report", cmd_report,
	 "plots and tables (HTML, Markdown, CSV) from sim, run and lab results"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: memvirt COMMAND [OPTIONS]\n\n"
		   "Runs guest workloads under KVM and shows how their memory is translated:\n"
		   "guest virtual -> guest physical -> host virtual -> host physical.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  %-9s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(f, "  %-9s %s\n", "help", "this list; 'memvirt help COMMAND' for one command");
	fprintf(f, "\noptions:\n"
		   "  -h, --help   this list\n"
		   "  --version    the version, git commit, optional parts built in and where\n"
		   "               the guest images are\n"
		   "\nexamples:\n"
		   "  memvirt info\n"
		   "  memvirt help run\n"
		   "  memvirt run gups --footprint 64M --iters 1000000\n"
		   "  memvirt demo --out results/demo\n");
}

/*
 * Every subcommand writes its data to stdout; a write that failed there (a
 * full disk, a closed file system) is the host's problem, EXIT_HOST, found
 * here once as the program ends, whichever way it ends through exit().
 */
static void stdout_check(void)
{
	int err = 0;

	if (fflush(stdout))
		err = errno;
	else if (ferror(stdout))
		err = errno ? errno : EIO;
	if (!err)
		return;
	pr_err("writing standard output: %s\n", strerror(err));
	_exit(EXIT_HOST);
}

static const struct subcommand *subcommand_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++) {
		if (!strcmp(name, subcommands[i].name))
			return &subcommands[i];
	}
	return NULL;
}

/* memvirt help [COMMAND]: the list, or COMMAND's own --help. */
static int help(int argc, char **argv)
{
	const struct subcommand *sc;
	char *args[] = {NULL, "--help", NULL};

	if (argc < 2 || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (argc > 2) {
		pr_err("unexpected argument '%s': run 'memvirt help COMMAND'\n", argv[2]);
		return EXIT_USAGE;
	}
	sc = subcommand_find(argv[1]);
	if (!sc) {
		pr_err("unknown command '%s': run 'memvirt help' for the list\n", argv[1]);
		return EXIT_USAGE;
	}
	args[0] = argv[1];
	return sc->fn(2, args);
}

int main(int argc, char **argv)
{
	const struct subcommand *sc;
	const char *cmd;

	util_main_ns = now_ns();
	memvirt_set_command_line(argc, argv);
	atexit(stdout_check);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "help"))
		return help(argc - 1, argv + 1);
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version"))
		return cmd_version();
	sc = subcommand_find(cmd);
	if (sc)
		return sc->fn(argc - 1, argv + 1);
	pr_err("unknown command '%s': run 'memvirt help' for the list\n", cmd);
	return EXIT_USAGE;
}
