// SPDX-License-Identifier: GPL-2.0
/* memvirt sim: the results as sim.json and as a table. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "common/json.h"
#include "common/version.h"
#include "common/util.h"
#include "mmu/mmu.h"
#include "sim/sim.h"
#include "src/cmd_sim.h"

static void json_input(const struct report *rep, struct json *j)
{
	const struct sim_opts *o = rep->o;

	json_obj_begin(j, "input");
	if (o->mc.input == SIM_IN_LACKEY || o->mc.input == SIM_IN_ATRACE) {
		json_str(j, "kind", o->mc.input == SIM_IN_LACKEY ? "lackey" : "access-trace");
		json_str(j, "file", o->mc.in_path);
		json_u64(j, o->mc.input == SIM_IN_LACKEY ? "lines" : "records",
			 o->mc.input == SIM_IN_LACKEY ? rep->st->lines : rep->st->records);
		json_u64(j, "loads", rep->st->loads);
		json_u64(j, "stores", rep->st->stores);
		json_u64(j, "modifies", rep->st->modifies);
		json_u64(j, "instructions_ignored", rep->st->fetches);
	} else if (o->mc.input == SIM_IN_RUN) {
		json_str(j, "kind", "run");
		json_str(j, "dir", o->mc.in_path);
		json_str(j, "workload", wl_name(o->mc.wl.kind));
		json_u64(j, "footprint", o->mc.wl.footprint);
		json_u64(j, "iters", o->mc.wl.iters);
		json_u64(j, "seed", o->mc.wl.seed);
		json_u64(j, "stride", o->mc.wl.stride);
		json_u64(j, "page_size", o->mc.wl.page_size);
		json_hex(j, "data_gva", o->snap.data_gva);
		json_hex(j, "cr3", o->snap.cr3);
		json_u64(j, "levels", o->snap.levels);
		json_u64(j, "snapshot_table_pages", rep->st->table_pages);
		json_u64(j, "data_page_tables", rep->st->data_leaf_tables);
		json_u64(j, "data_large_leaves", rep->st->data_large_leaves);
	} else if (o->mc.input == SIM_IN_REPLAY) {
		json_str(j, "kind", "replay");
		json_str(j, "file", o->mc.in_path);
		json_str(j, "workload", wl_name(o->mc.wl.kind));
		json_u64(j, "footprint", o->mc.wl.footprint);
		json_u64(j, "iters", o->mc.wl.iters);
		json_u64(j, "records", rep->st->records);
		json_u64(j, "guest_faults", rep->st->guest_faults);
		json_u64(j, "accesses", rep->st->accesses);
		json_u64(j, "replayed_records", rep->st->replayed);
	} else if (o->mc.input == SIM_IN_EVENTS) {
		json_str(j, "kind", "event-file");
		json_str(j, "file", o->mc.in_path);
		json_u64(j, "records", rep->st->records);
		json_u64(j, "guest_faults", rep->st->guest_faults);
		json_u64(j, "kvm_walks", rep->st->kvm_walks);
		json_u64(j, "other_records", rep->st->other);
		if (rep->st->replayed)
			json_u64(j, "replayed_records", rep->st->replayed);
	} else {
		json_str(j, "kind", "workload");
		json_str(j, "workload", wl_name(o->mc.wl.kind));
		json_u64(j, "footprint", o->mc.wl.footprint);
		json_u64(j, "iters", o->mc.wl.iters);
		json_u64(j, "seed", o->mc.wl.seed);
		json_u64(j, "stride", o->mc.wl.stride);
		json_hex(j, "guest_base", SIM_GUEST_BASE);
		if (o->mc.wl.kind == WL_CHURN || o->mc.wl.kind == WL_PINGPONG) {
			json_str(j, "guest_os", "synthetic");
			json_u64(j, "guest_faults", rep->st->guest_faults);
			json_u64(j, "updates", rep->st->replayed);
			if (o->mc.wl.kind == WL_PINGPONG)
				json_u64(j, "nproc", o->mc.wl.nproc);
		}
	}
	json_obj_end(j);
}

/* Shadow mode: KVM's counters by name, the exits the machine took, and their cycles. */
static void json_shadow_mmu(const struct sim_shadow_result *sh, struct json *j)
{
	const struct shadow_stat_desc *d;
	size_t n;

	json_obj_begin(j, "shadow_mmu");
	json_obj_begin(j, "counters");
	d = shadow_stat_table(&n);
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 0;

		shadow_stat_get(&sh->st, d[i].name, &v);
		json_u64(j, d[i].name, v);
	}
	json_obj_end(j);
	json_u64(j, "live_pages", sh->live_pages);
	json_u64(j, "max_pages", sh->max_pages);
	json_u64(j, "table_stores", sh->table_stores);
	json_obj_begin(j, "exits");
	json_u64(j, "fault", sh->fault_exits);
	json_u64(j, "guest_fault", sh->guest_fault_exits);
	json_u64(j, "emulated_store", sh->emulate_exits);
	json_u64(j, "cr3", sh->cr3_exits);
	json_u64(j, "invlpg", sh->invlpg_exits);
	json_obj_end(j);
	json_u64(j, "syncs", sh->syncs);
	json_obj_begin(j, "cycles");
	json_u64(j, "fault_exits", sh->fault_cycles);
	json_u64(j, "guest_fault_exits", sh->guest_fault_cycles);
	json_u64(j, "emulation", sh->emulate_cycles);
	json_u64(j, "cr3_exits", sh->cr3_cycles);
	json_u64(j, "invlpg_exits", sh->invlpg_cycles);
	json_u64(j, "syncs", sh->sync_cycles);
	json_u64(j, "total", sh->total_cycles);
	json_obj_end(j);
	json_obj_end(j);
}

