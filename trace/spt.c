// SPDX-License-Identifier: GPL-2.0
/*
 * The probes of trace/spt.bpf.c: shadow pages, SPTEs changed outside the
 * shadow fault (fast path, TDP MMU, huge page splits), MMIO faults and the
 * fast zap of every page.
 */
#include "common/util.h"
#include "trace/probes.h"

static const struct probe_def spt_probes[] = {
	{PROBE_TP, "kvmmmu", "kvm_mmu_get_page", "mv_get_page"},
	{PROBE_TP, "kvmmmu", "kvm_mmu_sync_page", "mv_sync_page"},
	{PROBE_TP, "kvmmmu", "kvm_mmu_unsync_page", "mv_unsync_page"},
	{PROBE_TP, "kvmmmu", "kvm_mmu_prepare_zap_page", "mv_zap_page"},
	{PROBE_TP, "kvmmmu", "fast_page_fault", "mv_fast_pf"},
	{PROBE_TP, "kvmmmu", "kvm_tdp_mmu_spte_changed", "mv_tdp_spte"},
	{PROBE_TP, "kvmmmu", "kvm_mmu_split_huge_page", "mv_split_huge"},
	{PROBE_TP, "kvmmmu", "handle_mmio_page_fault", "mv_mmio_pf"},
	{PROBE_TP, "kvmmmu", "kvm_mmu_zap_all_fast", "mv_zap_all"},
};

const struct probe_family spt_family = {"spt", spt_probes, ARRAY_SIZE(spt_probes)};
