// SPDX-License-Identifier: GPL-2.0
/*
 * The four address spaces of one guest virtual address on a live VM:
 * GVA -> GPA with mmu/'s walker over the guest's tables (cross-checked with
 * KVM_TRANSLATE), GPA -> HVA through the memory slot, HVA -> HPA through
 * /proc/self/pagemap, with the host page size from /proc/kpageflags.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "mmu/mmu.h"
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

#define CPUID_MAX_ENTRIES 128

/* One KVM memory slot: guest RAM is slot 0, GPA 0 .. mem_size (vmm/kvm.c). */
struct guest_slot {
	unsigned id;
	gpa_t gpa;
	uint64_t size;
	uint8_t *hva;
};

static bool slot_find(const struct vm *vm, gpa_t gpa, struct guest_slot *s)
{
	if (!vm->mem || gpa >= vm->mem_size)
		return false;
	*s = (struct guest_slot){.id = 0, .gpa = 0, .size = vm->mem_size, .hva = vm->mem};
	return true;
}

/*
 * Guest RAM as the walker's table memory, addressed by GPA. The guest is
 * untrusted: every entry address comes from its tables, so each load is
 * checked against the slot and must be 8-byte aligned. The vCPU may be
 * running (the event drain thread walks then): each entry is one atomic
 * 8-byte load, as the MMU reads it. Read-only: the walk never sets the
 * guest's accessed/dirty bits.
 */
static int guest_read64(void *ctx, uint64_t gpa, uint64_t *val)
{
	struct guest_slot s;

	if (gpa & 7)
		return -EINVAL;
	if (!slot_find(ctx, gpa, &s) || gpa - s.gpa > s.size - 8)
		return -EFAULT;
	*val = __atomic_load_n((const uint64_t *)(s.hva + (gpa - s.gpa)), __ATOMIC_RELAXED);
	return 0;
}

static int guest_write64(void *ctx, uint64_t gpa, uint64_t val)
{
	(void)ctx;
	(void)gpa;
	(void)val;
	return -EPERM;
}

static const struct pt_mem_ops guest_mem_ops = {
	.read64 = guest_read64,
	.write64 = guest_write64,
};

/*
 * MAXPHYADDR as the guest was given it: CPUID 0x80000008 EAX[7:0]. Without
 * that leaf the SDM (Vol. 3A §4.1.4) says 36 for a processor with PAE.
 */
static unsigned guest_maxphyaddr(struct vm *vm)
{
	struct kvm_cpuid2 *cpuid;
	unsigned bits = 36;

	cpuid = calloc(1, sizeof(*cpuid) + CPUID_MAX_ENTRIES * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return bits;
	cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(vm->vcpu_fd, KVM_GET_CPUID2, cpuid) == 0) {
		for (unsigned i = 0; i < cpuid->nent; i++) {
			if (cpuid->entries[i].function == 0x80000008)
				bits = cpuid->entries[i].eax & 0xff;
		}
	}
	free(cpuid);
	if (bits < 32)
		bits = 32;
	if (bits > 52)
		bits = 52;
	return bits;
}

/* The paging mode of @sr (SDM Vol. 3A §4.1), with a MAXPHYADDR already known. */
static struct vm_paging paging_of(const struct kvm_sregs *sr, unsigned maxphyaddr)
{
	return (struct vm_paging){
		.on = (sr->cr0 & CR0_PG) && (sr->cr4 & CR4_PAE) && (sr->efer & EFER_LMA),
		.la57 = sr->cr4 & CR4_LA57,
		.wp = sr->cr0 & CR0_WP,
		.smep = sr->cr4 & CR4_SMEP,
		.smap = sr->cr4 & CR4_SMAP,
		.nxe = sr->efer & EFER_NXE,
		.maxphyaddr = maxphyaddr,
	};
}

void vm_paging_capture(struct vm *vm, const struct kvm_sregs *sr)
{
	vm->paging = paging_of(sr, guest_maxphyaddr(vm));
	/* Opened once, read with pread (no shared offset) from any thread. */
	if (vm->pagemap_fd < 0)
		vm->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (vm->kpageflags_fd < 0)
		vm->kpageflags_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
}

