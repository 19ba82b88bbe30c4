// SPDX-License-Identifier: GPL-2.0
/* Field tables of the KVM and host record types the eBPF tracer writes. */
#include <stddef.h>

#include "common/util.h"
#include "trace/events_kvm.h"

#define F(st, name, kind, cnt)                              \
	{                                                   \
#name, kind, offsetof(struct st, name), cnt \
	}
#define TYPE(var, tid, src, st, tname, tbl) \
	const struct ev_type var = {tid, src, sizeof(struct st), tname, tbl, ARRAY_SIZE(tbl)}

_Static_assert(sizeof(struct kvm_rec_hdr) == sizeof(struct ev_hdr), "header layout");
_Static_assert(offsetof(struct kvm_rec_hdr, cpu) == offsetof(struct ev_hdr, cpu), "cpu");
_Static_assert(offsetof(struct kvm_rec_hdr, ts) == offsetof(struct ev_hdr, ts), "ts");

static const struct ev_field walk_fields[] = {
	F(kvm_ev_walk, addr, EV_K_X64, 1),
	F(kvm_ev_walk, pte, EV_K_X64, KVM_WALK_MAX_LEVELS),
	F(kvm_ev_walk, pferr, EV_K_U32, 1),
	F(kvm_ev_walk, error, EV_K_U32, 1),
	F(kvm_ev_walk, levels, EV_K_U32, 1),
	F(kvm_ev_walk, failed, EV_K_U32, 1),
	F(kvm_ev_walk, level, EV_K_U32, KVM_WALK_MAX_LEVELS),
	F(kvm_ev_walk, tid, EV_K_U32, 1),
};
TYPE(ev_type_kvm_mmu_walk, EVK_MMU_WALK, EV_SRC_KVM, kvm_ev_walk, "kvm_mmu_walk", walk_fields);

static const struct ev_field set_spte_fields[] = {
	F(kvm_ev_set_spte, gfn, EV_K_X64, 1),
	F(kvm_ev_set_spte, spte, EV_K_X64, 1),
	F(kvm_ev_set_spte, sptep, EV_K_X64, 1),
	F(kvm_ev_set_spte, level, EV_K_U32, 1),
};
TYPE(ev_type_kvm_mmu_set_spte, EVK_MMU_SET_SPTE, EV_SRC_KVM, kvm_ev_set_spte, "kvm_mmu_set_spte",
     set_spte_fields);

static const struct ev_field spte_req_fields[] = {
	F(kvm_ev_spte_requested, gfn, EV_K_X64, 1),
	F(kvm_ev_spte_requested, pfn, EV_K_X64, 1),
	F(kvm_ev_spte_requested, level, EV_K_U32, 1),
};
TYPE(ev_type_kvm_mmu_spte_requested, EVK_MMU_SPTE_REQUESTED, EV_SRC_KVM, kvm_ev_spte_requested,
     "kvm_mmu_spte_requested", spte_req_fields);

static const struct ev_field mmu_page_fields[] = {
	F(kvm_ev_mmu_page, gfn, EV_K_X64, 1),	  F(kvm_ev_mmu_page, role, EV_K_U32, 1),
	F(kvm_ev_mmu_page, created, EV_K_U32, 1), F(kvm_ev_mmu_page, root_count, EV_K_U32, 1),
	F(kvm_ev_mmu_page, unsync, EV_K_U32, 1),
};
TYPE(ev_type_kvm_mmu_get_page, EVK_MMU_GET_PAGE, EV_SRC_KVM, kvm_ev_mmu_page, "kvm_mmu_get_page",
     mmu_page_fields);
TYPE(ev_type_kvm_mmu_sync_page, EVK_MMU_SYNC_PAGE, EV_SRC_KVM, kvm_ev_mmu_page, "kvm_mmu_sync_page",
     mmu_page_fields);
TYPE(ev_type_kvm_mmu_unsync_page, EVK_MMU_UNSYNC_PAGE, EV_SRC_KVM, kvm_ev_mmu_page,
     "kvm_mmu_unsync_page", mmu_page_fields);
TYPE(ev_type_kvm_mmu_prepare_zap_page, EVK_MMU_PREPARE_ZAP_PAGE, EV_SRC_KVM, kvm_ev_mmu_page,
     "kvm_mmu_prepare_zap_page", mmu_page_fields);

static const struct ev_field fast_pf_fields[] = {
	F(kvm_ev_fast_page_fault, addr, EV_K_X64, 1),
	F(kvm_ev_fast_page_fault, error_code, EV_K_X64, 1),
	F(kvm_ev_fast_page_fault, sptep, EV_K_X64, 1),
	F(kvm_ev_fast_page_fault, old_spte, EV_K_X64, 1),
	F(kvm_ev_fast_page_fault, new_spte, EV_K_X64, 1),
	F(kvm_ev_fast_page_fault, ret, EV_K_S64, 1),
};
TYPE(ev_type_fast_page_fault, EVK_FAST_PAGE_FAULT, EV_SRC_KVM, kvm_ev_fast_page_fault,
     "fast_page_fault", fast_pf_fields);

