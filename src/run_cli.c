// SPDX-License-Identifier: GPL-2.0
/* The command line of run, explain and demo: shared options, exit status, the summary. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "lab/lab.h"
#include "src/cmds.h"
#include "src/run_cli.h"
#include "vmm/elf.h"

/*
 * An image given on the command line is an input file: one that cannot be
 * read or is no valid ELF is a usage error, found before anything starts or
 * is written. (The built images are checked by the run, a guest failure.)
 */
static const char *opt_image(const char *cmd, const char *opt, const char *val)
{
	struct elf_image img;
	char err[600];

	if (elf_load_file(opt_path(cmd, opt, val), &img, err, sizeof(err)))
		die(EXIT_USAGE, "%s %s\n", opt, err);
	elf_image_free(&img);
	return val;
}

void run_apply_common(const char *cmd, struct run_config *c, const char *const *v)
{
	if (v[RO_FOOT])
		c->vm.wl.footprint = opt_size(cmd, "--footprint", v[RO_FOOT]);
	if (v[RO_ITERS])
		c->vm.wl.iters = opt_u64(cmd, "--iters", v[RO_ITERS]);
	if (v[RO_PSIZE])
		c->vm.wl.page_size = !strcmp(v[RO_PSIZE], "mixed")
					     ? WL_PAGE_MIXED
					     : opt_size(cmd, "--page-size", v[RO_PSIZE]);
	if (v[RO_MEM])
		c->vm.mem_size = opt_size(cmd, "--mem", v[RO_MEM]);
	if (v[RO_SEED])
		c->vm.wl.seed = opt_u64(cmd, "--seed", v[RO_SEED]);
	if (v[RO_STRIDE])
		c->vm.wl.stride = opt_size(cmd, "--stride", v[RO_STRIDE]);
	if (v[RO_NPROC])
		c->vm.wl.nproc =
			(uint32_t)opt_u64_range(cmd, "--nproc", v[RO_NPROC], 1, MV_MAX_PROCS - 1);
	if (v[RO_OUT] && snprintf(c->out_dir, sizeof(c->out_dir), "%s",
				  opt_path(cmd, "--out", v[RO_OUT])) >= (int)sizeof(c->out_dir))
		opt_bad(cmd, "--out", v[RO_OUT], "path too long");
	c->vm.kernel_path = v[RO_KERNEL] ? opt_image(cmd, "--kernel", v[RO_KERNEL]) : NULL;
	c->vm.program_path = v[RO_PROGRAM] ? opt_image(cmd, "--program", v[RO_PROGRAM]) : NULL;
	c->reload_kvm = v[RO_RELOAD] != NULL;
	if (v[RO_BACKING]) {
		int b = vm_backing_parse(v[RO_BACKING]);

		if (b < 0)
			opt_bad(cmd, "--backing", v[RO_BACKING],
				"expected anon, thp, hugetlb-2m, hugetlb-1g or memfd");
		c->vm.backing = (enum vm_backing)b;
	}
	if (v[RO_PAGING]) {
		int p = run_paging_parse(v[RO_PAGING]);

		if (p < 0)
			opt_bad(cmd, "--paging", v[RO_PAGING], "expected auto, shadow or tdp");
		c->paging = (enum run_paging)p;
	}
}

/*
 * The one place a run's failure becomes the process's exit status: what the
 * host lacks or refuses is EXIT_HOST, anything in or with the guest (its
 * images and the VM's set-up included) EXIT_GUEST, a signal 130 (128 + SIGINT).
 * An image given with --kernel or --program was checked as an option before
 * (opt_image): a bad one is EXIT_USAGE.
 */
