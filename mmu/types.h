/* SPDX-License-Identifier: GPL-2.0 */
/* Address-space types shared by the MMU model and its users: one integer type per space. */
#ifndef MEMVIRT_MMU_TYPES_H
#define MEMVIRT_MMU_TYPES_H

#include <stdint.h>

/* Guest virtual, guest physical, host virtual and host physical addresses; guest and host frames.
 */
typedef uint64_t gva_t, gpa_t, hva_t, hpa_t, gfn_t, pfn_t;

#define MMU_PAGE_SHIFT 12
#define MMU_PAGE_SIZE  4096ULL

static inline gfn_t gpa_to_gfn(gpa_t gpa)
{
	return gpa >> MMU_PAGE_SHIFT;
}

static inline gpa_t gfn_to_gpa(gfn_t gfn)
{
	return gfn << MMU_PAGE_SHIFT;
}

static inline pfn_t hpa_to_pfn(hpa_t hpa)
{
	return hpa >> MMU_PAGE_SHIFT;
}

static inline hpa_t pfn_to_hpa(pfn_t pfn)
{
	return pfn << MMU_PAGE_SHIFT;
}

#endif
