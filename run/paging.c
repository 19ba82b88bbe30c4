// SPDX-License-Identifier: GPL-2.0
/* --paging against the host's KVM MMU mode, and --reload-kvm to switch it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "run/internal.h"

const char *run_paging_name(enum run_paging p)
{
	return p == RUN_PAGING_SHADOW ? "shadow" : p == RUN_PAGING_TDP ? "tdp" : "auto";
}

int run_paging_parse(const char *s)
{
	for (int p = RUN_PAGING_AUTO; p <= RUN_PAGING_TDP; p++) {
		if (!strcmp(s, run_paging_name(p)))
			return p;
	}
	return -1;
}

/*
 * The paging mode asked for against the one the host KVM uses: the mode is
 * a module parameter, so a mismatch names it and the commands that switch it.
 */
static int check_paging(enum run_paging want, const struct host_info *h, char *err, size_t len)
{
	bool tdp = h->mmu_mode == HOST_MMU_EPT || h->mmu_mode == HOST_MMU_NPT;
	char hint[128];

	if (want == RUN_PAGING_AUTO || (want == RUN_PAGING_TDP) == tdp)
		return 0;
	if (h->mmu_mode == HOST_MMU_UNKNOWN) {
		snprintf(err, len,
			 "--paging %s: this host's KVM MMU mode is unknown (no kvm_intel, "
			 "kvm_amd or kvm_pvm module): use --paging auto",
			 run_paging_name(want));
		return -ENOTSUP;
	}
	if (!host_mmu_switch_hint(h, hint, sizeof(hint))) {
		snprintf(err, len,
			 "--paging %s: this host's KVM (%s) uses %s paging only and cannot "
			 "switch: use --paging %s or auto, or 'memvirt sim --paging nested'",
			 run_paging_name(want), host_kvm_vendor_name(h->vendor),
			 host_mmu_mode_name(h->mmu_mode), tdp ? "tdp" : "shadow");
		return -ENOTSUP;
	}
	snprintf(err, len,
		 "--paging %s: this host's KVM uses %s (%s=%s); switch with '%s' "
		 "(no VM may be running)",
		 run_paging_name(want), host_mmu_mode_name(h->mmu_mode), h->mmu_param,
		 h->mmu_param_value, hint);
	return -ENOTSUP;
}

/*
 * --reload-kvm: when the host's mode differs from the one asked for, reload
 * the vendor module with the parameter that switches it (host/kvmreload.c).
 * The host keeps the new mode after the run.
 */
enum run_fail run_paging_check(const struct run_config *c, struct run_outcome *o)
{
	struct kvm_reload_tools tools;
	struct host_info *h = &o->host;

	if (!check_paging(c->paging, h, o->error, sizeof(o->error)))
		return RUN_OK;
	if (!c->reload_kvm)
		return RUN_FAIL_HOST_PAGING;
	kvm_reload_tools_default(&tools);
	if (kvm_reload_mmu(h, &tools, c->paging == RUN_PAGING_TDP, &o->reload, o->error,
			   sizeof(o->error)))
		return RUN_FAIL_HOST_RELOAD;
	if (o->reload.reloaded)
		pr_warn("reloaded %s with %s: the host KVM now uses %s paging (it was %s), and "
			"keeps it after this run\n",
			o->reload.module, o->reload.param, host_mmu_mode_name(o->reload.to),
			host_mmu_mode_name(o->reload.from));
	return check_paging(c->paging, h, o->error, sizeof(o->error)) ? RUN_FAIL_HOST_PAGING
								      : RUN_OK;
}