int run_exit_status(enum run_fail fail)
{
	switch (fail) {
	case RUN_OK:
		return 0;
	case RUN_FAIL_HOST_NO_KVM:
	case RUN_FAIL_HOST_KVM:
	case RUN_FAIL_HOST_PAGING:
	case RUN_FAIL_HOST_RELOAD:
	case RUN_FAIL_HOST_BACKING:
	case RUN_FAIL_HOST_TRACE:
	case RUN_FAIL_HOST_IO:
		return EXIT_HOST;
	case RUN_FAIL_SIGNAL:
		return EXIT_SIGNAL;
	case RUN_FAIL_GUEST_IMAGE:
	case RUN_FAIL_VM_SETUP:
	case RUN_FAIL_GUEST_CRASH:
	case RUN_FAIL_GUEST_TIMEOUT:
	case RUN_FAIL_GUEST_EXIT:
	case RUN_FAIL_GUEST_CHECKSUM:
		break;
	}
	return EXIT_GUEST;
}

void run_print_summary(const struct run_config *c, const struct run_outcome *o, bool name_out)
{
	const struct vm_result *r = &o->res;
	const struct mv_result *m = &r->result;
	struct lab_identity lab;
	char fp[32];

	printf("memvirt run: %s, footprint %s, %" PRIu64 " iters, %s pages%s, seed %" PRIu64 "\n",
	       wl_name(c->vm.wl.kind), format_size(c->vm.wl.footprint, fp, sizeof(fp)),
	       c->vm.wl.iters, wl_page_size_name(c->vm.wl.page_size),
	       c->vm.wl.populate ? " (populated)" : "", c->vm.wl.seed);
	if (!o->started)
		return;
	printf("  %-14s %s\n", "end", o->fail ? o->error : "exit 0");
	if (r->have_result) {
		printf("  %-14s 0x%016" PRIx64 " %s\n", "checksum", m->checksum,
		       !o->verify_done ? "(not verified)"
		       : o->verified   ? "(verified by host replay)"
				       : "(MISMATCH with host replay)");
		printf("  %-14s %" PRIu64 " accesses, %" PRIu64
		       " rdtsc cycles (measured), %.2f cycles/access\n",
		       "guest loop", m->accesses, m->cycles,
		       m->accesses ? (double)m->cycles / (double)m->accesses : 0.0);
		printf("  %-14s %" PRIu64 " demand faults handled by the guest kernel\n",
		       "guest faults", m->faults);
		if (r->have_kstats && r->kstats.populated)
			printf("  %-14s %" PRIu64 " pages mapped at mmap time by the VMM\n",
			       "populated", r->kstats.populated);
	}
	printf("  %-14s %.3f s total, %.3f ms to first guest instruction, %.3f s in the guest\n",
	       "wall time", (double)o->wall_ns / 1e9, (double)r->t_setup_ns / 1e6,
	       (double)r->t_run_ns / 1e9);
	if (lab_inside(&lab))
		printf("  %-14s Linux %s under QEMU %s (%s), %s paging%s\n", "lab", lab.kernel,
		       lab.qemu, lab.accel, lab.paging,
		       lab.times_emulated
			       ? ": times and cycles are an emulated CPU's, counts are KVM's"
			       : "");
	printf("  %-14s exits %" PRIu64 ", pf_taken %" PRIu64 ", pf_fixed %" PRIu64
	       ", pf_guest %" PRIu64 "\n",
	       "kvm", vm_result_stat(r, "exits"), vm_result_stat(r, "pf_taken"),
	       vm_result_stat(r, "pf_fixed"), vm_result_stat(r, "pf_guest"));
	if (o->traced)
		printf("  %-14s %" PRIu64 " eBPF records, %" PRIu64 " lost, in %s\n", "trace",
		       o->trace_records, o->trace_dropped, o->events_path);
	if (r->ev.enabled)
		printf("  %-14s %" PRIu64 " guest records, %" PRIu64 " chains, %" PRIu64
		       " lost (ring full), %" PRIu64 " malformed: %s\n",
		       "events", r->ev.accepted, r->ev.chains, r->ev.guest_full, r->ev.malformed,
		       o->events_path[0] ? o->events_path : "no event file");
	if (c->vm.ev_chains) {
		const char *t = vm_translation_text(&o->host), *nl = strchr(t, '\n');

		/* Which table the chains' GVAs are translated through by the CPU. */
		if (nl)
			printf("  %.*s\n  %s\n", (int)(nl - t), t, nl + 1);
		else
			printf("  %s\n", t);
	}
	if (name_out)
		printf("  %-14s %s/run.json\n", "record", c->out_dir);
}

