// SPDX-License-Identifier: GPL-2.0
/* A run directory as the machine's input: the guest's own page tables from its snapshot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/mmu.h"
#include "mmu/ptsnap.h"
#include "sim/internal.h"

static int run_page(void *ctx, const struct ptsnap_page *p)
{
	struct ptmem *guest = ctx;
	const uint64_t *e = (const uint64_t *)p->data;
	int err = 0;

	for (unsigned i = 0; guest && !err && i < 512; i++)
		err = ptmem__write64(guest, p->gpa + 8 * i, e[i]);
	return err;
}

int sim_run_load(const char *dir, struct ptmem *guest, struct ptsnap_header *h, uint64_t *mem_end,
		 char *err, size_t errlen)
{
	struct ptsnap_region map[PTSNAP_MAX_MAP];
	char path[600];
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, PTSNAP_FILE) >= (int)sizeof(path)) {
		snprintf(err, errlen, "--run %s: path too long", dir);
		return -EINVAL;
	}
	rc = ptsnap_read(path, h, map, run_page, guest, err, errlen);
	*mem_end = 0;
	for (unsigned i = 0; !rc && i < h->nregions; i++)
		if (map[i].gpa + map[i].size > *mem_end)
			*mem_end = map[i].gpa + map[i].size;
	if (!rc && *mem_end > SIM_GUEST_LIMIT) {
		snprintf(err, errlen, "--run %s: guest memory above 64G is not simulated", dir);
		return -EINVAL;
	}
	if (rc == -ENOENT)
		snprintf(err, errlen,
			 "--run %s: no %s: the run is older than page-table snapshots "
			 "or did not start: repeat it with 'memvirt run'",
			 dir, PTSNAP_FILE);
	else if (rc && rc != -EINVAL)
		snprintf(err, errlen, "--run %s: loading %s: %s", dir, PTSNAP_FILE, strerror(-rc));
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t count_distinct(uint64_t *v, size_t n)
{
	uint64_t d = 0;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < n; i++)
		d += !i || v[i] != v[i - 1];
	return d;
}

uint64_t sim_run_leaf_tables(struct ptmem *guest, uint64_t root, unsigned levels,
			     unsigned maxphyaddr, gva_t gva, uint64_t len, uint64_t *large)
{
	struct walk_cpu cpu = {
		.root = root, .levels = levels, .maxphyaddr = maxphyaddr, .nxe = true};
	size_t n = 0, cap = (size_t)(len >> 21) + 2;
	uint64_t *tables = calloc(cap, sizeof(*tables)), d;
	struct walk w;

	*large = 0;
	if (!tables)
		return 0;
	for (uint64_t off = 0; off < len && n < cap; off += 1ULL << 21) {
		if (walk__1d(ptmem__mem(guest), &cpu, gva + off, 0, &w))
			continue;
		if (w.leaf_level == 1)
			tables[n++] = w.lvl[1].table;
		else
			(*large)++;
	}
	d = count_distinct(tables, n);
	free(tables);
	return d;
}

int sim_run_check(const char *dir, struct ptsnap_header *h, char *err, size_t errlen)
{
	uint64_t mem_end;

	return sim_run_load(dir, NULL, h, &mem_end, err, errlen);
}

int sim_run_check_ram(const char *dir, struct ptsnap_header *h, uint64_t *mem_end, char *err,
		      size_t errlen)
{
	return sim_run_load(dir, NULL, h, mem_end, err, errlen);
}
