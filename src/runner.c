// SPDX-License-Identifier: GPL-2.0
/* Running one workload: check the configuration, boot it, verify it, record it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "lab/lab.h"
#include "common/util.h"
#include "src/cmds.h"
#include "src/runner.h"
#include "trace/evfile.h"
#ifdef MEMVIRT_HAVE_BPF
#include "common/json.h"
#include "trace/capture.h"
#endif
#include "vmm/evring.h"
#include "host/host.h"
#include "vmm/ptsnap.h"

#define MEM_MIN (32ULL << 20)
#define MEM_MAX (64ULL << 30)

void run_config_defaults(struct run_config *c, enum wl_kind kind)
{
	memset(c, 0, sizeof(*c));
	wl_defaults(&c->wl, kind);
	c->mem_size = 256ULL << 20;
	c->verify = true;
	c->ring_size = 1ULL << 20;
	snprintf(c->out_dir, sizeof(c->out_dir), "memvirt-out/%s", wl_name(kind));
}

static int check_sizes(const struct wl_params *p, char *err, size_t errlen)
{
	char a[32], b[32];
	bool needs_data = p->kind != WL_NOP && p->kind != WL_CRASH;
	bool mixed = p->page_size == WL_PAGE_MIXED;
	uint64_t unit = mixed ? SZ_4K : p->page_size; /* a mixed region ends in 4K pages */

	if (!mixed && p->page_size != SZ_4K && p->page_size != SZ_2M && p->page_size != SZ_1G) {
		snprintf(err, errlen, "--page-size must be 4k, 2m or 1g, or mixed");
		return -EINVAL;
	}
	if (!needs_data)
		return 0;
	if (p->footprint == 0 || p->footprint % unit) {
		snprintf(err, errlen,
			 "--footprint %s is not a positive multiple of the page size %s",
			 format_size(p->footprint, a, sizeof(a)), format_size(unit, b, sizeof(b)));
		return -EINVAL;
	}
	if (mixed && (p->kind == WL_CHURN || !wl_mixed_2m_bytes(p->footprint))) {
		snprintf(err, errlen,
			 p->kind == WL_CHURN
				 ? "--page-size mixed applies to one data region: not to churn"
				 : "--page-size mixed needs a footprint of 4M or more (its first "
				   "half, rounded down to 2M, takes 2M pages)");
		return -EINVAL;
	}
	if (p->kind == WL_CHASE && p->footprint < 2 * SZ_4K) {
		snprintf(err, errlen, "chase needs a footprint of at least 8K (two pages)");
		return -EINVAL;
	}
	if (p->kind == WL_STRIDE && (p->stride < 8 || p->stride % 8 || p->stride > p->footprint)) {
		snprintf(err, errlen,
			 "--stride must be a multiple of 8 between 8 and the footprint");
		return -EINVAL;
	}
	if (p->iters == 0) {
		snprintf(err, errlen, "--iters must be at least 1");
		return -EINVAL;
	}
	if (p->kind == WL_PINGPONG && (p->nproc < 1 || p->nproc >= MV_MAX_PROCS)) {
		snprintf(err, errlen, "--nproc must be between 1 and %d", MV_MAX_PROCS - 1);
		return -EINVAL;
	}
	return 0;
}

int run_config_validate(const struct run_config *c, char *err, size_t errlen)
{
	uint64_t need;
	char a[32], b[32], n[32];
	int ret = check_sizes(&c->wl, err, errlen);

	if (ret)
		return ret;
	if (c->mem_size < MEM_MIN || c->mem_size > MEM_MAX || c->mem_size % SZ_2M) {
		snprintf(err, errlen, "--mem %s must be a multiple of 2M between 32M and 64G",
			 format_size(c->mem_size, a, sizeof(a)));
		return -EINVAL;
	}
	if (c->ring_size && (c->ring_size < EVRING_MIN_BYTES || c->ring_size > EVRING_MAX_BYTES ||
			     (c->ring_size & (c->ring_size - 1)))) {
		snprintf(err, errlen, "--ring-size %s must be a power of two between 4K and 256M",
			 format_size(c->ring_size, a, sizeof(a)));
		return -EINVAL;
	}
	if (c->chains && !c->ring_size) {
		snprintf(err, errlen, "--chains needs the event channel: drop --no-events");
		return -EINVAL;
	}
	need = vm_mem_needed(&c->wl) + (c->ring_size ? c->ring_size + MV_EVRING_HDR : 0);
	need = (need + SZ_2M - 1) & ~(SZ_2M - 1);
	if (need > c->mem_size) {
		snprintf(
			err, errlen,
			"guest memory %s is too small for footprint %s with %s pages: use --mem %s "
			"or more",
			format_size(c->mem_size, a, sizeof(a)),
			format_size(c->wl.footprint, b, sizeof(b)),
			wl_page_size_name(c->wl.page_size), format_size(need, n, sizeof(n)));
		return -EINVAL;
	}
	if (c->timeout_s < 0) {
		snprintf(err, errlen, "--timeout must be 0 (none) or a positive number of seconds");
		return -EINVAL;
	}
	return 0;
}

