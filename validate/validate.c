// SPDX-License-Identifier: GPL-2.0
/* One workload validated: run under KVM as 'memvirt run' runs it, replayed through the model. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate/validate.h"

#define VALIDATE_FOOTPRINT (4ULL << 20)

bool validate_replayable(enum wl_kind kind)
{
	return kind != WL_CRASH && kind < WL__COUNT;
}

/*
 * Small runs: under the lab's TCG every guest instruction is emulated. Passes: one over the
 * footprint (seq, stride, touch); two rounds of churn and pingpong, so unmaps and switches
 * happen more than once.
 */
void validate_run_config(const struct validate_config *vc, enum wl_kind kind, struct run_config *rc)
{
	run_config_defaults(rc, kind);
	rc->vm.wl.footprint = vc->footprint ? vc->footprint : VALIDATE_FOOTPRINT;
	if (kind == WL_SEQ || kind == WL_STRIDE || kind == WL_TOUCH || kind == WL_CHURN ||
	    kind == WL_PINGPONG)
		rc->vm.wl.iters = kind == WL_CHURN || kind == WL_PINGPONG ? 2 : 1;
	if (vc->mem)
		rc->vm.mem_size = vc->mem;
	if (vc->page_size && kind != WL_NOP)
		rc->vm.wl.page_size = vc->page_size;
	rc->vm.kernel_path = vc->kernel_path;
	rc->vm.program_path = vc->program_path;
	/*
	 * The model's host memory is anonymous 4K pages: with THP "always" Linux would back some
	 * 2M ranges of guest RAM with huge pages, or the huge zero page, which it does not model.
	 */
	rc->vm.no_thp = true;
	rc->quiet = true;
	rc->paging = vc->mode == VALIDATE_SHADOW ? RUN_PAGING_SHADOW : RUN_PAGING_TDP;
	snprintf(rc->out_dir, sizeof(rc->out_dir), "%.400s/%s", vc->out_dir, wl_name(kind));
}

/*
 * The run through the simulator's machine in the mode's paging: the workload's generator with
 * the event file's records, guest RAM as the run's (anonymous memory faulted in on first
 * touch with the default backing).
 */
static int validate_replay(const struct validate_config *vc, const struct run_config *rc,
			   struct validate_result *r)
{
	struct sim_machine_config mc;
	char err[512];
	int rc_sim;

	memset(&mc, 0, sizeof(mc));
	rc_sim =
		sim_config__preset(&mc.cfg, vc->preset ? vc->preset : "textbook", err, sizeof(err));
	if (rc_sim) {
		snprintf(r->error, sizeof(r->error), "model: %s", err);
		return rc_sim;
	}
	mc.gps = PAGE_4K;
	mc.hps = PAGE_4K;
	mc.input = SIM_IN_REPLAY;
	mc.in_path = r->run->events_path;
	mc.wl = rc->vm.wl;
	mc.shadow_ram_bytes = rc->vm.mem_size;
	mc.host_anon = rc->vm.backing == VM_BACKING_ANON;
	/*
	 * Not host_thp, even on a host with THP "always": which access touches a 2M host range
	 * first is often the guest kernel's, on its own tables, which the replay does not place
	 * in the run's RAM (docs/validation.md).
	 */
	if (r->run->res.ev.enabled) {
		mc.ev_ring_gpa = r->run->res.ev.ring_gpa;
		mc.ev_ring_bytes = r->run->res.ev.ring_bytes;
	}
	rc_sim = sim_machine_run(&mc, vc->mode == VALIDATE_SHADOW ? PAGING_SHADOW : PAGING_NESTED,
				 &r->model, &r->in, err, sizeof(err));
	if (rc_sim)
		snprintf(r->error, sizeof(r->error), "replaying %s: %s", mc.in_path, err);
	return rc_sim;
}

enum run_fail validate_workload(const struct validate_config *vc, enum wl_kind kind,
				const struct validate_result *base, struct validate_result *r)
{
	struct validate_base b;
	struct run_config rc;
	bool replayed = false;
	char err[256];

	memset(r, 0, sizeof(*r));
	r->workload = kind;
	r->replayable = validate_replayable(kind);
	if (!r->replayable) {
		snprintf(r->error, sizeof(r->error),
			 "%s is not replayable: its run ends in a guest crash on purpose",
			 wl_name(kind));
		return RUN_OK;
	}
	r->run = calloc(1, sizeof(*r->run));
	if (!r->run) {
		snprintf(r->error, sizeof(r->error), "out of memory");
		return RUN_FAIL_HOST_IO;
	}
	validate_run_config(vc, kind, &rc);
	if (run_config_validate(&rc, err, sizeof(err))) {
		snprintf(r->error, sizeof(r->error), "%s: %s", wl_name(kind), err);
		r->run->fail = RUN_FAIL_GUEST_EXIT;
		return RUN_FAIL_GUEST_EXIT;
	}
	if (run_execute(&rc, r->run) != RUN_OK) {
		snprintf(r->error, sizeof(r->error), "%s", r->run->error);
		return r->run->fail;
	}
	if (!r->run->events_path[0])
		snprintf(r->error, sizeof(r->error), "%s: the run wrote no event file",
			 wl_name(kind));
	else
		replayed = !validate_replay(vc, &rc, r);
	r->replayed = replayed;
	if (base && base->replayed)
		b = (struct validate_base){base->run->res.stats, base->run->res.nr_stats,
					   &base->model};
	r->nrows = validate_compare(vc->mode, r->run->res.stats, r->run->res.nr_stats,
				    replayed ? &r->model : NULL, base && base->replayed ? &b : NULL,
				    r->rows, VALIDATE_MAX_ROWS);
	return RUN_OK;
}

void validate_result_free(struct validate_result *r)
{
	free(r->run);
	r->run = NULL;
}