/* ------------------------------------------------------------------------------------------ */
/* --repeat N. */

static const struct {
	const char *name, *unit;
} figures[RF__COUNT] = {
	[RF_ACCESSES] = {"accesses", "accesses"},
	[RF_CYCLES] = {"cycles", "guest TSC cycles"},
	[RF_CPA] = {"cycles_per_access", "cycles"},
	[RF_FAULTS] = {"guest_faults", "faults"},
	[RF_WALL] = {"wall_s", "s"},
	[RF_GUEST] = {"guest_s", "s"},
	[RF_EXITS] = {"exits", "exits"},
	[RF_PF_TAKEN] = {"pf_taken", "faults"},
	[RF_PF_FIXED] = {"pf_fixed", "faults"},
	[RF_PF_GUEST] = {"pf_guest", "faults"},
};

unsigned run_repeat_arg(const char *cmd, const char *val)
{
	return (unsigned)opt_u64_range(cmd, "--repeat", val, 1, RUN_REPEAT_MAX);
}

void run_repeat__add(struct run_repeat *r, const struct run_outcome *o)
{
	const struct vm_result *v = &o->res;
	const struct mv_result *m = &v->result;
	double x[RF__COUNT] = {
		[RF_ACCESSES] = (double)m->accesses,
		[RF_CYCLES] = (double)m->cycles,
		[RF_CPA] = m->accesses ? (double)m->cycles / (double)m->accesses : 0.0,
		[RF_FAULTS] = (double)m->faults,
		[RF_WALL] = (double)o->wall_ns / 1e9,
		[RF_GUEST] = (double)v->t_run_ns / 1e9,
		[RF_EXITS] = (double)vm_result_stat(v, "exits"),
		[RF_PF_TAKEN] = (double)vm_result_stat(v, "pf_taken"),
		[RF_PF_FIXED] = (double)vm_result_stat(v, "pf_fixed"),
		[RF_PF_GUEST] = (double)vm_result_stat(v, "pf_guest"),
	};

	for (int i = 0; i < RF__COUNT; i++)
		stat_acc__add(&r->f[i], x[i]);
}

void run_repeat_print(const struct run_repeat *r, FILE *f)
{
	fprintf(f, "  %-18s %-16s %4s %14s %12s %14s %14s\n", "figure", "unit", "n", "mean", "sd",
		"min", "max");
	for (int i = 0; i < RF__COUNT; i++) {
		const struct stat_acc *s = &r->f[i];
		double sd = stat_acc__sd(s);
		char sdbuf[32];

		snprintf(sdbuf, sizeof(sdbuf), "%.4g", sd);
		fprintf(f, "  %-18s %-16s %4" PRIu64 " %14.6g %12s %14.6g %14.6g\n",
			figures[i].name, figures[i].unit, s->n, s->mean, sd == sd ? sdbuf : "-",
			s->min, s->max);
	}
}

void run_repeat_json(const struct run_repeat *r, struct json *j, const char *key)
{
	json_obj_begin(j, key);
	for (int i = 0; i < RF__COUNT; i++) {
		const struct stat_acc *s = &r->f[i];

		json_obj_begin(j, figures[i].name);
		json_str(j, "unit", figures[i].unit);
		json_u64(j, "n", s->n);
		json_double(j, "mean", s->mean);
		json_double(j, "sd", stat_acc__sd(s)); /* NaN below two runs: null */
		json_double(j, "min", s->min);
		json_double(j, "max", s->max);
		json_obj_end(j);
	}
	json_obj_end(j);
}
