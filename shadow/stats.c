// SPDX-License-Identifier: GPL-2.0
/* The shadow MMU model's counters by KVM name, for printing and validation against KVM. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "shadow/shadow.h"

#define STAT(name, gauge, source)                                         \
	{                                                                 \
#name, offsetof(struct shadow_stats, name), gauge, source \
	}

static const struct shadow_stat_desc stat_table[] = {
	STAT(pf_taken, false, "vcpu"),
	STAT(pf_fixed, false, "vcpu"),
	STAT(pf_guest, false, "vcpu"),
	STAT(pf_emulate, false, "vcpu"),
	STAT(pf_spurious, false, "vcpu"),
	STAT(invlpg, false, "vcpu"),
	STAT(tlb_flush, false, "vcpu"),
	STAT(mmu_cache_miss, false, "vm"),
	STAT(mmu_pte_write, false, "vm"),
	STAT(mmu_flooded, false, "vm"),
	STAT(mmu_pde_zapped, false, "vm"),
	STAT(mmu_shadow_zapped, false, "vm"),
	STAT(mmu_recycled, false, "vm"),
	STAT(mmu_unsync, true, "vm"),
	STAT(pages_4k, true, "vm"),
	STAT(pages_2m, true, "vm"),
	STAT(pages_1g, true, "vm"),
	STAT(kvm_mmu_get_page_created, false, "tracepoint"),
	STAT(kvm_mmu_get_page_found, false, "tracepoint"),
	STAT(kvm_mmu_sync_page, false, "tracepoint"),
	STAT(kvm_mmu_unsync_page, false, "tracepoint"),
	STAT(kvm_mmu_prepare_zap_page, false, "tracepoint"),
};

const struct shadow_stat_desc *shadow_stat_table(size_t *n)
{
	*n = sizeof(stat_table) / sizeof(stat_table[0]);
	return stat_table;
}

int shadow_stat_get(const struct shadow_stats *st, const char *name, uint64_t *val)
{
	for (size_t i = 0; i < sizeof(stat_table) / sizeof(stat_table[0]); i++) {
		if (strcmp(stat_table[i].name, name))
			continue;
		memcpy(val, (const char *)st + stat_table[i].offset, sizeof(*val));
		return 0;
	}
	return -ENOENT;
}
