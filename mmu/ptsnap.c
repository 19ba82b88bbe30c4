// SPDX-License-Identifier: GPL-2.0
/* The guest page-table snapshot of a run (pagetables.bin), read back and checked. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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