static const struct ev_field ad_fields[] = {
	F(kvm_ev_ad_bit, table_gfn, EV_K_X64, 1),
	F(kvm_ev_ad_bit, index, EV_K_U32, 1),
	F(kvm_ev_ad_bit, size, EV_K_U32, 1),
};
TYPE(ev_type_kvm_mmu_set_accessed_bit, EVK_MMU_SET_ACCESSED_BIT, EV_SRC_KVM, kvm_ev_ad_bit,
     "kvm_mmu_set_accessed_bit", ad_fields);
TYPE(ev_type_kvm_mmu_set_dirty_bit, EVK_MMU_SET_DIRTY_BIT, EV_SRC_KVM, kvm_ev_ad_bit,
     "kvm_mmu_set_dirty_bit", ad_fields);

static const struct ev_field tdp_fields[] = {
	F(kvm_ev_tdp_spte_changed, gfn, EV_K_X64, 1),
	F(kvm_ev_tdp_spte_changed, old_spte, EV_K_X64, 1),
	F(kvm_ev_tdp_spte_changed, new_spte, EV_K_X64, 1),
	F(kvm_ev_tdp_spte_changed, as_id, EV_K_U32, 1),
	F(kvm_ev_tdp_spte_changed, level, EV_K_U32, 1),
};
TYPE(ev_type_kvm_tdp_mmu_spte_changed, EVK_TDP_MMU_SPTE_CHANGED, EV_SRC_KVM,
     kvm_ev_tdp_spte_changed, "kvm_tdp_mmu_spte_changed", tdp_fields);

static const struct ev_field split_fields[] = {
	F(kvm_ev_split_huge_page, gfn, EV_K_X64, 1),
	F(kvm_ev_split_huge_page, spte, EV_K_X64, 1),
	F(kvm_ev_split_huge_page, error, EV_K_S64, 1),
	F(kvm_ev_split_huge_page, level, EV_K_U32, 1),
};
TYPE(ev_type_kvm_mmu_split_huge_page, EVK_MMU_SPLIT_HUGE_PAGE, EV_SRC_KVM, kvm_ev_split_huge_page,
     "kvm_mmu_split_huge_page", split_fields);

static const struct ev_field mmio_fields[] = {
	F(kvm_ev_mmio_pf, addr, EV_K_X64, 1),
	F(kvm_ev_mmio_pf, gfn, EV_K_X64, 1),
	F(kvm_ev_mmio_pf, access, EV_K_U32, 1),
};
TYPE(ev_type_handle_mmio_page_fault, EVK_HANDLE_MMIO_PAGE_FAULT, EV_SRC_KVM, kvm_ev_mmio_pf,
     "handle_mmio_page_fault", mmio_fields);

static const struct ev_field zap_all_fields[] = {
	F(kvm_ev_zap_all_fast, mmu_valid_gen, EV_K_U64, 1),
	F(kvm_ev_zap_all_fast, mmu_used_pages, EV_K_U64, 1),
};
TYPE(ev_type_kvm_mmu_zap_all_fast, EVK_MMU_ZAP_ALL_FAST, EV_SRC_KVM, kvm_ev_zap_all_fast,
     "kvm_mmu_zap_all_fast", zap_all_fields);

static const struct ev_field exit_fields[] = {
	F(kvm_ev_exit, rip, EV_K_X64, 1),
	F(kvm_ev_exit, isa, EV_K_U32, 1),
	F(kvm_ev_exit, reason_known, EV_K_U32, 1),
	F(kvm_ev_exit, exit_code, EV_K_X64, 1),
};
TYPE(ev_type_kvm_exit, EVK_KVM_EXIT, EV_SRC_KVM, kvm_ev_exit, "kvm_exit", exit_fields);

static const struct ev_field entry_fields[] = {
	F(kvm_ev_entry, rip, EV_K_X64, 1),
	F(kvm_ev_entry, immediate_exit, EV_K_U32, 1),
};
TYPE(ev_type_kvm_entry, EVK_KVM_ENTRY, EV_SRC_KVM, kvm_ev_entry, "kvm_entry", entry_fields);

static const struct ev_field kpf_fields[] = {
	F(kvm_ev_page_fault, rip, EV_K_X64, 1),
	F(kvm_ev_page_fault, address, EV_K_X64, 1),
	F(kvm_ev_page_fault, error_code, EV_K_X64, 1),
};
TYPE(ev_type_kvm_page_fault, EVK_KVM_PAGE_FAULT, EV_SRC_KVM, kvm_ev_page_fault, "kvm_page_fault",
     kpf_fields);

static const struct ev_field cr_fields[] = {
	F(kvm_ev_cr, val, EV_K_X64, 1),
	F(kvm_ev_cr, rw, EV_K_U32, 1),
	F(kvm_ev_cr, cr, EV_K_U32, 1),
};
TYPE(ev_type_kvm_cr, EVK_KVM_CR, EV_SRC_KVM, kvm_ev_cr, "kvm_cr", cr_fields);

