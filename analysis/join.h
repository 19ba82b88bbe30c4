/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's view joined to KVM's and the host's: for each guest page fault,
 * the KVM guest page-table walk that followed it, the shadow entry KVM
 * installed for the frame, and the host fault that backed the frame.
 */
#ifndef MEMVIRT_TRACE_JOIN_H
#define MEMVIRT_TRACE_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/analysis.h"
#include "trace/evfile.h"

/* One guest fault and what the other layers did for it. Times are CLOCK_MONOTONIC ns. */
struct ev_joined {
	/* the guest_fault record */
	uint64_t cr2, rip, gpa, cr3;
	uint32_t error_code, page_shift;
	uint16_t cpu;
	uint64_t t_fault;
	/* the first kvm_mmu_walk of the same 4K page at or after the fault */
	bool has_walk;
	uint64_t t_walk, walk_addr;
	uint32_t walk_levels, walk_error;
	uint64_t walk_pte[5];
	/*
	 * the first kvm_mmu_set_spte mapping the fault's 4K frame (at 4K, 2M or
	 * 1G) at or after the fault; else the last before it (spte_before: the
	 * frame was mapped already, by a fault in the same huge page, prefetch or
	 * the guest kernel's own touch). With TDP (nested paging) it is the
	 * NPT/EPT entry of the GPA, and the fault that set it an NPT/EPT fault.
	 */
	bool has_spte, spte_before;
	uint64_t t_spte, spte;
	uint32_t spte_level;
	/* the host VA of gpa (from vmm_memslot or vmm_chain records) */
	bool hva_known;
	uint64_t hva;
	/* the host fault on that 4K host page nearest in time to the guest fault:
	 * host_page_fault (exception path) or host_gup_fault (KVM's get_user_pages) */
	bool has_host, host_gup;
	uint64_t t_host, host_addr;
	/* the host frame, from the kvm_mmu_spte_requested that mapped the frame (chosen as the
	 * SPTE)
	 */
	bool has_hpa;
	uint64_t hpa;
};

struct ev_join;

/*
 * Read the rest of @r and join. Returns 0, or -1 when the file is bad or
 * truncated (ev_reader_error says why; *j still joins what was read), or
 * -ENOMEM with *j NULL. Memory grows with the number of guest faults (56
 * bytes each), KVM walks, set_spte records and host faults (88 bytes each).
 */
int ev_join_read(struct ev_reader *r, struct ev_join **j);
void ev_join_free(struct ev_join *j);
/* The joined guest faults, in time order: index 0 .. ev_join_count() - 1. ev_join_get's
 * answer is built on each call and valid until the next call on @j. */
size_t ev_join_count(const struct ev_join *j);
const struct ev_joined *ev_join_get(const struct ev_join *j, size_t i);
/* Guest faults, and how many of them have a KVM walk and a host fault. */
void ev_join_totals(const struct ev_join *j, uint64_t *faults, uint64_t *with_walk,
		    uint64_t *with_host);
/* Guest faults joined to a KVM SPTE (shadow entry, or NPT/EPT entry under TDP). */
uint64_t ev_join_with_spte(const struct ev_join *j);
/* The file is of nested paging: TDP MMU records and no guest walk of a fault. */
bool ev_join_tdp(const struct ev_join *j);
/* One line per guest fault: "GVA -> GPA (guest) | KVM walk N levels, SPTE level L | host fault
 * HVA". */
void ev_join_print(const struct ev_join *j, FILE *out);

#endif
