// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the page-table snapshot reader: arbitrary bytes as a
 * pagetables.bin. Each is refused with one line naming the file, or read
 * whole: as many table pages as the header says, each 4K aligned, inside the
 * memory map and at a level the paging has. An accepted header's workload
 * then goes through the check 'memvirt sim --run' makes of it, and one that
 * passes holds what the generators rely on. The same bytes are loaded as the tables
 * 'memvirt explain --run' walks: refused with one line, or held, and every walk over them
 * ends, as a translation or a fault, loads outside the held pages being memory faults.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmu/mmu.h"
#include "mmu/ptsnap.h"
#include "workloads/abi.h"
#include "workloads/workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[] = "/tmp/fuzz_ptsnap.XXXXXX";
static int fd = -1;

struct seen {
	const struct ptsnap_header *h;
	const struct ptsnap_region *map;
	uint32_t pages;
};

static int on_page(void *ctx, const struct ptsnap_page *p)
{
	struct seen *s = ctx;
	int inside = 0;

	if (p->gpa & (X86_PAGE_SIZE - 1) || p->level < 1 || p->level > s->h->levels)
		abort();
	for (uint32_t i = 0; i < s->h->nregions; i++)
		inside |= p->gpa >= s->map[i].gpa && p->gpa - s->map[i].gpa < s->map[i].size;
	if (!inside)
		abort();
	s->pages++;
	return 0;
}

/* What run_seq, run_random and run_chase divide by and index with. */
static void check_workload(const struct ptsnap_header *h)
{
	const struct wl_params p = {.kind = h->wl_kind,
				    .nproc = h->wl_nproc,
				    .footprint = h->wl_footprint,
				    .iters = h->wl_iters,
				    .page_size = h->wl_page_size,
				    .seed = h->wl_seed,
				    .stride = h->wl_stride};
	char err[256] = "";

	if (wl_params_check(&p, "", err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n'))
			abort();
		return;
	}
	if (p.kind >= WL__COUNT || p.kind == WL_NOP || p.kind == WL_CRASH)
		return;
	if (p.footprint < X86_PAGE_SIZE || p.footprint > WL_FOOTPRINT_MAX || !p.iters)
		abort();
	if (p.kind == WL_CHASE && p.footprint < 2 * X86_PAGE_SIZE)
		abort();
	if (p.kind == WL_STRIDE && (p.stride < 8 || p.stride > p.footprint))
		abort();
}

/* A few walks, as explain --run makes them (CR0.WP and EFER.NXE on, as the guest runs). */
static void check_walks(const char *file)
{
	struct ptsnap_header h;
	struct ptsnap_region map[PTSNAP_MAX_MAP];
	struct ptsnap_tables *t;
	struct walk_cpu cpu;
	char err[256] = "";
	struct walk w;

	t = ptsnap_tables__load(file, &h, map, err, sizeof(err));
	if (!t) {
		if (strncmp(err, file, strlen(file)) || strchr(err, '\n'))
			abort();
		return;
	}
	cpu = (struct walk_cpu){.root = h.cr3 & PTE_ADDR_MASK & ((1ULL << h.maxphyaddr) - 1),
				.levels = h.levels,
				.maxphyaddr = h.maxphyaddr,
				.wp = true,
				.nxe = true};
	const uint64_t gvas[] = {
		0, h.data_gva, h.data_gva + 0x5018, MV_DIRECT_BASE + h.data_gva, h.cr3, ~0ULL};
	for (size_t i = 0; i < sizeof(gvas) / sizeof(gvas[0]); i++) {
		int rc = walk__1d(ptsnap_tables__mem(t), &cpu, gvas[i], WALK_ACC_USER, &w);

		if (rc && (rc != -EFAULT || w.fault.kind == WALK_OK))
			abort();
		if (!rc && w.pa >> h.maxphyaddr)
			abort();
	}
	ptsnap_tables__free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ptsnap_header h;
	struct ptsnap_region map[PTSNAP_MAX_MAP];
	struct seen s = {.h = &h, .map = map};
	char err[256] = "";
	int rc;

	if (fd < 0) {
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		unlink(path); /* read back through /proc, gone when the fuzzer ends */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	check_walks(path);
	rc = ptsnap_read(path, &h, map, on_page, &s, err, sizeof(err));
	if (rc) {
		if (strncmp(err, path, strlen(path)) || strchr(err, '\n'))
			abort();
		return 0;
	}
	if (s.pages != h.npages || !h.nregions || h.nregions > PTSNAP_MAX_MAP)
		abort();
	check_workload(&h);
	return 0;
}