const char *run_paging_name(enum run_paging p)
{
	return p == RUN_PAGING_SHADOW ? "shadow" : p == RUN_PAGING_TDP ? "tdp" : "auto";
}

int run_paging_parse(const char *s)
{
	for (int p = RUN_PAGING_AUTO; p <= RUN_PAGING_TDP; p++) {
		if (!strcmp(s, run_paging_name(p)))
			return p;
	}
	return -1;
}

/*
 * The paging mode asked for against the one the host KVM uses: the mode is
 * a module parameter, so a mismatch names it and the commands that switch it.
 */
static int check_paging(enum run_paging want, const struct host_info *h, char *err, size_t len)
{
	bool tdp = h->mmu_mode == HOST_MMU_EPT || h->mmu_mode == HOST_MMU_NPT;
	char hint[128];

	if (want == RUN_PAGING_AUTO || (want == RUN_PAGING_TDP) == tdp)
		return 0;
	if (h->mmu_mode == HOST_MMU_UNKNOWN) {
		snprintf(err, len,
			 "--paging %s: this host's KVM MMU mode is unknown (no kvm_intel, "
			 "kvm_amd or kvm_pvm module): use --paging auto",
			 run_paging_name(want));
		return -ENOTSUP;
	}
	if (!host_mmu_switch_hint(h, hint, sizeof(hint))) {
		snprintf(err, len,
			 "--paging %s: this host's KVM (%s) uses %s paging only and cannot "
			 "switch: use --paging %s or auto, or 'memvirt sim --paging nested'",
			 run_paging_name(want), host_kvm_vendor_name(h->vendor),
			 host_mmu_mode_name(h->mmu_mode), tdp ? "tdp" : "shadow");
		return -ENOTSUP;
	}
	snprintf(err, len,
		 "--paging %s: this host's KVM uses %s (%s=%s); switch with '%s' "
		 "(no VM may be running)",
		 run_paging_name(want), host_mmu_mode_name(h->mmu_mode), h->mmu_param,
		 h->mmu_param_value, hint);
	return -ENOTSUP;
}

/*
 * --reload-kvm: when the host's mode differs from the one asked for, reload
 * the vendor module with the parameter that switches it (vmm/kvmreload.c).
 * The host keeps the new mode after the run.
 */
static int switch_paging(const struct run_config *c, struct host_info *h, struct run_outcome *o)
{
	struct kvm_reload_tools tools;

	if (!check_paging(c->paging, h, o->error, sizeof(o->error)))
		return 0;
	if (!c->reload_kvm)
		return -ENOTSUP;
	kvm_reload_tools_default(&tools);
	if (kvm_reload_mmu(h, &tools, c->paging == RUN_PAGING_TDP, &o->reload, o->error,
			   sizeof(o->error)))
		return -EIO;
	if (o->reload.reloaded)
		pr_warn("reloaded %s with %s: the host KVM now uses %s paging (it was %s), and "
			"keeps it after this run\n",
			o->reload.module, o->reload.param, host_mmu_mode_name(o->reload.to),
			host_mmu_mode_name(o->reload.from));
	return check_paging(c->paging, h, o->error, sizeof(o->error));
}

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
	if (wl_expected(&c->wl, &want)) {
		pr_warn("not enough host memory to replay the workload: checksum not verified\n");
		return;
	}
	o->verify_done = true;
	o->expected_checksum = want.checksum;
	o->verified =
		want.checksum == o->res.result.checksum && want.accesses == o->res.result.accesses;
}

static void judge(const struct run_config *c, struct run_outcome *o)
{
	const struct vm_result *r = &o->res;

	o->status = 0;
	if (r->end != VM_END_EXIT) {
		snprintf(o->error, sizeof(o->error), "%s", r->reason);
		o->status = r->end == VM_END_SIGNAL ? 130 : EXIT_GUEST;
	} else if (r->exit_status != 0) {
		snprintf(o->error, sizeof(o->error),
			 "the workload failed with status %" PRIu64 " (see console.log)",
			 r->exit_status);
		o->status = EXIT_GUEST;
	} else if (!r->have_result) {
		snprintf(o->error, sizeof(o->error),
			 "the workload exited without reporting a result");
		o->status = EXIT_GUEST;
	} else if (o->verify_done && !o->verified) {
		snprintf(o->error, sizeof(o->error),
			 "checksum mismatch: guest 0x%" PRIx64 ", host replay 0x%" PRIx64
			 ": the guest computed a wrong result",
			 r->result.checksum, o->expected_checksum);
		o->status = EXIT_GUEST;
	}
}

