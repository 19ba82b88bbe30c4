// SPDX-License-Identifier: GPL-2.0
/* The guest page-table snapshot of a run (pagetables.bin), written from a stopped VM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "common/util.h"
#include "mmu/ptsnap.h"
#include "vmm/internal.h"
#include "vmm/vmm.h"
#include "workloads/abi.h"

/* The tables found so far: GPA and level, each frame once. */
struct snap {
	const struct vm *vm;
	uint64_t *seen; /* bitmap over guest frames */
	struct {
		uint64_t gpa;
		uint32_t level;
	} * page;
	size_t n, cap;
	uint64_t addr_mask; /* entry address bits below MAXPHYADDR */
	struct ptsnap_header h;
	struct ptsnap_page out; /* the page being written */
};

/* A table the guest points at: inside guest RAM, 4K aligned, not seen yet. */
static bool snap_take(struct snap *s, uint64_t gpa)
{
	uint64_t fn = gpa / X86_PAGE_SIZE;

	if ((gpa & (X86_PAGE_SIZE - 1)) || gpa >= s->vm->mem_size ||
	    s->vm->mem_size - gpa < X86_PAGE_SIZE)
		return false;
	if (s->seen[fn / 64] & (1ULL << (fn % 64)))
		return false;
	s->seen[fn / 64] |= 1ULL << (fn % 64);
	return true;
}

/*
 * Depth-first from the root: every present non-leaf entry names the next
 * table (SDM Vol. 3A §4.5: PS in a PDPTE or PDE makes it a leaf). Depth is
 * bounded by the level count and each frame is taken once, so a hostile
 * guest's loops and shared tables cost nothing extra.
 */
static int snap_walk(struct snap *s, uint64_t gpa, unsigned level)
{
	const uint64_t *t;

	if (!snap_take(s, gpa))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		void *p = realloc(s->page, cap * sizeof(*s->page));

		if (!p)
			return -ENOMEM;
		s->page = p;
		s->cap = cap;
	}
	s->page[s->n].gpa = gpa;
	s->page[s->n++].level = level;
	if (level == 1)
		return 0;
	t = (const uint64_t *)(s->vm->mem + gpa);
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = __atomic_load_n(&t[i], __ATOMIC_RELAXED);
		int err;

		if (!(e & PTE_P) || (level <= 3 && (e & PTE_PS)))
			continue;
		err = snap_walk(s, e & s->addr_mask, level - 1);
		if (err)
			return err;
	}
	return 0;
}

static int snap_fill(FILE *f, void *arg)
{
	struct snap *s = arg;
	struct ptsnap_region r = {.gpa = 0, .size = s->vm->mem_size, .type = 1};
	struct ptsnap_page *p = &s->out;

	if (fwrite(&s->h, sizeof(s->h), 1, f) != 1 || fwrite(&r, sizeof(r), 1, f) != 1)
		return -EIO;
	for (size_t i = 0; i < s->n; i++) {
		p->gpa = s->page[i].gpa;
		p->level = s->page[i].level;
		memcpy(p->data, s->vm->mem + p->gpa, sizeof(p->data));
		if (fwrite(p, sizeof(*p), 1, f) != 1)
			return -EIO;
	}
	return 0;
}

int vm__ptsnap_write(struct vm *vm, const char *dir, char *err, size_t errlen)
{
	struct snap s = {.vm = vm};
	struct kvm_sregs sr;
	char path[600];
	int ret;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sr) < 0) {
		snprintf(err, errlen, "page-table snapshot: KVM_GET_SREGS: %s", strerror(errno));
		return -errno;
	}
	if (!vm->paging.on || !vm->mem) {
		snprintf(err, errlen, "page-table snapshot: the guest is not in 64-bit paging");
		return -EINVAL;
	}
	s.addr_mask = PTE_ADDR_MASK & ((1ULL << vm->paging.maxphyaddr) - 1);
	s.seen = calloc(vm->mem_size / X86_PAGE_SIZE / 64 + 1, sizeof(*s.seen));
	if (!s.seen)
		return -ENOMEM;
	memcpy(s.h.magic, PTSNAP_MAGIC, 8);
	s.h.version = PTSNAP_VERSION;
	s.h.header_size = sizeof(s.h);
	s.h.cr3 = sr.cr3;
	s.h.levels = vm->paging.la57 ? 5 : 4;
	s.h.maxphyaddr = vm->paging.maxphyaddr;
	s.h.nregions = 1;
	s.h.wl_kind = vm->cfg.wl.kind;
	s.h.wl_nproc = vm->cfg.wl.nproc;
	s.h.wl_footprint = vm->cfg.wl.footprint;
	s.h.wl_iters = vm->cfg.wl.iters;
	s.h.wl_page_size = vm->cfg.wl.page_size;
	s.h.wl_seed = vm->cfg.wl.seed;
	s.h.wl_stride = vm->cfg.wl.stride;
	s.h.data_gva = MV_MMAP_BASE; /* the workload's first mmap; 1G aligned */
	ret = snap_walk(&s, sr.cr3 & s.addr_mask, s.h.levels);
	s.h.npages = (uint32_t)s.n;
	snprintf(path, sizeof(path), "%s/%s", dir, PTSNAP_FILE);
	if (!ret)
		ret = write_file_atomic(path, snap_fill, &s, false);
	if (ret)
		snprintf(err, errlen, "page-table snapshot %s: %s", path, strerror(-ret));
	free(s.page);
	free(s.seen);
	return ret;
}