void vm_paging_release(struct vm *vm)
{
	if (vm->pagemap_fd >= 0)
		close(vm->pagemap_fd);
	if (vm->kpageflags_fd >= 0)
		close(vm->kpageflags_fd);
	vm->pagemap_fd = vm->kpageflags_fd = -1;
}

/* The walker's view of a paging mode and a CR3. -ENOTSUP outside 64-bit paging. */
static int walk_cpu_of(const struct vm_paging *pg, uint64_t cr3, struct walk_cpu *cpu)
{
	if (!pg->on)
		return -ENOTSUP;
	*cpu = (struct walk_cpu){
		.root = cr3 & PTE_ADDR_MASK,
		.levels = pg->la57 ? 5 : 4,
		.maxphyaddr = pg->maxphyaddr,
		.wp = pg->wp,
		.smep = pg->smep,
		.smap = pg->smap,
		.nxe = pg->nxe,
		.set_ad = false,
	};
	/* CR3 bits above MAXPHYADDR are not part of the table address. */
	cpu->root &= (1ULL << cpu->maxphyaddr) - 1;
	return 0;
}

/* Copy the walk record into the chain: the levels read, then the result or the fault. */
static void chain_from_walk(struct vm_chain *c, const struct walk *w, int ret)
{
	unsigned last = ret ? w->fault.level : w->leaf_level;

	if (ret && w->fault.kind == WALK_FAULT_MEMORY)
		last++; /* the entry at the failing level was never read */
	if (ret && w->fault.kind == WALK_FAULT_NONCANONICAL)
		last = w->levels + 1; /* no table was read */
	for (unsigned l = w->levels; l >= last && l >= 1 && c->nr_levels < VM_CHAIN_MAX_LEVELS;
	     l--) {
		struct vm_chain_level *lv = &c->level[c->nr_levels++];

		lv->level = l;
		lv->table_gpa = w->lvl[l].table;
		lv->entry_gpa = w->lvl[l].entry_addr;
		lv->entry = w->lvl[l].entry;
		lv->flags = w->lvl[l].flags;
	}
	c->gva_mapped = ret == 0;
	if (ret == 0) {
		c->gpa = w->pa;
		c->guest_page_size = page_size_bytes(w->size);
		return;
	}
	c->fault_kind = (int)w->fault.kind;
	c->fault_level = w->fault.level;
	c->error_code = w->fault.error_code;
	c->fault_addr = w->fault.addr;
}

/* An empty chain for @gva: what a caller records even when no walk could be made. */
static void chain_init(struct vm_chain *c, const struct vm *vm, gva_t gva, uint64_t cr3,
		       unsigned acc)
{
	memset(c, 0, sizeof(*c));
	c->gva = gva;
	c->cr3 = cr3;
	c->access = acc;
	c->backing = vm->cfg.backing;
}

int vm__walk_cr3(struct vm *vm, const struct vm_paging *pg, uint64_t cr3, gva_t gva, unsigned acc,
		 struct vm_chain *c)
{
	struct pt_mem mem = {.ops = &guest_mem_ops, .ctx = vm};
	struct walk_cpu cpu;
	int ret;

	chain_init(c, vm, gva, cr3, acc);
	ret = walk_cpu_of(pg, cr3, &cpu);
	if (ret)
		return ret;
	return vm_chain_walk(&mem, &cpu, gva, acc, c);
}

int vm_chain_walk(const struct pt_mem *mem, const struct walk_cpu *cpu, gva_t gva, unsigned acc,
		  struct vm_chain *c)
{
	struct walk w;
	int ret;

	c->paging_levels = cpu->levels;
	c->maxphyaddr = cpu->maxphyaddr;
	ret = walk__1d(mem, cpu, gva, acc, &w);
	if (ret && ret != -EFAULT)
		return ret;
	chain_from_walk(c, &w, ret);
	return 0;
}

