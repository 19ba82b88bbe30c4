// SPDX-License-Identifier: GPL-2.0
/*
 * The probes of trace/walk.bpf.c: the guest page-table walk, the A/D bits
 * set inside it, and the shadow fault's SPTE request and SPTE that end it.
 */
#include "common/util.h"
#include "trace/probes.h"

static const struct probe_def walk_probes[] = {
	{PROBE_TP, "kvmmmu", "kvm_mmu_pagetable_walk", "mv_walk"},
	{PROBE_TP, "kvmmmu", "kvm_mmu_paging_element", "mv_walk_elem"},
	{PROBE_TP, "kvmmmu", "kvm_mmu_walker_error", "mv_walk_err"},
	{PROBE_TP, "kvmmmu", "kvm_mmu_set_accessed_bit", "mv_set_accessed"},
	{PROBE_TP, "kvmmmu", "kvm_mmu_set_dirty_bit", "mv_set_dirty"},
	{PROBE_TP, "kvmmmu", "kvm_mmu_spte_requested", "mv_spte_req"},
	{PROBE_TP, "kvmmmu", "kvm_mmu_set_spte", "mv_set_spte"},
};

const struct probe_family walk_family = {"walk", walk_probes, ARRAY_SIZE(walk_probes)};