/*
 * Nested mode with TDP entries tracked (anonymous host memory, a replay, the synthetic guest
 * OS): KVM's TDP MMU counters by KVM's names, and the cycles of its NPT/EPT exits.
 */
static void json_tdp_mmu(const struct sim_mode_result *r, struct json *j)
{
	json_obj_begin(j, "tdp_mmu");
	json_obj_begin(j, "counters");
	json_u64(j, "pf_taken", r->tdp.pf_taken);
	json_u64(j, "pf_fixed", r->tdp.pf_fixed);
	json_u64(j, "tlb_flush", r->tdp.tlb_flush);
	json_u64(j, "pages_4k", r->tdp.pages_4k);
	json_u64(j, "pages_2m", r->tdp.pages_2m);
	json_obj_end(j);
	json_u64(j, "zero_page_maps", r->tdp.zero_maps);
	json_u64(j, "cow_breaks", r->tdp.cow_breaks);
	json_u64(j, "discarded_pages", r->tdp.discarded);
	json_u64(j, "host_huge_pages", r->tdp.thp_allocs);
	json_u64(j, "exit_cycles", r->res.shadow_cycles[SIM_SHADOW_PF_EXIT]);
	json_obj_end(j);
}

void sim_report_json(const struct report *rep, FILE *f)
{
	const struct sim_opts *o = rep->o;
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "schema", "memvirt-sim/1");
	json_str(&j, "command", "sim");
	memvirt_provenance_json(&j);
	json_obj_begin(&j, "config");
	json_str(&j, "name", o->mc.cfg.name);
	json_str(&j, o->config_is_file ? "file" : "preset", o->config_src);
	json_str(&j, "paging", o->paging);
	json_str(&j, "guest_pages", page_size_name(o->mc.gps));
	json_str(&j, "host_pages", page_size_name(o->mc.hps));
	json_str(&j, "host_memory",
		 o->mc.host_thp	   ? "anon-thp"
		 : o->mc.host_anon ? "anon"
				   : "present");
	json_u64(&j, "levels", o->mc.cfg.levels);
	json_u64(&j, "host_levels", o->mc.cfg.host_levels);
	json_input(rep, &j);
	json_obj_end(&j);
	json_arr_begin(&j, "results");
	for (int mo = 0; mo < SIM_MODES; mo++) {
		const struct sim_mode_result *r = &rep->runs[mo];

		if (!o->modes[mo])
			continue;
		json_obj_begin(&j, NULL);
		sim_result_json(&r->res, &j);
		json_obj_begin(&j, "table_frames");
		json_u64(&j, "guest", r->guest_frames);
		json_u64(&j, "host", r->host_frames);
		json_u64(&j, "shadow", r->shadow_frames);
		json_obj_end(&j);
		if (mo == PAGING_SHADOW)
			json_shadow_mmu(&r->shadow, &j);
		if (mo == PAGING_NESTED && r->tdp_valid)
			json_tdp_mmu(r, &j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
	fputc('\n', f);
}

int sim_report_fill_json(FILE *f, void *arg)
{
	sim_report_json(arg, f);
	return ferror(f) ? -EIO : 0;
}

/* One mode's VM exits and their cycles: shadow's, or nested's NPT/EPT faults when tracked. */
static uint64_t mode_exits(const struct sim_mode_result *r, int mo, uint64_t *cycles)
{
	const struct sim_shadow_result *sh = &r->shadow;

	if (mo == PAGING_SHADOW) {
		*cycles = sh->total_cycles;
		return sh->fault_exits + sh->guest_fault_exits + sh->emulate_exits + sh->cr3_exits +
		       sh->invlpg_exits;
	}
	*cycles = mo == PAGING_NESTED ? r->res.shadow_cycles[SIM_SHADOW_PF_EXIT] : 0;
	return mo == PAGING_NESTED && r->tdp_valid ? r->tdp.pf_taken : 0;
}

/* VM exits and their cycles in every mode; nested's only when its TDP faults are tracked. */
static void exit_rows(const struct report *rep)
{
	for (int row = 0; row < 2; row++) {
		printf("%-22s", row ? "exit cycles" : "VM exits");
		for (int mo = 0; mo < SIM_MODES; mo++) {
			const struct sim_mode_result *r = &rep->runs[mo];
			uint64_t cycles, n;

			if (!rep->o->modes[mo])
				continue;
			n = mode_exits(r, mo, &cycles);
			if (mo == PAGING_NESTED && !r->tdp_valid)
				printf(" %14s", "-");
			else
				printf(" %14" PRIu64, row ? cycles : n);
		}
		printf("\n");
	}
}

/* Shadow mode's main counters, in the shadow column ("-" in the others). */
static void shadow_rows(const struct report *rep)
{
	const struct sim_shadow_result *sh = &rep->runs[PAGING_SHADOW].shadow;
	const uint64_t v[] = {sh->st.pf_fixed, sh->st.pf_guest, sh->st.pf_emulate,
			      sh->st.mmu_unsync, sh->st.kvm_mmu_get_page_created};
	static const char *const label[] = {"pf_fixed", "pf_guest", "pf_emulate", "mmu_unsync",
					    "shadow pages"};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		printf("%-22s", label[i]);
		for (int mo = 0; mo < SIM_MODES; mo++) {
			if (!rep->o->modes[mo])
				continue;
			if (mo == PAGING_SHADOW)
				printf(" %14" PRIu64, v[i]);
			else
				printf(" %14s", "-");
		}
		printf("\n");
	}
}

