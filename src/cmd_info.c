// SPDX-License-Identifier: GPL-2.0
/* memvirt info: what the host offers, as text or JSON. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/version.h"
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

/* One command line's worth of names, joined with ", ". */
struct cmd_list {
	char names[160];
};

static void cmd_list_add(struct cmd_list *l, const char *name)
{
	size_t n = strlen(l->names);

	snprintf(l->names + n, sizeof(l->names) - n, "%s%s", n ? ", " : "", name);
}

/* Why the eBPF tracer cannot attach here, or NULL when it can (given a KVM to trace). */
static const char *trace_missing(const struct host_info *hi)
{
	if (!memvirt_build()->tracer)
		return "this memvirt is built without the eBPF tracer";
	if (!hi->bpf_permitted)
		return "no BPF permission: run as root";
	if (!hi->tracefs[0])
		return "no tracefs";
	if (hi->kvm_btf == HOST_NO || !hi->btf)
		return "no kernel BTF for KVM";
	return NULL;
}

/*
 * The last line: which commands work on this host as it is, which through the lab, which
 * not at all and why. A fake --root tree has no lab (lab_ready false).
 */
static void commands_print(const struct host_info *hi, const struct lab_state *ls)
{
	bool kvm = hi->kvm_usable, lab = ls && ls->ready, built = memvirt_build()->tracer;
	const char *no_kvm = hi->kvm_present ? "/dev/kvm is not usable" : "no /dev/kvm";
	const char *no_lab = !ls	  ? "the lab is not checked with --root"
			     : ls->inside ? "already inside the lab"
					  : "the lab is not ready";
	const char *no_trace = trace_missing(hi);
	struct cmd_list here = {""}, in_lab = {""}, none = {""};

	cmd_list_add(&here, "info, sim, trace dump/stat");
	if (kvm)
		cmd_list_add(&here, "run, explain, demo, validate");
	else if (lab)
		cmd_list_add(&here, "demo (in the lab)");
	if (lab)
		cmd_list_add(&here, "lab");
	if (!kvm)
		cmd_list_add(lab ? &in_lab : &none,
			     lab ? "run, explain, validate" : "run, explain, demo, validate");
	/* The lab runs its command as root on a kernel with BTF: tracing works there. */
	if (kvm && !no_trace)
		cmd_list_add(&here, "trace capture");
	else if (lab && built)
		cmd_list_add(&in_lab, "trace capture");
	else
		cmd_list_add(&none, "trace capture");

	printf("Commands: usable here: %s", here.names);
	if (in_lab.names[0])
		printf("; %s need the lab ('memvirt lab -- %s ...'): %s", in_lab.names,
		       kvm ? "trace" : "run", kvm ? no_trace : no_kvm);
	if (none.names[0]) {
		printf("; unavailable: %s (", none.names);
		if (!kvm && !lab)
			printf("%s and %s%s", no_kvm, no_lab, no_trace ? "; " : "");
		if (no_trace)
			printf("%s", no_trace);
		printf(")");
	}
	printf("\n");
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
		if (info_json(&hi, strcmp(root, "/") ? NULL : &ls) || fflush(stdout)) {
			pr_err("cannot write JSON to stdout\n");
			return 1;
		}
		return 0;
	}
	host_info_print(&hi, stdout);
	if (!strcmp(root, "/"))
		lab_state_print(&ls);
	commands_print(&hi, strcmp(root, "/") ? NULL : &ls);
	return fflush(stdout) ? 1 : 0;
}
