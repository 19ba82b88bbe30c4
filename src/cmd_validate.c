// SPDX-License-Identifier: GPL-2.0
/* 'memvirt validate': KVM's counters against the model's, per workload (validate/). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/version.h"
#include "host/host.h"
#include "lab/lab.h"
#include "src/cmds.h"
#include "src/run_cli.h"
#include "validate/validate.h"

#define EXIT_MISMATCH 1 /* an exact counter is outside the tolerance */

static const enum wl_kind default_workloads[] = {WL_TOUCH, WL_SEQ, WL_CHURN, WL_PINGPONG};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: memvirt validate shadow|nested [options]\n"
		"\n"
		"Runs each workload under KVM (as 'memvirt run' does), replays the same run\n"
		"through the simulator's model (the workload's every access, with the guest\n"
		"kernel's faults, maps, unmaps, flushes and switches from the run's event file),\n"
		"and prints KVM's counters, the model's and their relative error. shadow: KVM's\n"
		"shadow MMU (pf_*, invlpg, tlb_flush, mmu_*, pages_*) against the shadow MMU\n"
		"model; nested: NPT/EPT faults, flushes and TDP pages against the nested\n"
		"machine's. A nop run first measures the idle VM (the guest kernel's own pages,\n"
		"which the model does not replay); 'net' columns are each side less its idle\n"
		"VM's. Counters the model claims exact (or exact net) must agree within 2%%.\n"
		"Needs /dev/kvm in the mode asked: without it, run 'memvirt lab --paging shadow\n"
		"-- validate shadow' (or --paging tdp ... nested).\n"
		"\n"
		"options:\n"
		"  --workloads LIST   comma-separated (default touch,seq,churn,pingpong)\n"
		"  --footprint SIZE   data region of each run (default 4M)\n"
		"  --mem SIZE         guest memory (default 256M)\n"
		"  --page-size SIZE   the workloads' data pages: 4k (default), 2m, 1g or mixed\n"
		"  --out DIR          runs go to DIR/WORKLOAD (default memvirt-out/validate)\n"
		"  --preset NAME      the model's machine (default textbook)\n"
		"  --no-baseline      no nop run: raw values only, net claims not judged\n"
		"  --json             one object per (workload, counter) on stdout\n"
		"\n"
		"examples:\n"
		"  memvirt lab --paging shadow -- validate shadow\n"
		"  memvirt lab --paging tdp -- validate nested --workloads seq,churn --json\n"
		"\n"
		"exit status: 0 agreed, 1 an exact counter is off, 2 usage, 3 host (no KVM, or\n"
		"KVM in the other MMU mode), 4 a run failed in the guest\n");
}

static void parse_workloads(struct validate_config *vc, const char *list)
{
	char buf[256], *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		opt_bad("validate", "--workloads", list, "a shorter list");
	vc->nworkloads = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int k = wl_from_name(t);

		if (k < 0)
			die(EXIT_USAGE,
			    "validate: unknown workload '%s' in --workloads: run 'memvirt run "
			    "--help' for the list\n",
			    t);
		if (vc->nworkloads == VALIDATE_MAX_WORKLOADS)
			die(EXIT_USAGE, "validate: --workloads takes at most %d workloads\n",
			    VALIDATE_MAX_WORKLOADS);
		vc->workloads[vc->nworkloads++] = (enum wl_kind)k;
	}
	if (!vc->nworkloads)
		die(EXIT_USAGE, "validate: --workloads is empty\n");
}

