/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which rule a KVM count follows on this host: the MMU mode, probed at run
 * time as memvirt probes it (vmm/host.c), decides whether the guest's own
 * page faults reach KVM at all.
 *
 * - Shadow paging (kvm_amd npt=0, kvm_intel ept=0, kvm_pvm): KVM intercepts
 *   every guest #PF to keep its shadow table in step, so each guest fault is
 *   one vCPU pf_guest (KVM reflects it into the guest). pf_fixed counts
 *   KVM's own shadow faults.
 * - Nested paging (NPT/EPT): the guest's #PFs are delivered by the CPU
 *   without an exit, so pf_guest stays 0; pf_fixed counts NPT/EPT
 *   violations that KVM fixed.
 */
#ifndef MEMVIRT_TEST_KVM_MODE_H
#define MEMVIRT_TEST_KVM_MODE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "host/host.h"

static inline const struct host_info *test_host(void)
{
	static struct host_info hi;
	static int probed;

	if (!probed) {
		host_info_probe(&hi, "/");
		probed = 1;
		fprintf(stderr, "note: host KVM MMU mode: %s, CPU %s\n",
			host_mmu_mode_name(hi.mmu_mode), hi.cpu_model);
	}
	return &hi;
}

/* true when the host KVM translates GPAs with NPT or EPT, false for shadow paging. */
static inline bool host_tdp(void)
{
	enum host_mmu_mode m = test_host()->mmu_mode;

	return m == HOST_MMU_NPT || m == HOST_MMU_EPT;
}

/*
 * true when this host's CPU is emulated (QEMU TCG, as in `memvirt lab`):
 * counts are real KVM behaviour there, times are not a real CPU's.
 */
static inline bool host_cpu_emulated(void)
{
	return strstr(test_host()->cpu_model, "TCG") != NULL;
}

/*
 * true when the host's THP mode is "always": then anonymous guest memory may
 * sit in a huge host page that a neighbour's write (or the VMM's own, for the
 * guest's tables) already made present and writable, so a first read of a 4K
 * page there needs no zero-page mapping and one NPT fault less. Where and how
 * often depends on how the mapping falls on 2M boundaries, which varies.
 */
static inline bool host_thp_always(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	return strstr(buf, "[always]") != NULL;
}

/* pf_guest for @faults guest page faults: all of them in shadow mode, none with NPT/EPT. */
static inline uint64_t want_pf_guest(uint64_t faults)
{
	return host_tdp() ? 0 : faults;
}

#endif
