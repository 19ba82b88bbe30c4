// SPDX-License-Identifier: GPL-2.0
/* memvirt info: what the host offers, as text or JSON. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "lab/lab.h"
#include "src/cmds.h"
#include "host/host.h"

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

/* Whether 'memvirt lab' can start here, or what the lab is when we run inside it. */
struct lab_state {
	bool inside, ready;
	struct lab_identity id;
	struct lab_kernel k;
	struct lab_machine m;
	char err[512];
};

static void lab_state_probe(struct lab_state *s)
{
	struct lab_config cfg = {.accel = LAB_ACCEL_AUTO};

	memset(s, 0, sizeof(*s));
	s->inside = lab_inside(&s->id);
	if (s->inside)
		return;
	s->ready = !lab_kernel_find(NULL, NULL, &s->k, s->err, sizeof(s->err)) &&
		   !lab_machine_probe(&cfg, &s->m, s->err, sizeof(s->err));
}

static void lab_state_json(const struct lab_state *s, struct json *j)
{
	json_obj_begin(j, "lab");
	json_bool(j, "inside", s->inside);
	if (s->inside) {
		json_obj_end(j);
		lab_identity_json(j, "lab_identity");
		return;
	}
	json_bool(j, "ready", s->ready);
	if (s->ready) {
		json_str(j, "kernel", s->k.version);
		json_str(j, "kernel_image", s->k.image);
		json_str(j, "qemu", s->m.qemu_version);
		json_str(j, "accel", lab_accel_name(s->m.accel));
		json_str(j, "accel_reason", s->m.accel_why);
	} else {
		json_str(j, "error", s->err);
	}
	json_obj_end(j);
}

static void lab_state_print(const struct lab_state *s)
{
	printf("Lab (memvirt lab: real KVM in both MMU modes under QEMU)\n");
	if (s->inside) {
		printf("  %-17s yes: Linux %s under QEMU %s\n", "inside", s->id.kernel, s->id.qemu);
		printf("  %-17s %s, -cpu %s%s\n", "accelerator", s->id.accel, s->id.cpu_model,
		       s->id.times_emulated ? ": times are an emulated CPU's, counts are KVM's"
					    : "");
		printf("  %-17s %s\n", "paging", s->id.paging);
		return;
	}
	if (!s->ready) {
		printf("  %-17s not ready: %s\n", "status", s->err);
		return;
	}
	printf("  %-17s ready: 'memvirt lab -- COMMAND'\n", "status");
	printf("  %-17s Linux %s\n", "kernel", s->k.version);
	printf("  %-17s %s\n", "QEMU", s->m.qemu_version);
	printf("  %-17s %s (%s)%s\n", "accelerator", lab_accel_name(s->m.accel), s->m.accel_why,
	       s->m.accel == LAB_ACCEL_TCG ? ": times in the lab are emulated" : "");
}

static int info_json(const struct host_info *hi, const struct lab_state *ls)
{
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_obj_begin(&j, "host");
	host_info_json(hi, &j);
	json_obj_end(&j);
	if (ls)
		lab_state_json(ls, &j);
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
	struct lab_state ls;
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
	/* The lab concerns the live host only, not a fake --root tree. */
	if (!strcmp(root, "/"))
		lab_state_probe(&ls);
	if (json) {
		/* Its only failure is stdout's: main reports that (EXIT_HOST). */
		info_json(&hi, strcmp(root, "/") ? NULL : &ls);
		return 0;
	}
	host_info_print(&hi, stdout);
	if (!strcmp(root, "/"))
		lab_state_print(&ls);
	return 0;
}
