// SPDX-License-Identifier: GPL-2.0
/*
 * Which structure translates a guest's addresses in each host MMU mode: the
 * line `memvirt explain` and `run --chains` print, and the JSON they record.
 */
#include "common/json.h"
#include "host/host.h"
#include "vmm/vmm.h"

/*
 * Shadow paging (KVM's shadow MMU): the CPU walks KVM's shadow table, which
 * maps GVA straight to HPA; the guest's own tables are only its source, which
 * KVM write-protects and copies. NPT/EPT (AMD APM Vol. 2 §15.25, Intel SDM
 * Vol. 3C §29.3): the CPU walks the guest's tables for GVA->GPA and KVM's
 * nested table for GPA->HPA, the two together in one two-dimensional walk.
 */
const char *vm_translation_text(const struct host_info *h)
{
	switch (h->mmu_mode) {
	case HOST_MMU_SHADOW:
		return "host KVM: shadow paging: the CPU walks KVM's shadow table, GVA->HPA;\n"
		       "the guest's tables are its source, write-protected and copied by KVM";
	case HOST_MMU_NPT:
		return "host KVM: nested paging: the CPU walks the guest's tables, GVA->GPA,\n"
		       "then KVM's NPT, GPA->HPA, in one two-dimensional walk";
	case HOST_MMU_EPT:
		return "host KVM: nested paging: the CPU walks the guest's tables, GVA->GPA,\n"
		       "then KVM's EPT, GPA->HPA, in one two-dimensional walk";
	default:
		return "host KVM: MMU mode unknown: which table the CPU walks is not known";
	}
}

static void structure(struct json *j, const char *name, const char *maps, const char *role)
{
	json_obj_begin(j, NULL);
	json_str(j, "table", name);
	json_str(j, "maps", maps);
	json_str(j, "role", role);
	json_obj_end(j);
}

void vm_translation_json(const struct host_info *h, struct json *j)
{
	const char *mode = host_mmu_mode_name(h->mmu_mode);

	json_obj_begin(j, "translation");
	json_str(j, "mode", mode);
	json_arr_begin(j, "tables");
	switch (h->mmu_mode) {
	case HOST_MMU_SHADOW:
		structure(j, "shadow", "GVA->HPA", "walked by the CPU");
		structure(j, "guest", "GVA->GPA", "source: write-protected and copied by KVM");
		break;
	case HOST_MMU_NPT:
	case HOST_MMU_EPT:
		structure(j, "guest", "GVA->GPA", "walked by the CPU");
		structure(j, mode, "GPA->HPA", "walked by the CPU");
		break;
	default:
		break;
	}
	json_arr_end(j);
	json_obj_end(j);
}