static const struct ev_field emul_fields[] = {
	F(kvm_ev_emulate_insn, rip, EV_K_X64, 1),
	F(kvm_ev_emulate_insn, failed, EV_K_U32, 1),
};
TYPE(ev_type_kvm_emulate_insn, EVK_KVM_EMULATE_INSN, EV_SRC_KVM, kvm_ev_emulate_insn,
     "kvm_emulate_insn", emul_fields);

static const struct ev_field host_pf_fields[] = {
	F(kvm_ev_host_fault, address, EV_K_X64, 1),    F(kvm_ev_host_fault, ip, EV_K_X64, 1),
	F(kvm_ev_host_fault, error_code, EV_K_X64, 1), F(kvm_ev_host_fault, kernel, EV_K_U32, 1),
	F(kvm_ev_host_fault, tid, EV_K_U32, 1),
};
TYPE(ev_type_host_page_fault, EVK_HOST_PAGE_FAULT, EV_SRC_HOST, kvm_ev_host_fault,
     "host_page_fault", host_pf_fields);

static const struct ev_field gup_fields[] = {
	F(kvm_ev_host_gup_fault, hva, EV_K_X64, 1), F(kvm_ev_host_gup_fault, gfn, EV_K_X64, 1),
	F(kvm_ev_host_gup_fault, pfn, EV_K_X64, 1), F(kvm_ev_host_gup_fault, member, EV_K_U32, 1),
	F(kvm_ev_host_gup_fault, tid, EV_K_U32, 1),
};
TYPE(ev_type_host_gup_fault, EVK_HOST_GUP_FAULT, EV_SRC_HOST, kvm_ev_host_gup_fault,
     "host_gup_fault", gup_fields);

static const struct ev_field counts_fields[] = {
	F(kvm_ev_counts, fault_walks, EV_K_U64, 1),
	F(kvm_ev_counts, emulator_walks, EV_K_U64, 1),
	F(kvm_ev_counts, emulator_walk_levels, EV_K_U64, KVM_WALK_MAX_LEVELS + 1),
	F(kvm_ev_counts, emulate_insn, EV_K_U64, 1),
	F(kvm_ev_counts, emulate_failed, EV_K_U64, 1),
	F(kvm_ev_counts, vcpu, EV_K_U32, 1),
};
TYPE(ev_type_kvm_counts, EVK_KVM_COUNTS, EV_SRC_KVM, kvm_ev_counts, "kvm_counts", counts_fields);

/* Indexed by record type id: the consumer looks one up per record. */
static const struct ev_type *const types_by_id[EVK__LAST + 1] = {
	[EVK_MMU_WALK] = &ev_type_kvm_mmu_walk,
	[EVK_MMU_SET_SPTE] = &ev_type_kvm_mmu_set_spte,
	[EVK_MMU_SPTE_REQUESTED] = &ev_type_kvm_mmu_spte_requested,
	[EVK_MMU_GET_PAGE] = &ev_type_kvm_mmu_get_page,
	[EVK_MMU_SYNC_PAGE] = &ev_type_kvm_mmu_sync_page,
	[EVK_MMU_UNSYNC_PAGE] = &ev_type_kvm_mmu_unsync_page,
	[EVK_MMU_PREPARE_ZAP_PAGE] = &ev_type_kvm_mmu_prepare_zap_page,
	[EVK_FAST_PAGE_FAULT] = &ev_type_fast_page_fault,
	[EVK_MMU_SET_ACCESSED_BIT] = &ev_type_kvm_mmu_set_accessed_bit,
	[EVK_MMU_SET_DIRTY_BIT] = &ev_type_kvm_mmu_set_dirty_bit,
	[EVK_TDP_MMU_SPTE_CHANGED] = &ev_type_kvm_tdp_mmu_spte_changed,
	[EVK_MMU_SPLIT_HUGE_PAGE] = &ev_type_kvm_mmu_split_huge_page,
	[EVK_HANDLE_MMIO_PAGE_FAULT] = &ev_type_handle_mmio_page_fault,
	[EVK_MMU_ZAP_ALL_FAST] = &ev_type_kvm_mmu_zap_all_fast,
	[EVK_KVM_EXIT] = &ev_type_kvm_exit,
	[EVK_KVM_ENTRY] = &ev_type_kvm_entry,
	[EVK_KVM_PAGE_FAULT] = &ev_type_kvm_page_fault,
	[EVK_KVM_CR] = &ev_type_kvm_cr,
	[EVK_KVM_EMULATE_INSN] = &ev_type_kvm_emulate_insn,
	[EVK_HOST_PAGE_FAULT] = &ev_type_host_page_fault,
	[EVK_KVM_COUNTS] = &ev_type_kvm_counts,
	[EVK_HOST_GUP_FAULT] = &ev_type_host_gup_fault,
};

const struct ev_type *kvm_ev_type(unsigned id)
{
	return id <= EVK__LAST ? types_by_id[id] : NULL;
}
