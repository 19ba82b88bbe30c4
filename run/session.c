// SPDX-License-Identifier: GPL-2.0
/* Running one workload: check the host, boot the guest, verify it, record it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "lab/lab.h"
#include "run/internal.h"
#include "trace/evfile.h"

static void iso_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void verify(const struct run_config *c, struct run_outcome *o)
{
	struct wl_result want;

	if (!c->verify || o->res.end != VM_END_EXIT || !o->res.have_result)
		return;
	if (wl_expected(&c->vm.wl, &want)) {
		pr_warn("not enough host memory to replay the workload: checksum not verified\n");
		return;
	}
	o->verify_done = true;
	o->expected_checksum = want.checksum;
	o->verified =
		want.checksum == o->res.result.checksum && want.accesses == o->res.result.accesses;
}

/* How the guest's end fails the run; RUN_OK for a clean exit. */
static enum run_fail end_fail(enum vm_end end)
{
	switch (end) {
	case VM_END_EXIT:
		return RUN_OK;
	case VM_END_TIMEOUT:
		return RUN_FAIL_GUEST_TIMEOUT;
	case VM_END_SIGNAL:
		return RUN_FAIL_SIGNAL;
	case VM_END_NONE:
	case VM_END_PANIC:
	case VM_END_SHUTDOWN:
	case VM_END_HLT:
	case VM_END_ERROR:
		break;
	}
	return RUN_FAIL_GUEST_CRASH;
}

static void judge(struct run_outcome *o)
{
	const struct vm_result *r = &o->res;

	o->fail = RUN_OK;
	if (r->end != VM_END_EXIT) {
		snprintf(o->error, sizeof(o->error), "%s", r->reason);
		o->fail = end_fail(r->end);
	} else if (r->exit_status != 0) {
		snprintf(o->error, sizeof(o->error),
			 "the workload failed with status %" PRIu64 " (see console.log)",
			 r->exit_status);
		o->fail = RUN_FAIL_GUEST_EXIT;
	} else if (!r->have_result) {
		snprintf(o->error, sizeof(o->error),
			 "the workload exited without reporting a result");
		o->fail = RUN_FAIL_GUEST_EXIT;
	} else if (o->verify_done && !o->verified) {
		snprintf(o->error, sizeof(o->error),
			 "checksum mismatch: guest 0x%" PRIx64 ", host replay 0x%" PRIx64
			 ": the guest computed a wrong result",
			 r->result.checksum, o->expected_checksum);
		o->fail = RUN_FAIL_GUEST_CHECKSUM;
	}
}

/* What vm__create's failure means for the run. */
static enum run_fail create_fail(enum vm_fail f)
{
	switch (f) {
	case VM_FAIL_NO_KVM:
		return RUN_FAIL_HOST_NO_KVM;
	case VM_FAIL_KVM_FEATURE:
	case VM_FAIL_KVM:
		return RUN_FAIL_HOST_KVM;
	case VM_FAIL_BACKING:
		return RUN_FAIL_HOST_BACKING;
	case VM_FAIL_IMAGE:
		return RUN_FAIL_GUEST_IMAGE;
	case VM_FAIL_NONE:
	case VM_FAIL_SETUP:
		break;
	}
	return RUN_FAIL_VM_SETUP;
}

/*
 * The chains asked for, read once the guest has stopped: the listed GVAs,
 * then N page-aligned addresses spread over the data region (mapped at
 * MV_MMAP_BASE by every workload that has one).
 */
static void translate_all(const struct run_config *c, struct vm *vm, struct run_outcome *o)
{
	uint64_t n = c->translate_sample, fp = c->vm.wl.footprint;

	for (unsigned i = 0; i < c->nr_translate; i++)
		vm__translate(vm, c->translate[i], &o->chains[o->nr_chains++]);
	for (uint64_t i = 0; i < n && fp; i++) {
		gva_t gva = MV_MMAP_BASE + ((fp / n) * i & ~(SZ_4K - 1));

		vm__translate(vm, gva, &o->chains[o->nr_chains++]);
	}
}

/* The VM as this run builds it: the caller's, with the run's console and KVM device. */
static void session_init(struct run_session *s, const struct run_config *c, struct run_outcome *o)
{
	memset(s, 0, sizeof(*s));
	s->cfg = c;
	s->o = o;
	iso_now(s->started_at, sizeof(s->started_at));
	s->vm = c->vm;
	/* Tests point this at a missing device to see the no-KVM path. */
	if (!s->vm.kvm_path)
		s->vm.kvm_path = getenv("MEMVIRT_KVM_DEVICE");
	snprintf(s->console_path, sizeof(s->console_path), "%s/console.log", c->out_dir);
	s->vm.console_path = s->console_path;
	s->vm.events = NULL;
	snprintf(s->record_path, sizeof(s->record_path), "%s/run.json", c->out_dir);
	s->rec = (struct run_record){.status = "running",
				     .started_at = s->started_at,
				     .host = &o->host,
				     .cfg = &s->vm,
				     .paging = run_paging_name(c->paging)};
}

/*
 * The run's event file OUT/events.mvev, one writer shared by every source
 * (the guest event channel, the tracer). 0 with s->vm.events set (NULL when
 * no source is on), or -1 with o->error saying why.
 */