static void parse(int argc, char **argv, struct validate_config *vc, bool *json, bool *baseline)
{
	enum { O_WL, O_FOOT, O_MEM, O_PSIZE, O_OUT, O_PRESET, O_NOBASE, O_JSON, O_HELP };
	static const struct option lo[] = {{"workloads", required_argument, 0, O_WL},
					   {"footprint", required_argument, 0, O_FOOT},
					   {"mem", required_argument, 0, O_MEM},
					   {"page-size", required_argument, 0, O_PSIZE},
					   {"out", required_argument, 0, O_OUT},
					   {"preset", required_argument, 0, O_PRESET},
					   {"no-baseline", no_argument, 0, O_NOBASE},
					   {"json", no_argument, 0, O_JSON},
					   {"help", no_argument, 0, O_HELP},
					   {0, 0, 0, 0}};
	int opt;

	memset(vc, 0, sizeof(*vc));
	memcpy(vc->workloads, default_workloads, sizeof(default_workloads));
	vc->nworkloads = sizeof(default_workloads) / sizeof(default_workloads[0]);
	snprintf(vc->out_dir, sizeof(vc->out_dir), "memvirt-out/validate");
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
		switch (opt) {
		case O_WL:
			parse_workloads(vc, optarg);
			break;
		case O_FOOT:
			vc->footprint = opt_size("validate", "--footprint", optarg);
			break;
		case O_MEM:
			vc->mem = opt_size("validate", "--mem", optarg);
			break;
		case O_PSIZE:
			vc->page_size = !strcmp(optarg, "mixed")
						? WL_PAGE_MIXED
						: opt_size("validate", "--page-size", optarg);
			break;
		case O_OUT:
			if (snprintf(vc->out_dir, sizeof(vc->out_dir), "%s",
				     opt_path("validate", "--out", optarg)) >=
			    (int)sizeof(vc->out_dir))
				opt_bad("validate", "--out", optarg, "a shorter path");
			break;
		case O_PRESET:
			vc->preset = optarg;
			break;
		case O_NOBASE:
			*baseline = false;
			break;
		case O_JSON:
			*json = true;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		case ':':
			die(EXIT_USAGE,
			    "option '%s' needs a value: run 'memvirt validate --help'\n",
			    argv[optind - 1]);
		default:
			die(EXIT_USAGE, "unknown option '%s': run 'memvirt validate --help'\n",
			    argv[optind - 1]);
		}
	}
	if (optind >= argc)
		die(EXIT_USAGE, "validate: give the mode, shadow or nested: 'memvirt validate "
				"shadow'\n");
	if (!strcmp(argv[optind], "shadow"))
		vc->mode = VALIDATE_SHADOW;
	else if (!strcmp(argv[optind], "nested"))
		vc->mode = VALIDATE_NESTED;
	else
		die(EXIT_USAGE, "validate: unknown mode '%s': shadow or nested\n", argv[optind]);
	if (optind + 1 < argc)
		die(EXIT_USAGE, "validate: unexpected argument '%s'\n", argv[optind + 1]);
}

static const char *mode_name(enum validate_mode m)
{
	return m == VALIDATE_SHADOW ? "shadow" : "nested";
}

static const char *claim_text(const struct validate_row *w, bool is_base)
{
	switch (w->counter->claim) {
	case VALIDATE_EXACT:
		return w->ok ? "exact: ok" : "exact: OFF";
	case VALIDATE_NET:
		if (is_base)
			return "(the baseline)";
		if (!w->have_net)
			return "net: no baseline";
		return w->ok ? "net: ok" : "net: OFF";
	case VALIDATE_COMPARED:
		break;
	}
	return "-";
}

static void print_text(const struct validate_result *r, bool base, bool is_base)
{
	printf("\n%s", is_base ? "nop (the idle VM, the baseline)" : wl_name(r->workload));
	if (r->run && r->run->started)
		printf(" (%s, %llu guest faults, %llu accesses, %llu event records replayed)",
		       r->error[0] ? "no model" : "replayed",
		       (unsigned long long)r->in.guest_faults, (unsigned long long)r->in.accesses,
		       (unsigned long long)r->in.replayed);
	printf("\n");
	if (r->error[0])
		printf("  %s\n", r->error);
	if (!r->nrows)
		return;
	printf("  %-18s %10s %10s %8s", "counter", "kvm", "model", "rel_err");
	if (base)
		printf(" %10s %10s %8s", "kvm net", "model net", "net_err");
	printf("  %s\n", "claim");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct validate_row *w = &r->rows[i];
		char k[24] = "missing", m[24] = "missing", e[24] = "n/a";
		char kn[24] = "-", mn[24] = "-", en[24] = "-";

		if (w->have_kvm)
			snprintf(k, sizeof(k), "%llu", (unsigned long long)w->kvm);
		if (w->have_model)
			snprintf(m, sizeof(m), "%llu", (unsigned long long)w->model);
		if (w->rel_defined)
			snprintf(e, sizeof(e), "%.1f%%", 100 * w->rel_err);
		if (w->have_net) {
			snprintf(kn, sizeof(kn), "%lld", (long long)w->kvm_net);
			snprintf(mn, sizeof(mn), "%lld", (long long)w->model_net);
			snprintf(en, sizeof(en), w->net_defined ? "%.1f%%" : "n/a",
				 100 * w->net_err);
		}
		printf("  %-18s %10s %10s %8s", w->counter->name, k, m, e);
		if (base)
			printf(" %10s %10s %8s", kn, mn, en);
		printf("  %s\n", claim_text(w, is_base));
	}
}