/* Non-canonical accesses (#GP, no lookup, no walk), a row only when some mode had one. */
static void noncanonical_row(const struct report *rep)
{
	bool any = false;

	for (int mo = 0; mo < SIM_MODES; mo++)
		any = any || (rep->o->modes[mo] && rep->runs[mo].res.noncanonical);
	if (!any)
		return;
	printf("%-22s", "non-canonical (#GP)");
	for (int mo = 0; mo < SIM_MODES; mo++)
		if (rep->o->modes[mo])
			printf(" %14" PRIu64, rep->runs[mo].res.noncanonical);
	printf("\n");
}

/* --tlb-sizes: the swept level's misses and misses per 1000 accesses at every size. */
static void sweep_rows(const struct report *rep)
{
	const struct tlb_sweep_config *sw = &rep->o->sweep;
	char label[40];

	printf("\nTLB level %u, one pass (LRU, %s)\n%-22s", sw->level + 1,
	       sw->sets ? "fixed sets" : "fully associative", "entries: misses, MPKA");
	for (int mo = 0; mo < SIM_MODES; mo++)
		if (rep->o->modes[mo])
			printf(" %24s", paging_mode_name(mo));
	printf("\n");
	for (unsigned i = 0; i < sw->nsizes; i++) {
		if (sw->sets)
			snprintf(label, sizeof(label), "%u (%u x %u)", sw->entries[i], sw->sets,
				 sw->entries[i] / sw->sets);
		else
			snprintf(label, sizeof(label), "%u", sw->entries[i]);
		printf("%-22s", label);
		for (int mo = 0; mo < SIM_MODES; mo++) {
			const struct tlb_sweep_result *r = &rep->runs[mo].res.sweep;

			if (rep->o->modes[mo])
				printf(" %14" PRIu64 " %9.2f", r->misses[i], r->mpka[i]);
		}
		printf("\n");
	}
}