/* The host page behind @c->hva: pagemap, then kpageflags for its size. */
static void host_page(struct vm *vm, struct vm_chain *c)
{
	uint64_t e = 0, flags = 0;

	if (vm->pagemap_fd < 0 || pread(vm->pagemap_fd, &e, 8, (off_t)(c->hva / SZ_4K) * 8) != 8) {
		snprintf(c->host_note, sizeof(c->host_note), "pagemap not readable");
		return;
	}
	c->present = e & PM_PRESENT;
	c->swapped = e & PM_SWAPPED;
	c->soft_dirty = e & PM_SOFT_DIRTY;
	c->exclusive = e & PM_EXCLUSIVE;
	if (!c->present) {
		snprintf(c->host_note, sizeof(c->host_note), "no host page yet (never touched)");
		return;
	}
	if (!(e & PM_PFN_MASK)) {
		snprintf(c->host_note, sizeof(c->host_note),
			 "PFNs hidden: run as root (CAP_SYS_ADMIN) to see host physical addresses");
		return;
	}
	c->hpa_known = true;
	c->hpa = (e & PM_PFN_MASK) * SZ_4K + (c->hva & (SZ_4K - 1));
	if (vm->kpageflags_fd < 0 ||
	    pread(vm->kpageflags_fd, &flags, 8, (off_t)(e & PM_PFN_MASK) * 8) != 8)
		return; /* the backing's page size stands */
	if (flags & (1ULL << KPF_THP))
		c->host_page_size = SZ_2M;
	else if (flags & (1ULL << KPF_HUGE))
		c->host_page_size = c->backing == VM_BACKING_HUGETLB_1G ? SZ_1G : SZ_2M;
	else
		c->host_page_size = SZ_4K;
}

void vm__chain_host(struct vm *vm, struct vm_chain *c)
{
	struct guest_slot s;

	if (!c->gva_mapped)
		return;
	if (!slot_find(vm, c->gpa, &s)) {
		snprintf(c->host_note, sizeof(c->host_note), "GPA outside guest memory");
		return;
	}
	c->slot = s.id;
	c->slot_gpa = s.gpa;
	c->slot_size = s.size;
	c->slot_hva = (hva_t)(uintptr_t)s.hva;
	c->hva = c->slot_hva + (c->gpa - s.gpa);
	c->host_page_size = vm_backing_page_size(c->backing);
	host_page(vm, c);
}

/*
 * KVM_TRANSLATE walks as a supervisor read (its usermode field is always 0
 * on x86), so it is compared with a supervisor-read walk: same validity, and
 * the same GPA when valid. It does not check canonicality either (a #GP is
 * raised before any walk, SDM Vol. 3A §4.5), and indexes the tables with the
 * low 48 (57) bits: a non-canonical address is compared with the walk of its
 * sign-extended form, which reads the same entries.
 */
static void kvm_cross_check(struct vm *vm, const struct vm_paging *pg, struct vm_chain *c)
{
	struct kvm_translation tr = {.linear_address = c->gva};
	const struct vm_chain *w = c;
	struct vm_chain sw;

	if (ioctl(vm->vcpu_fd, KVM_TRANSLATE, &tr) != 0)
		return;
	if (!c->gva_mapped && c->fault_kind == WALK_FAULT_NONCANONICAL) {
		unsigned sh = c->paging_levels == 5 ? 7 : 16;
		gva_t canon = (gva_t)((int64_t)(c->gva << sh) >> sh);

		if (vm__walk_cr3(vm, pg, c->cr3, canon, 0, &sw))
			return;
		w = &sw;
	} else if (c->access != 0) {
		if (vm__walk_cr3(vm, pg, c->cr3, c->gva, 0, &sw))
			return;
		w = &sw;
	}
	c->kvm_checked = true;
	c->kvm_valid = tr.valid;
	c->kvm_gpa = tr.physical_address;
	c->kvm_agrees = c->kvm_valid == w->gva_mapped && (!w->gva_mapped || c->kvm_gpa == w->gpa);
	if (!c->kvm_agrees)
		pr_warn("GVA 0x%" PRIx64 ": KVM_TRANSLATE says %s 0x%" PRIx64
			", the guest walk %s 0x%" PRIx64 "\n",
			c->gva, tr.valid ? "valid," : "invalid", c->kvm_gpa,
			w->gva_mapped ? "gives" : "faults,", w->gva_mapped ? w->gpa : 0);
}