static void json_rows(struct json *j, const struct validate_result *r)
{
	for (size_t i = 0; i < r->nrows; i++) {
		const struct validate_row *w = &r->rows[i];

		json_obj_begin(j, NULL);
		json_str(j, "workload", wl_name(r->workload));
		json_str(j, "counter", w->counter->name);
		json_str(j, "scope", w->counter->scope);
		if (w->have_kvm)
			json_u64(j, "kvm", w->kvm);
		else
			json_null(j, "kvm");
		if (w->have_model)
			json_u64(j, "model", w->model);
		else
			json_null(j, "model");
		if (w->rel_defined)
			json_double(j, "rel_err", w->rel_err);
		else
			json_null(j, "rel_err");
		if (w->have_net) {
			json_i64(j, "kvm_net", w->kvm_net);
			json_i64(j, "model_net", w->model_net);
		} else {
			json_null(j, "kvm_net");
			json_null(j, "model_net");
		}
		if (w->net_defined)
			json_double(j, "net_err", w->net_err);
		else
			json_null(j, "net_err");
		json_str(j, "claim",
			 w->counter->claim == VALIDATE_EXACT ? "exact"
			 : w->counter->claim == VALIDATE_NET ? "net"
							     : "none");
		json_bool(j, "exact", w->counter->claim == VALIDATE_EXACT);
		json_bool(j, "ok", w->ok);
		json_obj_end(j);
	}
}

