// SPDX-License-Identifier: GPL-2.0
/*
 * The four address spaces of one guest virtual address on a live VM:
 * GVA -> GPA by walking the guest's tables (cross-checked with
 * KVM_TRANSLATE), GPA -> HVA through the memory slot, HVA -> HPA through
 * /proc/self/pagemap, with the host page size from /proc/kpageflags.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"
#include "vmm/internal.h"

/* /proc/self/pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst). */
#define PM_PFN_MASK   ((1ULL << 55) - 1)
#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_EXCLUSIVE  (1ULL << 56)
#define PM_SWAPPED    (1ULL << 62)
#define PM_PRESENT    (1ULL << 63)
/* /proc/kpageflags bits. */
#define KPF_HUGE 17
#define KPF_THP	 22

/* Guest walk from CR3, SDM Vol. 3A 4.5, recording every level. */
static int walk_guest(struct vm *vm, uint64_t cr3, struct vm_chain *c)
{
	gpa_t table = cr3 & MV_PTE_ADDR;

	for (int l = 4; l >= 1; l--) {
		int shift = 12 + 9 * (l - 1);
		unsigned idx = (c->gva >> shift) & 511;
		const uint64_t *t = vm__gpa_to_hva(vm, table, SZ_4K);
		struct vm_chain_level *lv = &c->level[c->nr_levels++];

		if (!t)
			return -EFAULT;
		lv->table_gpa = table;
		lv->entry_gpa = table + idx * 8;
		lv->entry = t[idx];
		if (!(lv->entry & MV_PTE_P))
			return -ENOENT;
		if (l == 1 || (l <= 3 && (lv->entry & MV_PTE_PS))) {
			uint64_t mask = (1ULL << shift) - 1;

			c->guest_page_size = 1ULL << shift;
			c->gpa = ((lv->entry & MV_PTE_ADDR) & ~mask) | (c->gva & mask);
			return 0;
		}
		table = lv->entry & MV_PTE_ADDR;
	}
	return -EFAULT;
}

static void host_side(struct vm_chain *c)
{
	uint64_t e = 0, flags = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || pread(fd, &e, 8, (off_t)(c->hva / SZ_4K) * 8) != 8) {
		snprintf(c->host_note, sizeof(c->host_note), "pagemap not readable");
		goto out;
	}
	c->present = e & PM_PRESENT;
	c->swapped = e & PM_SWAPPED;
	c->soft_dirty = e & PM_SOFT_DIRTY;
	c->exclusive = e & PM_EXCLUSIVE;
	if (!c->present) {
		snprintf(c->host_note, sizeof(c->host_note), "no host page yet (never touched)");
		goto out;
	}
	if (!(e & PM_PFN_MASK)) {
		snprintf(c->host_note, sizeof(c->host_note),
			 "PFNs hidden: run as root (CAP_SYS_ADMIN) to see host physical addresses");
		goto out;
	}
	c->hpa_known = true;
	c->hpa = (e & PM_PFN_MASK) * SZ_4K + (c->hva & (SZ_4K - 1));
	c->host_page_size = SZ_4K;
	close(fd);
	fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && pread(fd, &flags, 8, (off_t)(e & PM_PFN_MASK) * 8) == 8) {
		if (flags & (1ULL << KPF_THP))
			c->host_page_size = SZ_2M;
		else if (flags & (1ULL << KPF_HUGE))
			c->host_page_size = c->backing == VM_BACKING_HUGETLB_1G ? SZ_1G : SZ_2M;
	}
out:
	if (fd >= 0)
		close(fd);
}

int vm__translate(struct vm *vm, gva_t gva, struct vm_chain *c)
{
	struct kvm_sregs sregs;
	struct kvm_translation tr = {.linear_address = gva};
	int ret;

	memset(c, 0, sizeof(*c));
	c->gva = gva;
	c->backing = vm->cfg.backing;
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	c->cr3 = sregs.cr3;
	ret = walk_guest(vm, sregs.cr3, c);
	c->gva_mapped = ret == 0;
	if (ioctl(vm->vcpu_fd, KVM_TRANSLATE, &tr) == 0) {
		c->kvm_checked = true;
		c->kvm_valid = tr.valid;
		c->kvm_gpa = tr.physical_address;
		/* KVM_TRANSLATE's usermode field is always 0 on x86: compare addresses only. */
		c->kvm_agrees =
			c->kvm_valid == c->gva_mapped && (!c->gva_mapped || c->kvm_gpa == c->gpa);
	}
	if (!c->gva_mapped)
		return 0;
	c->hva = (hva_t)(uintptr_t)vm__gpa_to_hva(vm, c->gpa, 1);
	if (!c->hva) {
		snprintf(c->host_note, sizeof(c->host_note), "GPA outside guest memory");
		return 0;
	}
	c->slot = 0;
	host_side(c);
	return 0;
}

void vm_chain_json(const struct vm_chain *c, struct json *j)
{
	json_hex(j, "gva", c->gva);
	json_hex(j, "cr3", c->cr3);
	json_arr_begin(j, "guest_walk");
	for (int i = 0; i < c->nr_levels; i++) {
		json_obj_begin(j, NULL);
		json_u64(j, "level", (uint64_t)(4 - i));
		json_hex(j, "table_gpa", c->level[i].table_gpa);
		json_hex(j, "entry_gpa", c->level[i].entry_gpa);
		json_hex(j, "entry", c->level[i].entry);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_bool(j, "mapped", c->gva_mapped);
	if (c->kvm_checked) {
		json_bool(j, "kvm_translate_valid", c->kvm_valid);
		json_hex(j, "kvm_translate_gpa", c->kvm_gpa);
		json_bool(j, "kvm_translate_agrees", c->kvm_agrees);
	}
	if (!c->gva_mapped)
		return;
	json_hex(j, "gpa", c->gpa);
	json_u64(j, "guest_page_size_bytes", c->guest_page_size);
	json_u64(j, "slot", c->slot);
	json_hex(j, "hva", c->hva);
	json_bool(j, "host_present", c->present);
	json_bool(j, "host_swapped", c->swapped);
	json_bool(j, "host_soft_dirty", c->soft_dirty);
	json_bool(j, "host_exclusive", c->exclusive);
	if (c->hpa_known) {
		json_hex(j, "hpa", c->hpa);
		json_u64(j, "host_page_size_bytes", c->host_page_size);
	} else {
		json_null(j, "hpa");
	}
	if (c->host_note[0])
		json_str(j, "host_note", c->host_note);
}