int vm__translate_access(struct vm *vm, gva_t gva, unsigned acc, struct vm_chain *c)
{
	struct kvm_sregs sregs;
	struct vm_paging pg;
	int ret;

	chain_init(c, vm, gva, 0, acc);
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	/* The vCPU is stopped: its live mode, with the MAXPHYADDR captured at start. */
	pg = paging_of(&sregs, vm->paging.maxphyaddr ? vm->paging.maxphyaddr : 36);
	ret = vm__walk_cr3(vm, &pg, sregs.cr3, gva, acc, c);
	if (ret)
		return ret;
	kvm_cross_check(vm, &pg, c);
	vm__chain_host(vm, c);
	return 0;
}

int vm__translate(struct vm *vm, gva_t gva, struct vm_chain *c)
{
	return vm__translate_access(vm, gva, 0, c);
}

gva_t vm__user_entry(const struct vm *vm)
{
	return vm->user_entry;
}

const char *vm_chain_flags_str(uint32_t flags, char *buf, size_t len)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{WALK_F_P, "P"},     {WALK_F_RW, "RW"},	  {WALK_F_US, "US"}, {WALK_F_PWT, "PWT"},
		{WALK_F_PCD, "PCD"}, {WALK_F_A, "A"},	  {WALK_F_D, "D"},   {WALK_F_PS, "PS"},
		{WALK_F_G, "G"},     {WALK_F_PAT, "PAT"}, {WALK_F_NX, "NX"},
	};
	size_t n = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		int k;

		if (!(flags & names[i].bit))
			continue;
		k = snprintf(buf + n, len - n, "%s%s", n ? " " : "", names[i].name);
		if (k < 0 || (size_t)k >= len - n)
			break;
		n += (size_t)k;
	}
	return buf;
}

const char *vm_chain_fault_name(const struct vm_chain *c)
{
	return c->gva_mapped ? "none" : walk_fault_name((enum walk_fault_kind)c->fault_kind);
}

static void chain_levels_json(const struct vm_chain *c, struct json *j)
{
	char flags[64];

	json_arr_begin(j, "guest_walk");
	for (int i = 0; i < c->nr_levels; i++) {
		const struct vm_chain_level *lv = &c->level[i];

		json_obj_begin(j, NULL);
		json_u64(j, "level", lv->level);
		json_hex(j, "table_gpa", lv->table_gpa);
		json_hex(j, "entry_gpa", lv->entry_gpa);
		json_hex(j, "entry", lv->entry);
		json_str(j, "flags", vm_chain_flags_str(lv->flags, flags, sizeof(flags)));
		json_obj_end(j);
	}
	json_arr_end(j);
}

void vm_chain_json(const struct vm_chain *c, struct json *j)
{
	vm_chain_guest_json(c, j);
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

void vm_chain_guest_json(const struct vm_chain *c, struct json *j)
{
	json_hex(j, "gva", c->gva);
	json_hex(j, "cr3", c->cr3);
	json_u64(j, "paging_levels", c->paging_levels);
	json_u64(j, "maxphyaddr", c->maxphyaddr);
	chain_levels_json(c, j);
	json_bool(j, "mapped", c->gva_mapped);
	if (!c->gva_mapped) {
		json_obj_begin(j, "fault");
		json_str(j, "kind", vm_chain_fault_name(c));
		json_u64(j, "level", c->fault_level);
		json_u64(j, "error_code", c->error_code);
		if (c->fault_kind == WALK_FAULT_MEMORY)
			json_hex(j, "addr", c->fault_addr);
		json_obj_end(j);
	}
}
