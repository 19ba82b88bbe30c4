// SPDX-License-Identifier: GPL-2.0
/* The guest page-table snapshot of a run (pagetables.bin), read back, checked and held for walks.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/mmu.h"
#include "mmu/ptsnap.h"

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

/* ---- The tables held for walks ---- */

struct snap_page {
	uint64_t gpa;
	uint64_t e[X86_PAGE_SIZE / 8];
};

struct ptsnap_tables {
	struct pt_mem mem;
	struct snap_page *page; /* sorted by GPA once loaded */
	uint32_t n, cap;
	bool full; /* more than PTSNAP_MAX_PAGES */
};

static int tables_add(void *ctx, const struct ptsnap_page *p)
{
	struct ptsnap_tables *t = ctx;

	if (t->n == PTSNAP_MAX_PAGES) {
		t->full = true;
		return -EFBIG;
	}
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? 2 * t->cap : 64;
		struct snap_page *pg = realloc(t->page, (size_t)cap * sizeof(*pg));

		if (!pg)
			return -ENOMEM;
		t->page = pg;
		t->cap = cap;
	}
	t->page[t->n].gpa = p->gpa;
	memcpy(t->page[t->n].e, p->data, X86_PAGE_SIZE);
	t->n++;
	return 0;
}

static int page_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct snap_page *)a)->gpa, y = ((const struct snap_page *)b)->gpa;

	return x < y ? -1 : x > y;
}

static const struct snap_page *tables_find(const struct ptsnap_tables *t, uint64_t frame)
{
	struct snap_page key = {.gpa = frame};

	return t->n ? bsearch(&key, t->page, t->n, sizeof(*t->page), page_cmp) : NULL;
}

static int tables_read64(void *ctx, uint64_t gpa, uint64_t *val)
{
	const struct snap_page *p;

	if (gpa & 7)
		return -EINVAL;
	p = tables_find(ctx, gpa & ~(uint64_t)X86_PAGE_MASK);
	if (!p)
		return -EFAULT;
	*val = p->e[(gpa & X86_PAGE_MASK) / 8];
	return 0;
}

static int tables_write64(void *ctx, uint64_t gpa, uint64_t val)
{
	(void)ctx;
	(void)gpa;
	(void)val;
	return -EPERM;
}

static const struct pt_mem_ops tables_ops = {
	.read64 = tables_read64,
	.write64 = tables_write64,
};

/* Sorted for the lookups; a frame twice is not what the writer makes. */
static int tables_index(struct ptsnap_tables *t, const char *path, char *err, size_t errlen)
{
	if (t->n)
		qsort(t->page, t->n, sizeof(*t->page), page_cmp);
	for (uint32_t i = 1; i < t->n; i++)
		if (t->page[i].gpa == t->page[i - 1].gpa)
			return snap_bad(err, errlen, path, "a table page's GPA appears twice");
	return 0;
}

struct ptsnap_tables *ptsnap_tables__load(const char *path, struct ptsnap_header *h,
					  struct ptsnap_region *map, char *err, size_t errlen)
{
	struct ptsnap_tables *t = calloc(1, sizeof(*t));
	int ret;

	if (!t) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	t->mem = (struct pt_mem){.ops = &tables_ops, .ctx = t};
	ret = ptsnap_read(path, h, map, tables_add, t, err, errlen);
	if (ret == -EFBIG && t->full)
		ret = snap_bad(err, errlen, path, "more table pages than a guest of 64G has");
	else if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory for its table pages", path);
	if (!ret)
		ret = tables_index(t, path, err, errlen);
	if (ret) {
		ptsnap_tables__free(t);
		errno = -ret;
		return NULL;
	}
	return t;
}

void ptsnap_tables__free(struct ptsnap_tables *t)
{
	if (!t)
		return;
	free(t->page);
	free(t);
}

const struct pt_mem *ptsnap_tables__mem(const struct ptsnap_tables *t)
{
	return &t->mem;
}

uint32_t ptsnap_tables__pages(const struct ptsnap_tables *t)
{
	return t->n;
}