/*
 * The chains asked for, read once the guest has stopped: the listed GVAs,
 * then N page-aligned addresses spread over the data region (mapped at
 * MV_MMAP_BASE by every workload that has one).
 */
static void translate_all(const struct run_config *c, struct vm *vm, struct run_outcome *o)
{
	uint64_t n = c->translate_sample, fp = c->wl.footprint;

	for (unsigned i = 0; i < c->nr_translate; i++)
		vm__translate(vm, c->translate[i], &o->chains[o->nr_chains++]);
	for (uint64_t i = 0; i < n && fp; i++) {
		gva_t gva = MV_MMAP_BASE + ((fp / n) * i & ~(SZ_4K - 1));

		vm__translate(vm, gva, &o->chains[o->nr_chains++]);
	}
}

static void make_config(const struct run_config *c, struct vm_config *vc, char *console, size_t len)
{
	memset(vc, 0, sizeof(*vc));
	vc->mem_size = c->mem_size;
	vc->backing = c->backing;
	vc->wl = c->wl;
	vc->timeout_s = c->timeout_s;
	vc->kernel_path = c->kernel_path;
	/* Tests point this at a missing device to see the no-KVM path. */
	vc->kvm_path = getenv("MEMVIRT_KVM_DEVICE");
	vc->program_path = c->program_path;
	snprintf(console, len, "%s/console.log", c->out_dir);
	vc->console_path = console;
	vc->console_stdout = c->console && !c->json;
	vc->ev_ring_bytes = c->ring_size;
	vc->ev_chains = c->chains;
}

struct ev_writer *run_events_open(const struct run_config *c, struct run_outcome *o)
{
	struct ev_writer *w = NULL;
	char path[sizeof(o->events_path)], lab[256];
	int ret;

	if (!c->ring_size && !c->trace)
		return NULL;
	snprintf(path, sizeof(path), "%s/events.mvev", c->out_dir);
	ret = ev_writer_open(&w, path, 0, (uint32_t)getpid(), false);
	if (ret) {
		snprintf(o->error, sizeof(o->error), "cannot create %s: %s", path, strerror(-ret));
		return NULL;
	}
	snprintf(o->events_path, sizeof(o->events_path), "%s", path);
	if (lab_describe(lab, sizeof(lab)))
		ev_write_note(w, "lab: %s", lab);
	return w;
}

#ifdef MEMVIRT_HAVE_BPF
/* --trace: the eBPF capture of this process, into the run's event file. */
static struct capture *run_capture;
static struct capture_stats run_capture_stats;

static void trace_json(struct json *j, const void *arg)
{
	capture_stats_json(arg, j, "trace");
}

static int run_trace_start(const struct run_config *c, struct ev_writer *w, struct run_outcome *o)
{
	struct capture_config cc = {
		.pids = {getpid()}, .npids = 1, .w = w, .all_events = c->trace_all};
	char err[512];

	if (!c->trace)
		return 0;
	if (capture_check_host(err, sizeof(err)) ||
	    !(run_capture = capture__start(&cc, err, sizeof(err)))) {
		snprintf(o->error, sizeof(o->error), "--trace: %s", err);
		return -1;
	}
	return 0;
}

static void run_trace_stop(struct run_outcome *o, struct run_record *rec)
{
	if (!run_capture)
		return;
	if (capture__stop(run_capture, &run_capture_stats))
		pr_warn("--trace: the capture ended with an error; events.mvev may be short\n");
	run_capture = NULL;
	o->traced = true;
	o->trace_records = run_capture_stats.total;
	o->trace_dropped = run_capture_stats.dropped_kvm + run_capture_stats.dropped_host;
	if (o->trace_dropped)
		pr_warn("--trace: %" PRIu64 " records lost in the kernel (ring buffer full)\n",
			o->trace_dropped);
	rec->extra_json = trace_json;
	rec->extra_arg = &run_capture_stats;
}
#else
static int run_trace_start(const struct run_config *c, struct ev_writer *w, struct run_outcome *o)
{
	if (!c->trace)
		return 0;
	snprintf(o->error, sizeof(o->error),
		 "--trace: this memvirt was built without the eBPF tracer (clang, bpftool or "
		 "libbpf-dev missing): run scripts/install-deps.sh and rebuild");
	return -1;
}

static void run_trace_stop(struct run_outcome *o, struct run_record *rec)
{
}
#endif