static void print_json(const struct validate_config *vc, const struct validate_result *res,
		       unsigned n, const char *host_mmu)
{
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_str(&j, "schema", "memvirt-validate/1");
	json_str(&j, "command", "validate");
	memvirt_provenance_json(&j);
	json_str(&j, "mode", mode_name(vc->mode));
	json_str(&j, "host_mmu", host_mmu);
	json_bool(&j, "in_lab", lab_inside(NULL));
	lab_identity_json(&j, "lab");
	json_double(&j, "tolerance", VALIDATE_TOLERANCE);
	json_arr_begin(&j, "workloads");
	for (unsigned i = 0; i < n; i++) {
		json_obj_begin(&j, NULL);
		json_str(&j, "workload", wl_name(res[i].workload));
		json_bool(&j, "replayable", res[i].replayable);
		json_str(&j, "events", res[i].run ? res[i].run->events_path : "");
		json_bool(&j, "baseline", res[i].workload == WL_NOP);
		json_u64(&j, "guest_faults", res[i].in.guest_faults);
		json_u64(&j, "accesses", res[i].in.accesses);
		json_u64(&j, "replayed_records", res[i].in.replayed);
		if (res[i].error[0])
			json_str(&j, "error", res[i].error);
		else
			json_null(&j, "error");
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "comparisons");
	for (unsigned i = 0; i < n; i++)
		json_rows(&j, &res[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

/* No KVM, or KVM in the other mode: one line saying where it runs. */
static int host_failure(const struct validate_config *vc, enum run_fail f,
			const struct validate_result *r)
{
	const char *lab = vc->mode == VALIDATE_SHADOW ? "shadow" : "tdp";
	char why[160];

	if (f == RUN_FAIL_HOST_NO_KVM || !r->run)
		snprintf(why, sizeof(why), "this host has no usable /dev/kvm");
	else
		snprintf(why, sizeof(why), "this host's KVM (%s) uses %s paging",
			 host_kvm_vendor_name(r->run->host.vendor),
			 host_mmu_mode_name(r->run->host.mmu_mode));
	pr_err("validate %s: %s; it needs KVM with %s: run it inside the lab: memvirt lab "
	       "--paging %s -- validate %s\n",
	       mode_name(vc->mode), why,
	       vc->mode == VALIDATE_SHADOW ? "shadow paging (npt=0/ept=0)" : "NPT/EPT", lab,
	       mode_name(vc->mode));
	return EXIT_HOST;
}

int cmd_validate(int argc, char **argv)
{
	static struct validate_result res[VALIDATE_MAX_WORKLOADS + 1];
	static char kernel[512], program[512];
	struct validate_config vc;
	const char *host_mmu = "unknown";
	bool json = false, mismatch = false, header = false, baseline = true;
	const struct validate_result *base = NULL;
	enum wl_kind order[VALIDATE_MAX_WORKLOADS + 1];
	unsigned n = 0, norder = 0;
	int status = 0;

	parse(argc, argv, &vc, &json, &baseline);
	snprintf(kernel, sizeof(kernel), "%s/kernel.elf", guest_dir());
	snprintf(program, sizeof(program), "%s/workload.elf", guest_dir());
	vc.kernel_path = kernel;
	vc.program_path = program;
	for (unsigned i = 0; i < vc.nworkloads; i++) { /* every run's options, before any runs */
		struct run_config rc;
		char err[256];

		validate_run_config(&vc, vc.workloads[i], &rc);
		if (run_config_validate(&rc, err, sizeof(err)))
			die(EXIT_USAGE, "validate: %s: %s\n", wl_name(vc.workloads[i]), err);
	}
	/* the idle VM first, when asked for and not a workload already */
	if (baseline)
		order[norder++] = WL_NOP;
	for (unsigned i = 0; i < vc.nworkloads; i++)
		if (!baseline || vc.workloads[i] != WL_NOP)
			order[norder++] = vc.workloads[i];
	for (unsigned i = 0; i < norder; i++, n++) {
		struct validate_result *r = &res[i];
		bool is_base = baseline && i == 0;
		enum run_fail f = validate_workload(&vc, order[i], is_base ? NULL : base, r);

		if (f == RUN_FAIL_HOST_NO_KVM || f == RUN_FAIL_HOST_PAGING) {
			status = host_failure(&vc, f, r);
			n++;
			goto out;
		}
		if (r->run && r->run->started)
			host_mmu = host_mmu_mode_name(r->run->host.mmu_mode);
		if (is_base && f == RUN_OK && r->replayed)
			base = r;
		else if (is_base && !json)
			pr_warn("validate: the idle VM's run gave no baseline (%s): net values and "
				"net claims are left out\n",
				r->error[0] ? r->error : "no model");
		if (f != RUN_OK) {
			pr_err("validate: %s: %s\n", wl_name(order[i]), r->error);
			if (!status)
				status = run_exit_status(f);
		}
		for (size_t k = 0; k < r->nrows; k++)
			mismatch |= !r->rows[k].ok;
		if (!json && !header) {
			char lab[256];

			printf("memvirt validate %s: KVM's counters against the model's (exact: "
			       "within %.0f%%)\n",
			       mode_name(vc.mode), 100 * VALIDATE_TOLERANCE);
			if (lab_describe(lab, sizeof(lab)))
				printf("%s\n", lab);
			header = true;
		}
		if (!json)
			print_text(r, base != NULL && !is_base, is_base);
	}
	if (json)
		print_json(&vc, res, n, host_mmu);
	else
		printf("\nhost MMU: %s\n", host_mmu);
	if (!status && mismatch)
		status = EXIT_MISMATCH;
	if (!strcmp(vc.out_dir, "memvirt-out/validate")) /* the default: say where it went */
		opt_out_defaulted("validate", "the runs under ", vc.out_dir);
out:
	for (unsigned i = 0; i < n; i++)
		validate_result_free(&res[i]);
	return status;
}
