// SPDX-License-Identifier: GPL-2.0
/* A capture's statistics and probe list, for people (text) and programs (JSON). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "trace/capture.h"
#include "trace/evfile.h"

/* Each reason a probe is or is not attached: its JSON name and its words for people. */
static const struct {
	const char *name, *text;
} skips[] = {
	[CAPTURE_PROBE_ATTACHED] = {"attached", "attached"},
	[CAPTURE_SKIP_NO_EVENT] = {"not_in_tracefs", "not in tracefs"},
	[CAPTURE_SKIP_NO_BTF] = {"no_btf", "no BTF in vmlinux nor in a module"},
	[CAPTURE_SKIP_REJECTED] = {"rejected_by_verifier", "rejected by the verifier"},
	[CAPTURE_SKIP_EXCLUDED] = {"excluded", "excluded by MEMVIRT_TRACE_SKIP"},
	[CAPTURE_SKIP_ATTACH] = {"attach_failed", "failed to attach"},
	[CAPTURE_SKIP_UNUSED] = {"not_used", "not needed"},
	[CAPTURE_SKIP_NO_PROGRAM] = {"no_program", "not in this build"},
	[CAPTURE_SKIP_NOT_STARTED] = {"not_started", "not started"},
};

const char *capture_skip_name(enum capture_skip skip)
{
	return (unsigned)skip < sizeof(skips) / sizeof(skips[0]) && skips[skip].name
		       ? skips[skip].name
		       : "not_started";
}

static const char *skip_text(enum capture_skip skip)
{
	return (unsigned)skip < sizeof(skips) / sizeof(skips[0]) && skips[skip].text
		       ? skips[skip].text
		       : "not started";
}

const char *capture_gup_hook_name(enum capture_gup_hook hook)
{
	switch (hook) {
	case CAPTURE_GUP_RSS_STAT:
		return "tp/kmem:rss_stat";
	case CAPTURE_GUP_RSS_BATCHED:
		return "tp/kmem:rss_stat (batched: undercounted)";
	case CAPTURE_GUP_HANDLE_MM_FAULT:
		return "fexit/handle_mm_fault";
	case CAPTURE_GUP_NONE:
		break;
	}
	return "none";
}

void capture_probe_describe(const struct capture_probe *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s: %s%s%s%s", p->system ? p->system : "?",
		 p->event ? p->event : "?", skip_text(p->skip), *p->detail ? " (" : "", p->detail,
		 *p->detail ? ")" : "");
}

/* Every probe: attached or why not, and where its BTF was found. */
static void probes_json(const struct capture_stats *st, struct json *j)
{
	const char *kvm_btf = NULL;

	json_u64(j, "kvm_probes_attached", st->kvm_attached);
	for (unsigned i = 0; i < CAPTURE_NPROBES && !kvm_btf; i++) {
		const struct capture_probe *p = &st->probe[i];

		if (p->attached && p->system &&
		    (!strcmp(p->system, "kvm") || !strcmp(p->system, "kvmmmu")))
			kvm_btf = p->btf;
	}
	if (kvm_btf)
		json_str(j, "kvm_btf", kvm_btf);
	else
		json_null(j, "kvm_btf");
	json_str(j, "host_gup_fault_hook", capture_gup_hook_name(st->gup_hook));
	json_arr_begin(j, "probes");
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		const struct capture_probe *p = &st->probe[i];

		if (!p->event)
			continue;
		json_obj_begin(j, NULL);
		json_str(j, "system", p->system);
		json_str(j, "event", p->event);
		json_str(j, "status", capture_skip_name(p->skip));
		json_str(j, "btf", p->btf);
		json_str(j, "detail", p->detail);
		json_obj_end(j);
	}
	json_arr_end(j);
}

void capture_stats_json(const struct capture_stats *st, struct json *j, const char *key)
{
	json_obj_begin(j, key);
	json_u64(j, "records", st->total);
	json_obj_begin(j, "events");
	for (unsigned id = 0; id <= EVK__LAST; id++) {
		const struct ev_type *t = kvm_ev_type(id);

		if (t)
			json_u64(j, t->name, st->records[id]);
	}
	json_obj_end(j);
	json_u64(j, "dropped", st->dropped_kvm + st->dropped_host);
	json_u64(j, "dropped_kvm", st->dropped_kvm);
	json_u64(j, "dropped_host", st->dropped_host);
	json_u64(j, "walks_flushed_at_stop", st->walks_flushed);
	json_u64(j, "walk_threads_spilled", st->walk_threads_spilled);
	json_bool(j, "all_events", st->all_events);
	json_obj_begin(j, "kernel_counts");
	json_u64(j, "vcpus", st->kernel.vcpu);
	json_u64(j, "fault_walks", st->kernel.fault_walks);
	json_u64(j, "emulator_walks", st->kernel.emulator_walks);
	json_arr_begin(j, "emulator_walk_levels");
	for (unsigned l = 0; l <= KVM_WALK_MAX_LEVELS; l++)
		json_u64(j, NULL, st->kernel.emulator_walk_levels[l]);
	json_arr_end(j);
	json_u64(j, "emulate_insn", st->kernel.emulate_insn);
	json_u64(j, "emulate_failed", (uint64_t)st->kernel.emulate_failed);
	json_obj_end(j);
	json_u64(j, "duration_ns", st->duration_ns);
	json_arr_begin(j, "probes_attached");
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		if (st->probe[i].event && st->probe[i].attached)
			json_str(j, NULL, st->probe[i].event);
	}
	json_arr_end(j);
	json_arr_begin(j, "probes_skipped");
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		if (st->probe[i].event && !st->probe[i].attached)
			json_str(j, NULL, st->probe[i].event);
	}
	json_arr_end(j);
	probes_json(st, j);
	json_obj_end(j);
}

void capture_stats_print(const struct capture_stats *st, FILE *f)
{
	fprintf(f, "  %-26s %12s\n", "record type", "records");
	for (unsigned id = 0; id <= EVK__LAST; id++) {
		const struct ev_type *t = kvm_ev_type(id);

		if (t && st->records[id])
			fprintf(f, "  %-26s %12" PRIu64 "\n", t->name, st->records[id]);
	}
	fprintf(f, "  %-26s %12" PRIu64 "\n", "total", st->total);
	fprintf(f, "  %-26s %12" PRIu64 " (kvm %" PRIu64 ", host %" PRIu64 ")\n", "dropped",
		st->dropped_kvm + st->dropped_host, st->dropped_kvm, st->dropped_host);
	fprintf(f,
		"  counted in the kernel%s: %" PRIu64 " fault walks, %" PRIu64
		" emulator walks, %" PRIu64 " emulated instructions (%" PRIu64 " failed)\n",
		st->all_events ? " (and recorded)" : "", (uint64_t)st->kernel.fault_walks,
		(uint64_t)st->kernel.emulator_walks, (uint64_t)st->kernel.emulate_insn,
		(uint64_t)st->kernel.emulate_failed);
	fprintf(f, "  probes: %u attached (%u on KVM events), %u skipped; host gup faults: %s\n",
		st->attached, st->kvm_attached, st->skipped, capture_gup_hook_name(st->gup_hook));
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		char line[256];

		if (!st->probe[i].event || st->probe[i].attached)
			continue;
		capture_probe_describe(&st->probe[i], line, sizeof(line));
		fprintf(f, "    skipped %s\n", line);
	}
}
