// SPDX-License-Identifier: GPL-2.0
/* The guest page-table snapshot of a run (pagetables.bin): written from a stopped VM, read back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "common/util.h"
#include "vmm/internal.h"
#include "vmm/ptsnap.h"
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
	static struct ptsnap_page p;

	if (fwrite(&s->h, sizeof(s->h), 1, f) != 1 || fwrite(&r, sizeof(r), 1, f) != 1)
		return -EIO;
	for (size_t i = 0; i < s->n; i++) {
		p.gpa = s->page[i].gpa;
		p.level = s->page[i].level;
		memcpy(p.data, s->vm->mem + p.gpa, sizeof(p.data));
		if (fwrite(&p, sizeof(p), 1, f) != 1)
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

/* ---- reader ---- */

static int snap_bad(char *err, size_t errlen, const char *path, const char *what)
{
	snprintf(err, errlen, "%s: %s", path, what);
	return -EINVAL;
}

static int snap_check_header(const struct ptsnap_header *h, const char *path, char *err,
			     size_t errlen)
{
	if (memcmp(h->magic, PTSNAP_MAGIC, 8))
		return snap_bad(err, errlen, path, "not a page-table snapshot (no MVPTSNAP magic)");
	if (h->version != PTSNAP_VERSION)
		return snap_bad(err, errlen, path, "snapshot version is not 1");
	if (h->header_size != sizeof(*h))
		return snap_bad(err, errlen, path, "snapshot header size is not that of version 1");
	if (h->levels != 4 && h->levels != 5)
		return snap_bad(err, errlen, path, "paging levels are not 4 or 5");
	if (h->maxphyaddr < 32 || h->maxphyaddr > 52)
		return snap_bad(err, errlen, path, "MAXPHYADDR is not in 32..52");
	if (!h->nregions || h->nregions > PTSNAP_MAX_MAP)
		return snap_bad(err, errlen, path, "memory map has no region or more than 16");
	return 0;
}

static bool snap_in_map(const struct ptsnap_region *map, unsigned n, uint64_t gpa)
{
	for (unsigned i = 0; i < n; i++)
		if (gpa >= map[i].gpa && gpa - map[i].gpa < map[i].size &&
		    map[i].size - (gpa - map[i].gpa) >= X86_PAGE_SIZE)
			return true;
	return false;
}

int ptsnap_read(const char *path, struct ptsnap_header *h, struct ptsnap_region *map,
		int (*page)(void *ctx, const struct ptsnap_page *p), void *ctx, char *err,
		size_t errlen)
{
	static struct ptsnap_page p;
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fread(h, sizeof(*h), 1, f) != 1)
		ret = snap_bad(err, errlen, path, "truncated header");
	if (!ret)
		ret = snap_check_header(h, path, err, errlen);
	if (!ret && fread(map, sizeof(*map), h->nregions, f) != h->nregions)
		ret = snap_bad(err, errlen, path, "truncated memory map");
	for (unsigned i = 0; !ret && i < h->nregions; i++)
		if ((map[i].gpa | map[i].size) & (X86_PAGE_SIZE - 1) ||
		    map[i].gpa + map[i].size < map[i].gpa)
			ret = snap_bad(err, errlen, path,
				       "memory-map region not 4K aligned or wraps");
	for (uint32_t i = 0; !ret && i < h->npages; i++) {
		if (fread(&p, sizeof(p), 1, f) != 1)
			ret = snap_bad(err, errlen, path,
				       "truncated: fewer table pages than the header says");
		else if ((p.gpa & (X86_PAGE_SIZE - 1)) || !snap_in_map(map, h->nregions, p.gpa))
			ret = snap_bad(err, errlen, path,
				       "table page outside the memory map or misaligned");
		else if (p.level < 1 || p.level > h->levels)
			ret = snap_bad(err, errlen, path, "table page level out of range");
		else
			ret = page(ctx, &p);
	}
	if (!ret && fgetc(f) != EOF)
		ret = snap_bad(err, errlen, path, "data after the last table page");
	if (!ret && ferror(f))
		ret = snap_bad(err, errlen, path, "read error");
	fclose(f);
	return ret;
}
