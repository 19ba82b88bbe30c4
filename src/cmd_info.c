// SPDX-License-Identifier: GPL-2.0
/* memvirt info: what the host offers, as text or JSON. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
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

/* Commands in one group (usable here, through the lab, not at all), in 'memvirt help' order. */
struct cmd_list {
	const char *name[12];
	const char *note[12]; /* shown after the name in text: "in the lab" */
	int n;
};

/* The groups of commands by what they need. */
static const char *const cmds_always[] = {"info",   "sim",   "trace dump",    "trace stat",
					  "report", "sweep", "explain --run", NULL};
static const char *const cmds_kvm[] = {"run", "explain", "demo", "validate", NULL};
/* demo runs in the lab by itself; the others are run through 'memvirt lab -- ...' */
static const char *const cmds_kvm_via_lab[] = {"run", "explain", "validate", NULL};
static const char *const cmds_demo[] = {"demo", NULL};
static const char *const cmds_lab[] = {"lab", NULL};
static const char *const cmds_trace[] = {"trace capture", NULL};

static void cmd_list_add(struct cmd_list *l, const char *note, const char *const *names)
{
	for (; *names && l->n < (int)ARRAY_SIZE(l->name); names++) {
		l->note[l->n] = note;
		l->name[l->n++] = *names;
	}
}

/* Where the commands work on this host: here, through the lab, or not at all, and why. */
struct cmd_avail {
	struct cmd_list here, in_lab, none;
	const char *lab_hint; /* how to run an in_lab command: "memvirt lab -- run ..." */
	const char *lab_why;  /* why in_lab commands are not usable here */
	char none_why[256];   /* why none are usable at all */
};

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

/* @ls NULL: a fake --root tree, where the lab is not probed. */
static void cmd_avail_probe(const struct host_info *hi, const struct lab_state *ls,
			    struct cmd_avail *a)
{
	bool kvm = hi->kvm_usable, lab = ls && ls->ready, built = memvirt_build()->tracer;
	const char *no_kvm = hi->kvm_present ? "/dev/kvm is not usable" : "no /dev/kvm";
	const char *no_lab = !ls	  ? "the lab is not checked with --root"
			     : ls->inside ? "already inside the lab"
					  : "the lab is not ready";
	const char *no_trace = trace_missing(hi);

	memset(a, 0, sizeof(*a));
	cmd_list_add(&a->here, NULL, cmds_always);
	if (kvm)
		cmd_list_add(&a->here, NULL, cmds_kvm);
	else if (lab)
		cmd_list_add(&a->here, "in the lab", cmds_demo);
	if (lab)
		cmd_list_add(&a->here, NULL, cmds_lab);
	if (!kvm && lab)
		cmd_list_add(&a->in_lab, NULL, cmds_kvm_via_lab);
	else if (!kvm)
		cmd_list_add(&a->none, NULL, cmds_kvm);
	/* The lab runs its command as root on a kernel with BTF: tracing works there. */
	if (kvm && !no_trace)
		cmd_list_add(&a->here, NULL, cmds_trace);
	else if (lab && built)
		cmd_list_add(&a->in_lab, NULL, cmds_trace);
	else
		cmd_list_add(&a->none, NULL, cmds_trace);
	a->lab_hint = kvm ? "memvirt lab -- trace ..." : "memvirt lab -- run ...";
	a->lab_why = kvm ? no_trace : no_kvm;
	if (!kvm && !lab)
		snprintf(a->none_why, sizeof(a->none_why), "%s and %s%s%s", no_kvm, no_lab,
			 no_trace ? "; " : "", no_trace ? no_trace : "");
	else if (no_trace)
		snprintf(a->none_why, sizeof(a->none_why), "%s", no_trace);
}

static void cmd_list_print(const struct cmd_list *l)
{
	for (int i = 0; i < l->n; i++) {
		printf("%s%s", i ? ", " : "", l->name[i]);
		if (l->note[i])
			printf(" (%s)", l->note[i]);
	}
}

/* The last line of 'memvirt info'. */
static void cmd_avail_print(const struct cmd_avail *a)
{
	printf("Commands: usable here: ");
	cmd_list_print(&a->here);
	if (a->in_lab.n) {
		printf("; ");
		cmd_list_print(&a->in_lab);
		printf(" need the lab ('%s'): %s", a->lab_hint, a->lab_why);
	}
	if (a->none.n) {
		printf("; unavailable: ");
		cmd_list_print(&a->none);
		printf(" (%s)", a->none_why);
	}
	printf("\n");
}

static void cmd_list_json(struct json *j, const char *key, const struct cmd_list *l)
{
	json_arr_begin(j, key);
	for (int i = 0; i < l->n; i++)
		json_str(j, NULL, l->name[i]);
	json_arr_end(j);
}

static void cmd_avail_json(const struct cmd_avail *a, struct json *j)
{
	json_obj_begin(j, "commands");
	cmd_list_json(j, "usable", &a->here);
	cmd_list_json(j, "need_lab", &a->in_lab);
	json_str(j, "need_lab_reason", a->in_lab.n ? a->lab_why : "");
	cmd_list_json(j, "unavailable", &a->none);
	json_str(j, "unavailable_reason", a->none_why);
	json_obj_end(j);
}

static int info_json(const struct host_info *hi, const struct lab_state *ls,
		     const struct cmd_avail *a)
{
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_obj_begin(&j, "host");
	host_info_json(hi, &j);
	json_obj_end(&j);
	if (ls)
		lab_state_json(ls, &j);
	cmd_avail_json(a, &j);
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
	struct cmd_avail avail;
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
	cmd_avail_probe(&hi, strcmp(root, "/") ? NULL : &ls, &avail);
	if (json) {
		/* Its only failure is stdout's: main reports that (EXIT_HOST). */
		info_json(&hi, strcmp(root, "/") ? NULL : &ls, &avail);
		return 0;
	}
	host_info_print(&hi, stdout);
	if (!strcmp(root, "/"))
		lab_state_print(&ls);
	cmd_avail_print(&avail);
	return 0;
}
