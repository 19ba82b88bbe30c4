// SPDX-License-Identifier: GPL-2.0
/* memvirt info: what the host offers, as text or JSON. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "src/cmds.h"
#include "vmm/host.h"

static void info_usage(FILE *f)
{
	fprintf(f, "usage: memvirt info [--json] [--root DIR]\n\n"
		   "Shows what this host offers memvirt: /dev/kvm and the KVM MMU mode\n"
		   "(shadow, EPT or NPT) with the module parameter that decides it, huge\n"
		   "pages, pagemap, tracefs, kvmmmu events, BTF and BPF permission, the\n"
		   "CPU, and the tool versions.\n\n"
		   "options:\n"
		   "  --json       print JSON to stdout instead of text\n"
		   "  --root DIR   read DIR/sys, DIR/proc and DIR/dev/kvm instead of the\n"
		   "               live host (a fake tree, for tests); default /\n"
		   "  -h, --help   this text\n\n"
		   "examples:\n"
		   "  memvirt info\n"
		   "  memvirt info --json | jq -r .host.kvm.mmu_mode\n"
		   "  memvirt info --root tests/fixtures/hosts/intel-ept\n");
}

static int info_json(const struct host_info *hi)
{
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_obj_begin(&j, "host");
	host_info_json(hi, &j);
	json_obj_end(&j);
	json_obj_end(&j);
	return json_finish(&j);
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"root", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *root = "/";
	bool json = false;
	struct host_info hi;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'r':
			root = optarg;
			break;
		case 'h':
			info_usage(stdout);
			return 0;
		case ':':
			pr_err("option '%s' needs a value: run 'memvirt info --help'\n",
			       argv[optind - 1]);
			return EXIT_USAGE;
		default:
			/* A long option that failed has been consumed; a short one may not be. */
			if (optind > 0 && !strncmp(argv[optind - 1], "--", 2) && optopt)
				pr_err("option '%s' takes no value: run 'memvirt info --help'\n",
				       argv[optind - 1]);
			else if (optopt)
				pr_err("unknown option '-%c': run 'memvirt info --help'\n", optopt);
			else
				pr_err("unknown option '%s': run 'memvirt info --help'\n",
				       argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s': run 'memvirt info --help'\n", argv[optind]);
		return EXIT_USAGE;
	}

	ret = host_info_probe(&hi, root);
	if (!ret)
		host_info_probe_tools(&hi);
	if (ret) {
		pr_err("cannot read host tree '%s': %s: give --root a directory\n", root,
		       strerror(-ret));
		return EXIT_USAGE;
	}
	if (json) {
		if (info_json(&hi) || fflush(stdout)) {
			pr_err("cannot write JSON to stdout\n");
			return 1;
		}
		return 0;
	}
	host_info_print(&hi, stdout);
	return fflush(stdout) ? 1 : 0;
}