int run_execute(const struct run_config *c, struct run_outcome *o)
{
	static struct host_info host;
	char path[600], console[600], started[32], err[512] = "";
	struct run_record rec = {.status = "running", .started_at = started, .host = &host};
	struct vm_config vc;
	enum vm_fail fail;
	uint64_t t0 = now_ns();
	struct vm *vm;
	int ret;

	memset(o, 0, sizeof(*o));
	iso_now(started, sizeof(started));
	make_config(c, &vc, console, sizeof(console));
	rec.cfg = &vc;
	rec.paging = run_paging_name(c->paging);
	host_info_probe(&host, getenv("MEMVIRT_HOST_ROOT") ? getenv("MEMVIRT_HOST_ROOT") : "/");
	o->host = &host;
	if (switch_paging(c, &host, o))
		return o->status = EXIT_HOST;
	rec.paging_reloaded = o->reload.reloaded;
	rec.paging_from = host_mmu_mode_name(o->reload.from);
	rec.paging_to = host_mmu_mode_name(o->reload.to);
	ret = mkdir_p(c->out_dir);
	if (ret) {
		snprintf(o->error, sizeof(o->error), "cannot create output directory %s: %s",
			 c->out_dir, strerror(-ret));
		return o->status = EXIT_HOST;
	}
	snprintf(path, sizeof(path), "%s/run.json", c->out_dir);
	/* Provisional: replaced by the final record, so no fsync. */
	run_record_write(path, &rec, false);

	vc.events = run_events_open(c, o);
	if ((c->ring_size || c->trace) && !vc.events)
		return o->status = EXIT_HOST;
	if (run_trace_start(c, vc.events, o)) {
		ev_writer_abort(vc.events);
		return o->status = EXIT_HOST;
	}
	vm_install_signal_handlers();
	vm = vm__create(&vc, &fail, err, sizeof(err));
	if (!vm) {
		snprintf(o->error, sizeof(o->error), "%s", err);
		/* What the host lacks is its problem; the images and the rest the guest's. */
		o->status = fail == VM_FAIL_NO_KVM || fail == VM_FAIL_KVM_FEATURE ||
					    fail == VM_FAIL_BACKING
				    ? EXIT_HOST
				    : EXIT_GUEST;
	} else {
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
		run_trace_stop(o, &rec);
		verify(c, o);
		judge(c, o);
		rec.res = &o->res;
	}
	run_trace_stop(o, &rec); /* the VM never started */
	if (vc.events) {
		ret = ev_writer_close(vc.events, true);
		if (ret && !o->status) {
			snprintf(o->error, sizeof(o->error), "cannot write %s: %s", o->events_path,
				 strerror(-ret));
			o->status = EXIT_HOST;
		}
		rec.events_path = ret ? NULL : o->events_path;
	}
	o->wall_ns = now_ns() - t0;
	rec.status = o->status ? "failed" : "ok";
	rec.error = o->status ? o->error : NULL;
	rec.verify_done = o->verify_done;
	rec.verified = o->verified;
	rec.expected_checksum = o->expected_checksum;
	rec.wall_ns = o->wall_ns;
	rec.chains = o->chains;
	rec.nr_chains = o->nr_chains;
	ret = run_record_write(path, &rec, true);
	if (ret) {
		snprintf(o->error, sizeof(o->error), "cannot write %s: %s", path, strerror(-ret));
		o->status = EXIT_HOST;
	}
	if (c->json)
		run_record_fprint(stdout, &rec);
	return o->status;
}

void run_print_summary(const struct run_config *c, const struct run_outcome *o)
{
	const struct vm_result *r = &o->res;
	const struct mv_result *m = &r->result;
	struct lab_identity lab;
	char fp[32];

	printf("memvirt run: %s, footprint %s, %" PRIu64 " iters, %s pages%s, seed %" PRIu64 "\n",
	       wl_name(c->wl.kind), format_size(c->wl.footprint, fp, sizeof(fp)), c->wl.iters,
	       wl_page_size_name(c->wl.page_size), c->wl.populate ? " (populated)" : "",
	       c->wl.seed);
	if (!o->started)
		return;
	printf("  %-14s %s\n", "end", o->status ? o->error : "exit 0");
	if (r->have_result) {
		printf("  %-14s 0x%016" PRIx64 " %s\n", "checksum", m->checksum,
		       !o->verify_done ? "(not verified)"
		       : o->verified   ? "(verified by host replay)"
				       : "(MISMATCH with host replay)");
		printf("  %-14s %" PRIu64 " accesses, %" PRIu64 " cycles, %.2f cycles/access\n",
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
	if (c->chains && o->host) {
		const char *t = vm_translation_text(o->host), *nl = strchr(t, '\n');

		/* Which table the chains' GVAs are translated through by the CPU. */
		if (nl)
			printf("  %.*s\n  %s\n", (int)(nl - t), t, nl + 1);
		else
			printf("  %s\n", t);
	}
	printf("  %-14s %s/run.json\n", "record", c->out_dir);
}