static int events_open(struct run_session *s)
{
	struct run_outcome *o = s->o;
	char path[sizeof(o->events_path)], lab[256];
	int ret;

	if (!s->vm.ev_ring_bytes && !s->cfg->trace)
		return 0;
	snprintf(path, sizeof(path), "%s/events.mvev", s->cfg->out_dir);
	ret = ev_writer_open(&s->vm.events, path, 0, (uint32_t)getpid(), false);
	if (ret) {
		s->vm.events = NULL;
		snprintf(o->error, sizeof(o->error), "cannot create %s: %s", path, strerror(-ret));
		return -1;
	}
	snprintf(o->events_path, sizeof(o->events_path), "%s", path);
	if (lab_describe(lab, sizeof(lab)))
		ev_write_note(s->vm.events, "lab: %s", lab);
	return 0;
}

/*
 * Before the VM: the output directory, a provisional run.json, the event
 * file and the tracer. RUN_OK, or the kind with o->error set.
 */
static enum run_fail prepare(struct run_session *s)
{
	struct run_outcome *o = s->o;
	int ret = mkdir_p(s->cfg->out_dir);

	if (ret) {
		snprintf(o->error, sizeof(o->error), "cannot create output directory %s: %s",
			 s->cfg->out_dir, strerror(-ret));
		return RUN_FAIL_HOST_IO;
	}
	/* Provisional: replaced by the final record, so no fsync. */
	run_record_write(s->record_path, &s->rec, false);
	if (events_open(s))
		return RUN_FAIL_HOST_IO;
	if (run_trace_start(s)) {
		ev_writer_abort(s->vm.events);
		s->vm.events = NULL;
		return RUN_FAIL_HOST_TRACE;
	}
	return RUN_OK;
}

/* Build the VM, run it to its end, read what the run asked for, verify and judge. */
static void run_vm(struct run_session *s)
{
	const struct run_config *c = s->cfg;
	struct run_outcome *o = s->o;
	enum vm_fail fail;
	char err[512] = "";
	struct vm *vm;

	vm_install_signal_handlers();
	vm = vm__create(&s->vm, &fail, err, sizeof(err));
	if (!vm) {
		snprintf(o->error, sizeof(o->error), "%s", err);
		o->fail = create_fail(fail);
		return;
	}
	o->started = true;
	if (vm__run(vm, &o->res))
		pr_warn("could not read the KVM statistics of the run\n");
	translate_all(c, vm, o);
	/* The guest tables at the end, for 'memvirt sim --run' (docs/ptsnap.md). */
	if (vm__ptsnap_write(vm, c->out_dir, err, sizeof(err)))
		pr_warn("%s\n", err);
	if (c->inspect)
		c->inspect(vm, c->inspect_ctx);
	vm__destroy(vm);
	/* Before the host replay, whose page faults are not the VM's. */
	run_trace_stop(s);
	verify(c, o);
	judge(o);
	s->rec.res = &o->res;
}

/* After the VM: close the event file, write the final run.json. */
static void finish(struct run_session *s, uint64_t t0)
{
	struct run_record *rec = &s->rec;
	struct run_outcome *o = s->o;
	int ret;

	run_trace_stop(s); /* the VM never started */
	if (s->vm.events) {
		ret = ev_writer_close(s->vm.events, true);
		s->vm.events = NULL;
		if (ret && !o->fail) {
			snprintf(o->error, sizeof(o->error), "cannot write %s: %s", o->events_path,
				 strerror(-ret));
			o->fail = RUN_FAIL_HOST_IO;
		}
		rec->events_path = ret ? NULL : o->events_path;
	}
	o->wall_ns = now_ns() - t0;
	rec->status = o->fail ? "failed" : "ok";
	rec->error = o->fail ? o->error : NULL;
	rec->verify_done = o->verify_done;
	rec->verified = o->verified;
	rec->expected_checksum = o->expected_checksum;
	rec->wall_ns = o->wall_ns;
	rec->chains = o->chains;
	rec->nr_chains = o->nr_chains;
	ret = run_record_write(s->record_path, rec, true);
	o->recorded = ret == 0;
	if (ret) {
		snprintf(o->error, sizeof(o->error), "cannot write %s: %s", s->record_path,
			 strerror(-ret));
		o->fail = RUN_FAIL_HOST_IO;
	}
	if (s->cfg->json)
		run_record_fprint(stdout, rec);
}

enum run_fail run_execute(const struct run_config *c, struct run_outcome *o)
{
	struct run_session s;
	const char *root = getenv("MEMVIRT_HOST_ROOT");
	uint64_t t0 = now_ns();

	memset(o, 0, sizeof(*o));
	session_init(&s, c, o);
	host_info_probe(&o->host, root ? root : "/");
	o->fail = run_paging_check(c, o);
	if (o->fail)
		return o->fail;
	s.rec.paging_reloaded = o->reload.reloaded;
	s.rec.paging_from = host_mmu_mode_name(o->reload.from);
	s.rec.paging_to = host_mmu_mode_name(o->reload.to);
	o->fail = prepare(&s);
	if (o->fail)
		return o->fail;
	run_vm(&s);
	finish(&s, t0);
	return o->fail;
}