void sim_report_table(const struct report *rep)
{
	const struct sim_opts *o = rep->o;
	char sz[32];
	int mo;

	if (o->mc.input == SIM_IN_RUN)
		printf("run %s (%s %s, the guest's tables)", o->mc.in_path, wl_name(o->mc.wl.kind),
		       format_size(o->mc.wl.footprint, sz, sizeof(sz)));
	else if (o->mc.input == SIM_IN_REPLAY)
		printf("replay of %s (%s %s, every access)", o->mc.in_path, wl_name(o->mc.wl.kind),
		       format_size(o->mc.wl.footprint, sz, sizeof(sz)));
	else if (o->mc.input != SIM_IN_WORKLOAD)
		printf("%s %s",
		       o->mc.input == SIM_IN_LACKEY   ? "lackey"
		       : o->mc.input == SIM_IN_ATRACE ? "access trace"
						      : "event file",
		       o->mc.in_path);
	else
		printf("%s %s", wl_name(o->mc.wl.kind),
		       format_size(o->mc.wl.footprint, sz, sizeof(sz)));
	if (o->mc.input == SIM_IN_RUN) /* its guest pages are what its tables map: 4K, 2M or both */
		printf(", config %s, guest pages as its tables map them, host %s pages\n\n%-22s",
		       o->mc.cfg.name, page_size_name(o->mc.hps), "");
	else
		printf(", config %s, guest %s pages, host %s pages\n\n%-22s", o->mc.cfg.name,
		       page_size_name(o->mc.gps), page_size_name(o->mc.hps), "");
	for (mo = 0; mo < SIM_MODES; mo++)
		if (o->modes[mo])
			printf(" %14s", paging_mode_name(mo));
	printf("\n");
#define ROW(label, fmt, expr)                                            \
	do {                                                             \
		printf("%-22s", label);                                  \
		for (mo = 0; mo < SIM_MODES; mo++) {                     \
			const struct sim_result *r = &rep->runs[mo].res; \
			if (o->modes[mo])                                \
				printf(" " fmt, expr);                   \
		}                                                        \
		printf("\n");                                            \
	} while (0)
	ROW("accesses", "%14" PRIu64, r->accesses);
	ROW("TLB miss rate", "%13.2f%%",
	    r->accesses ? 100.0 * (double)r->tlb_misses[r->tlb_levels - 1] / (double)r->accesses
			: 0.0);
	ROW("walks", "%14" PRIu64, r->walks);
	ROW("refs per walk", "%14.2f", r->refs_per_walk);
	ROW("cycles per access", "%14.2f", r->cycles_per_access);
	ROW("faults", "%14" PRIu64, r->faults);
#undef ROW
	if (o->modes[PAGING_SHADOW] || o->modes[PAGING_NESTED])
		exit_rows(rep);
	if (o->modes[PAGING_SHADOW])
		shadow_rows(rep);
	noncanonical_row(rep);
	if (o->mc.sweep)
		sweep_rows(rep);
}
