// SPDX-License-Identifier: GPL-2.0
/*
 * The probe of trace/state.bpf.c (a traced thread's exit), and the state it
 * defines for every family: its configuration before load, the pid filter
 * after, and at stop the flush of what threads still hold, the drop
 * counters and the kernel's counts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "common/util.h"
#include "trace/capture_internal.h"
#include "trace/evfile.h"
#include "trace/probes.h"
#include "kvmmmu.skel.h"

static const struct probe_def state_probes[] = {
	{PROBE_TP, "sched", "sched_process_exit", "mv_thread_exit"},
};

const struct probe_family state_family = {"state", state_probes, ARRAY_SIZE(state_probes)};

void state_configure(struct capture *cap, const struct capture_config *c, uint64_t ring_bytes)
{
	bpf_map__set_max_entries(cap->skel->maps.events, (__u32)ring_bytes);
	cap->skel->rodata->wakeup_bytes = ring_bytes / 2;
	cap->skel->rodata->only_tgid = c->npids == 1 ? (__u32)c->pids[0] : 0;
	cap->skel->rodata->trace_all = c->all_events;
	/* For tests: every thread's walk state in task-local storage, the slow path. */
	cap->skel->rodata->walk_slots_off = getenv("MEMVIRT_TRACE_NO_WALK_SLOTS") != NULL;
}

int state_set_filter(struct capture *cap, const struct capture_config *c, char *err, size_t len)
{
	__u8 one = 1;

	for (unsigned i = 0; i < c->npids; i++) {
		__u32 tgid = (__u32)c->pids[i];
		int ret = bpf_map__update_elem(cap->skel->maps.tgids, &tgid, sizeof(tgid), &one,
					       sizeof(one), BPF_ANY);

		if (ret) {
			snprintf(err, len, "cannot set the pid filter: %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/*
 * Walks still open when the probes went away (their last level came, nothing
 * followed): the mv_flush iterator emits them into the ring, once.
 */
void state_flush_walks(struct capture *cap)
{
	struct bpf_link *link = bpf_program__attach_iter(cap->skel->progs.mv_flush, NULL);
	char buf[64];
	int fd;

	if (!link) {
		pr_warn("trace: cannot flush the walks in progress: %s\n", strerror(errno));
		return;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd >= 0) {
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	bpf_link__destroy(link);
	cap->st.walks_flushed = cap->skel->bss->flushed_walks;
	cap->st.walk_threads_spilled = cap->skel->bss->spilled_threads;
}

void state_read_drops(struct capture *cap)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(cap->skel->maps.drops);
	uint64_t *v;

	if (ncpu <= 0)
		return;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return;
	for (__u32 src = 0; src < 2; src++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(fd, &src, v))
			continue;
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
		*(src ? &cap->st.dropped_host : &cap->st.dropped_kvm) = sum;
	}
	free(v);
	if (cap->st.dropped_kvm)
		ev_write_dropped(cap->w, EV_SRC_KVM, cap->st.dropped_kvm);
	if (cap->st.dropped_host)
		ev_write_dropped(cap->w, EV_SRC_HOST, cap->st.dropped_host);
}

static void counts_add(struct kvm_ev_counts *sum, const struct kvm_ev_counts *v)
{
	sum->fault_walks += v->fault_walks;
	sum->emulator_walks += v->emulator_walks;
	for (unsigned l = 0; l <= KVM_WALK_MAX_LEVELS; l++)
		sum->emulator_walk_levels[l] += v->emulator_walk_levels[l];
	sum->emulate_insn += v->emulate_insn;
	sum->emulate_failed += v->emulate_failed;
}

void state_read_counts(struct capture *cap)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(cap->skel->maps.counts);
	struct kvm_ev_counts *v;

	if (ncpu <= 0)
		return;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return;
	for (__u32 vcpu = 0; vcpu < KVM_COUNTS_VCPUS; vcpu++) {
		struct kvm_ev_counts sum = {.vcpu = vcpu};

		if (bpf_map_lookup_elem(fd, &vcpu, v))
			continue;
		for (int i = 0; i < ncpu; i++)
			counts_add(&sum, &v[i]);
		if (!sum.fault_walks && !sum.emulator_walks && !sum.emulate_insn)
			continue;
		counts_add(&cap->st.kernel, &sum);
		cap->st.kernel.vcpu++;
		if (!ev_write(cap->w, &ev_type_kvm_counts, (uint16_t)vcpu, now_ns(), &sum))
			cap->st.records[EVK_KVM_COUNTS]++, cap->st.total++;
	}
	free(v);
}
