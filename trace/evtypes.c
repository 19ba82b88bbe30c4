// SPDX-License-Identifier: GPL-2.0
/* Descriptors of the guest-channel and VMM record types: name, source, body size, fields. */
#include <stddef.h>

#include "trace/evfile.h"

#define F(st, m, k)                              \
	{                                        \
#m, k, offsetof(struct st, m), 1 \
	}
#define FA(st, m, k, n)                          \
	{                                        \
#m, k, offsetof(struct st, m), n \
	}
#define TYPE(var, tid, src, st, nm, tbl)                            \
	const struct ev_type var = {.id = tid,                      \
				    .source = src,                  \
				    .body_size = sizeof(struct st), \
				    .name = nm,                     \
				    .fields = tbl,                  \
				    .nfields = sizeof(tbl) / sizeof(tbl[0])}

_Static_assert(sizeof(struct ev_guest_fault) % 8 == 0, "bodies are multiples of 8");
_Static_assert(sizeof(struct ev_guest_map) % 8 == 0, "bodies are multiples of 8");
_Static_assert(sizeof(struct ev_guest_as) % 8 == 0, "bodies are multiples of 8");
_Static_assert(sizeof(struct ev_guest_tlb_flush) % 8 == 0, "bodies are multiples of 8");
_Static_assert(sizeof(struct ev_vmm_chain) % 8 == 0, "bodies are multiples of 8");
_Static_assert(sizeof(struct ev_vmm_memslot) % 8 == 0, "bodies are multiples of 8");

static const struct ev_field guest_fault_fields[] = {
	F(ev_guest_fault, cr2, EV_K_X64),	 F(ev_guest_fault, rip, EV_K_X64),
	F(ev_guest_fault, gpa, EV_K_X64),	 F(ev_guest_fault, cr3, EV_K_X64),
	F(ev_guest_fault, error_code, EV_K_U32), F(ev_guest_fault, page_shift, EV_K_U32),
};

static const struct ev_field guest_map_fields[] = {
	F(ev_guest_map, va, EV_K_X64),	       F(ev_guest_map, len, EV_K_U64),
	F(ev_guest_map, cr3, EV_K_X64),	       F(ev_guest_map, prot, EV_K_U32),
	F(ev_guest_map, page_shift, EV_K_U32),
};

static const struct ev_field guest_as_fields[] = {
	F(ev_guest_as, cr3, EV_K_X64),
	F(ev_guest_as, prev_cr3, EV_K_X64),
	F(ev_guest_as, pid, EV_K_U32),
};

static const struct ev_field guest_tlb_flush_fields[] = {
	F(ev_guest_tlb_flush, va, EV_K_X64),
	F(ev_guest_tlb_flush, cr3, EV_K_X64),
	F(ev_guest_tlb_flush, kind, EV_K_U32),
};

static const struct ev_field vmm_chain_fields[] = {
	F(ev_vmm_chain, gva, EV_K_X64),	       F(ev_vmm_chain, gpa, EV_K_X64),
	F(ev_vmm_chain, hva, EV_K_X64),	       F(ev_vmm_chain, hpa, EV_K_X64),
	F(ev_vmm_chain, cr3, EV_K_X64),	       FA(ev_vmm_chain, entry, EV_K_X64, 5),
	F(ev_vmm_chain, levels, EV_K_U32),     F(ev_vmm_chain, guest_shift, EV_K_U32),
	F(ev_vmm_chain, host_shift, EV_K_U32), F(ev_vmm_chain, flags, EV_K_U32),
};

static const struct ev_field vmm_memslot_fields[] = {
	F(ev_vmm_memslot, gpa, EV_K_X64),   F(ev_vmm_memslot, size, EV_K_U64),
	F(ev_vmm_memslot, hva, EV_K_X64),   F(ev_vmm_memslot, slot, EV_K_U32),
	F(ev_vmm_memslot, flags, EV_K_U32),
};

TYPE(ev_type_guest_fault, EV_GUEST_FAULT, EV_SRC_GUEST, ev_guest_fault, "guest_fault",
     guest_fault_fields);
TYPE(ev_type_guest_map, EV_GUEST_MAP, EV_SRC_GUEST, ev_guest_map, "guest_map", guest_map_fields);
TYPE(ev_type_guest_unmap, EV_GUEST_UNMAP, EV_SRC_GUEST, ev_guest_map, "guest_unmap",
     guest_map_fields);
TYPE(ev_type_guest_protect, EV_GUEST_PROTECT, EV_SRC_GUEST, ev_guest_map, "guest_protect",
     guest_map_fields);
TYPE(ev_type_guest_as_create, EV_GUEST_AS_CREATE, EV_SRC_GUEST, ev_guest_as, "guest_as_create",
     guest_as_fields);
TYPE(ev_type_guest_as_switch, EV_GUEST_AS_SWITCH, EV_SRC_GUEST, ev_guest_as, "guest_as_switch",
     guest_as_fields);
TYPE(ev_type_guest_tlb_flush, EV_GUEST_TLB_FLUSH, EV_SRC_GUEST, ev_guest_tlb_flush,
     "guest_tlb_flush", guest_tlb_flush_fields);
TYPE(ev_type_vmm_chain, EV_VMM_CHAIN, EV_SRC_VMM, ev_vmm_chain, "vmm_chain", vmm_chain_fields);
TYPE(ev_type_vmm_memslot, EV_VMM_MEMSLOT, EV_SRC_VMM, ev_vmm_memslot, "vmm_memslot",
     vmm_memslot_fields);
