// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow mode of the simulated machine against KVM's rules (Linux 6.1, as docs/shadow-model.md
 * cites them). The expected counts are worked out here from the machine's known layout: guest
 * tables bump-allocated from GPA 1M (gfn 256: the root, 257: the direct map's PDPT, then the
 * tables in the order a mapping needs them), the guest's direct map one 1G leaf over GPA
 * [0, 1G) at SIM_DIRECT_MAP through which the guest writes its tables, and the first CR3 load
 * before any mapping; a run directory's tables are loaded as they are. Costs are the counts
 * times the textbook preset's [shadow] cycles.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/sim.h"
#include "test.h"

#define PAGE 4096ULL
#define MIB  (1ULL << 20)

/* Shadow pages of the direct map: its PDPT's shadow, and below the 1G leaf a direct level-2
 * and a direct level-1 page (4K SPTEs: shadowed tables lie in the leaf, so
 * kvm_mmu_hugepage_adjust() cannot map it huge); every table gfn is in one 2M region. */
#define DIRECT_MAP_PAGES 3
/* The first fault on the direct map (the store into the root) maps its own SPTE and, by
 * __direct_pte_prefetch(), the other 7 of its 8-aligned group: gfns 256..263. */
#define DIRECT_MAP_SPTES 8

static void config(struct sim_machine_config *c)
{
	char err[256];

	memset(c, 0, sizeof(*c));
	CHECK_EQ_U64(sim_config__preset(&c->cfg, "textbook", err, sizeof(err)), 0);
	c->gps = PAGE_4K;
	c->hps = PAGE_4K;
	c->input = SIM_IN_LACKEY; /* not read: the test drives the machine */
}

/* The cycles the textbook preset charges for @n events of @ev. */
static uint64_t cost(const struct sim_machine_config *c, enum sim_shadow_event ev, uint64_t n)
{
	return n * c->cfg.shadow_cost[ev];
}

/*
 * Pages mapped on first touch and read once each, in order, across two page tables (600
 * pages from SIM_GUEST_BASE: 512 in the first, 88 in the second).
 * - Every page: a guest fault reinjected (pf_guest), then the retried read faults in the
 *   shadow tables and is fixed (pf_fixed). No prefetch: the other guest PTEs of the group are
 *   not present yet (FNAME(prefetch_invalid_gpte) ends it at the first).
 * - Page 0's mapping writes the root (shadowed at the CR3 load, an upper level, so
 *   write-tracked): emulated (pf_emulate, mmu_pte_write, mmu_pde_zapped for a non-zero entry
 *   in an upper-level page). The entries written into its new PDPT, PD and page table are
 *   not shadowed yet: their direct-map SPTEs are writable (prefetched), no exit.
 * - Page 1's mapping writes the first page table, shadowed (write-protected) by page 0's
 *   fault: a write fault on the direct map, and since a last-level table is not
 *   write-tracked, mmu_try_to_unsync_pages() makes it unsync and the SPTE writable
 *   (pf_fixed, mmu_unsync). Pages 2..511 store into it without an exit.
 * - Page 512's mapping writes the PD (shadowed, write-tracked): emulated. Page 513's writes
 *   the second page table, shadowed by page 512's fault: unsync, one more fix.
 */
static void test_demand_scan(void)
{
	const uint64_t n = 600, ptables = 2;
	struct sim_machine_config c;
	struct sim_mode_result r;
	struct machine *m;
	const struct shadow_stats *st = &r.shadow.st;
	uint64_t created, exits;

	config(&c);
	m = machine__new(&c, PAGING_SHADOW);
	CHECK(m != NULL);
	if (!m)
		return;
	for (uint64_t i = 0; i < n; i++) {
		CHECK_EQ_U64(machine__demand_map(m, SIM_GUEST_BASE + i * PAGE), 0);
		machine__access(m, SIM_GUEST_BASE + i * PAGE + 8, false);
	}
	CHECK_EQ_U64(machine__finish(m, &r), 0);
	machine__free(m);

	CHECK_EQ_U64(r.res.accesses, n);
	CHECK_EQ_U64(r.res.faults, 0);
	CHECK_EQ_U64(r.res.walks, n); /* each retried read walks the shadow tables once */
	CHECK_EQ_U64(r.res.refs_walk, 4 * n);
	CHECK_EQ_U64(st->pf_guest, n);
	CHECK_EQ_U64(st->pf_fixed, n + ptables);
	CHECK_EQ_U64(st->pf_emulate, 2);
	CHECK_EQ_U64(st->pf_taken, st->pf_guest + st->pf_fixed + st->pf_emulate);
	CHECK_EQ_U64(st->pf_spurious, 0);
	CHECK_EQ_U64(st->mmu_pte_write, 2);
	CHECK_EQ_U64(st->mmu_pde_zapped, 2);
	CHECK_EQ_U64(st->mmu_flooded, 0);
	CHECK_EQ_U64(st->mmu_unsync, ptables);
	CHECK_EQ_U64(st->kvm_mmu_unsync_page, ptables);
	CHECK_EQ_U64(st->kvm_mmu_sync_page, 0); /* no CR3 load after the first */
	/* Shadow pages: the root, one per guest table below it (PDPT, PD, two page tables),
	 * and the direct map's; each created after a lookup that missed. */
	created = 1 + 1 + 1 + ptables + DIRECT_MAP_PAGES;
	CHECK_EQ_U64(st->kvm_mmu_get_page_created, created);
	CHECK_EQ_U64(st->mmu_cache_miss, created);
	CHECK_EQ_U64(r.shadow.live_pages, created);
	CHECK_EQ_U64(r.shadow_frames, created);
	CHECK_EQ_U64(st->pages_4k, n + DIRECT_MAP_SPTES);
	CHECK_EQ_U64(st->mmu_shadow_zapped, 0);
	/* Guest tables: root, direct-map PDPT, PDPT, PD, two page tables. */
	CHECK_EQ_U64(r.guest_frames, 4 + ptables);

	/* Exits and their cycles. */
	exits = n + n + ptables; /* guest faults, fixed reads, unsync faults */
	CHECK_EQ_U64(r.shadow.guest_fault_exits, n);
	CHECK_EQ_U64(r.shadow.fault_exits, n + ptables);
	CHECK_EQ_U64(r.shadow.emulate_exits, 2);
	CHECK_EQ_U64(r.shadow.cr3_exits, 1);
	CHECK_EQ_U64(r.res.shadow_events[SIM_SHADOW_PF_EXIT], exits);
	CHECK_EQ_U64(r.res.shadow_events[SIM_SHADOW_WRPROT_EXIT], 2);
	CHECK_EQ_U64(r.res.shadow_events[SIM_SHADOW_CR3_EXIT], 1);
	CHECK_EQ_U64(r.res.shadow_cycles[SIM_SHADOW_PF_EXIT], cost(&c, SIM_SHADOW_PF_EXIT, exits));
	CHECK_EQ_U64(r.res.shadow_cycles[SIM_SHADOW_WRPROT_EXIT],
		     cost(&c, SIM_SHADOW_WRPROT_EXIT, 2));
	CHECK_EQ_U64(r.shadow.total_cycles, cost(&c, SIM_SHADOW_PF_EXIT, exits) +
						    cost(&c, SIM_SHADOW_WRPROT_EXIT, 2) +
						    cost(&c, SIM_SHADOW_CR3_EXIT, 1));
	CHECK_EQ_U64(r.shadow.guest_fault_cycles, cost(&c, SIM_SHADOW_PF_EXIT, n));
	CHECK(r.shadow.total_cycles > 0); /* the textbook preset charges shadow paging */
}

/*
 * A synthetic sequential scan over tables the guest built before touching them (1000 pages,
 * two page tables). Only the store into the root is trapped (emulated): nothing else was
 * shadowed while the guest built its tables. Each page is read, then written (one
 * read-modify-write per line): the read maps the clean guest PTE read-only
 * (FNAME(protect_clean_gpte)), so the write faults again: two fixes per page. No prefetch:
 * the guest PTEs the machine writes have the accessed bit clear, so
 * FNAME(prefetch_invalid_gpte) refuses the neighbours.
 */
static void test_workload_scan(void)
{
	const uint64_t n = 1000, ptables = 2;
	struct sim_machine_config c;
	struct sim_input_stats in;
	struct sim_mode_result r;
	const struct shadow_stats *st = &r.shadow.st;
	char err[256];

	config(&c);
	c.input = SIM_IN_WORKLOAD;
	c.wl = (struct wl_params){
		.kind = WL_SEQ, .footprint = n * PAGE, .iters = 1, .seed = 1, .page_size = PAGE};
	memset(&in, 0, sizeof(in));
	CHECK_EQ_U64(sim_machine_run(&c, PAGING_SHADOW, &r, &in, err, sizeof(err)), 0);
	CHECK_EQ_U64(r.res.faults, 0);
	CHECK_EQ_U64(r.res.walks, 2 * n);
	CHECK_EQ_U64(st->pf_guest, 0);
	CHECK_EQ_U64(st->pf_fixed, 2 * n);
	CHECK_EQ_U64(st->pf_emulate, 1);
	CHECK_EQ_U64(st->mmu_pte_write, 1);
	CHECK_EQ_U64(st->mmu_unsync, 0);
	CHECK_EQ_U64(st->kvm_mmu_get_page_created, 1 + 1 + 1 + ptables + DIRECT_MAP_PAGES);
	CHECK_EQ_U64(st->pages_4k, n + DIRECT_MAP_SPTES);
	CHECK_EQ_U64(r.shadow.table_stores, 4 + (n - 1) + (ptables - 1)); /* + the PD entry */
	CHECK_EQ_U64(r.res.shadow_cycles[SIM_SHADOW_PF_EXIT], cost(&c, SIM_SHADOW_PF_EXIT, 2 * n));
}

/*
 * Write flooding (detect_write_flooding()): after page 0 is mapped and read (the PD is
 * shadowed), the guest maps three pages in new 2M regions without touching them. Each
 * mapping stores into the PD: emulated. The guest faults that precede them walk no shadow
 * page, and the direct-map faults walk other pages, so the PD's flood count reaches 3 at the
 * third store and the PD's shadow page is zapped (mmu_flooded) instead of its entry. Its
 * child, the first page table, is in sync and only unlinked.
 */
static void test_flooding(void)
{
	struct sim_machine_config c;
	struct sim_mode_result r;
	struct machine *m;
	const struct shadow_stats *st = &r.shadow.st;

	config(&c);
	m = machine__new(&c, PAGING_SHADOW);
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ_U64(machine__demand_map(m, SIM_GUEST_BASE), 0);
	machine__access(m, SIM_GUEST_BASE, false);
	for (uint64_t i = 1; i <= 3; i++)
		CHECK_EQ_U64(machine__demand_map(m, SIM_GUEST_BASE + i * 2 * MIB), 0);
	CHECK_EQ_U64(machine__finish(m, &r), 0);
	machine__free(m);

	CHECK_EQ_U64(st->pf_guest, 4);
	CHECK_EQ_U64(st->pf_emulate, 1 + 3); /* the root, then the PD three times */
	CHECK_EQ_U64(st->mmu_pte_write, 4);
	CHECK_EQ_U64(st->mmu_pde_zapped, 1 + 2); /* not for the flooded store */
	CHECK_EQ_U64(st->mmu_flooded, 1);
	CHECK_EQ_U64(st->mmu_shadow_zapped, 1);
	CHECK_EQ_U64(r.res.shadow_events[SIM_SHADOW_WRPROT_EXIT], 4);
	CHECK_EQ_U64(r.res.shadow_cycles[SIM_SHADOW_WRPROT_EXIT],
		     cost(&c, SIM_SHADOW_WRPROT_EXIT, 4));
}

/*
 * A run directory whose guest tables map 4M at SIM_GUEST_BASE with 4K pages (two page
 * tables), every entry accessed and every leaf dirty, as a guest leaves them after writing its
 * data; tables at GPA 0x1000 and up, data at 4M, 16M of RAM.
 */
static void write_run(const char *rundir)
{
	static uint64_t table[5][512];
	const uint64_t gpa_table = 0x1000, gpa_data = 4 * MIB;
	const uint64_t up = PTE_P | PTE_RW | PTE_US | PTE_A, leaf = up | PTE_D;
	struct ptsnap_header h = {.version = PTSNAP_VERSION, .header_size = sizeof(h)};
	struct ptsnap_region region = {.gpa = 0, .size = 16 * MIB, .type = 1};
	struct ptsnap_page pg = {0};
	char path[160];
	FILE *f;

	memset(table, 0, sizeof(table));
	table[0][pt_index(SIM_GUEST_BASE, 4)] = (gpa_table + 1 * PAGE) | up;
	table[1][pt_index(SIM_GUEST_BASE, 3)] = (gpa_table + 2 * PAGE) | up;
	for (unsigned t = 0; t < 2; t++) {
		table[2][pt_index(SIM_GUEST_BASE, 2) + t] = (gpa_table + (3 + t) * PAGE) | up;
		for (unsigned e = 0; e < 512; e++)
			table[3 + t][e] = (gpa_data + (t * 512ULL + e) * PAGE) | leaf;
	}
	memcpy(h.magic, PTSNAP_MAGIC, 8);
	h.cr3 = gpa_table;
	h.levels = 4;
	h.maxphyaddr = 46;
	h.nregions = 1;
	h.npages = 5;
	h.data_gva = SIM_GUEST_BASE;
	snprintf(path, sizeof(path), "%s/%s", rundir, PTSNAP_FILE);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ_U64(fwrite(&h, sizeof(h), 1, f), 1);
	CHECK_EQ_U64(fwrite(&region, sizeof(region), 1, f), 1);
	for (unsigned t = 0; t < 5; t++) {
		pg.gpa = gpa_table + t * PAGE;
		pg.level = t < 3 ? 4 - t : 1;
		memcpy(pg.data, table[t], sizeof(pg.data));
		CHECK_EQ_U64(fwrite(&pg, sizeof(pg), 1, f), 1);
	}
	CHECK_EQ_U64(fclose(f), 0);
}

/*
 * Prefetch (FNAME(pte_prefetch)): over a run's tables, whose guest PTEs are accessed and
 * dirty, the fault on the first page of each 8-aligned group maps the other 7 from the guest
 * PTEs it read, so only one page in 8 faults; the dirty leaves map writable at once, so the
 * write after each read neither faults nor walks. Nothing is stored into the tables (the run's
 * tables never change): no emulation, no unsync, no direct map.
 */
static void test_run_prefetch(void)
{
	const uint64_t n = 1024;
	char dir[] = "/tmp/test_sim_shadow.XXXXXX", rundir[96], cmd[128], err[512];
	struct sim_machine_config c;
	struct sim_input_stats in;
	struct sim_mode_result r;
	const struct shadow_stats *st = &r.shadow.st;

	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(rundir, sizeof(rundir), "%s/run", dir);
	CHECK_EQ_U64(mkdir(rundir, 0755), 0);
	write_run(rundir);
	config(&c);
	c.input = SIM_IN_RUN;
	c.in_path = rundir;
	c.wl = (struct wl_params){.kind = WL_STRIDE,
				  .footprint = n * PAGE,
				  .iters = 1,
				  .page_size = PAGE,
				  .stride = PAGE};
	memset(&in, 0, sizeof(in));
	CHECK_EQ_U64(sim_machine_run(&c, PAGING_SHADOW, &r, &in, err, sizeof(err)), 0);
	CHECK_EQ_U64(r.res.accesses, 2 * n);
	CHECK_EQ_U64(r.res.faults, 0);
	CHECK_EQ_U64(r.res.walks, n);
	CHECK_EQ_U64(st->pf_fixed, n / SHADOW_PTE_PREFETCH_NUM);
	CHECK_EQ_U64(st->pf_guest, 0);
	CHECK_EQ_U64(st->pf_emulate, 0);
	CHECK_EQ_U64(st->mmu_pte_write, 0);
	CHECK_EQ_U64(st->mmu_unsync, 0);
	CHECK_EQ_U64(st->pages_4k, n); /* 1 in 8 by a fault, 7 in 8 prefetched */
	CHECK_EQ_U64(st->kvm_mmu_get_page_created, 1 + 1 + 1 + 2);
	CHECK_EQ_U64(r.guest_frames, 5);
	CHECK_EQ_U64(r.shadow.table_stores, 0);
	CHECK_EQ_U64(r.res.shadow_cycles[SIM_SHADOW_PF_EXIT],
		     cost(&c, SIM_SHADOW_PF_EXIT, n / SHADOW_PTE_PREFETCH_NUM));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ_U64(system(cmd), 0);
}

/* An input address inside the shadow-mode direct map cannot be mapped; native mode maps it. */
static void test_direct_map_refused(void)
{
	struct sim_machine_config c;
	struct machine *m;

	config(&c);
	for (int mo = PAGING_NATIVE; mo <= PAGING_SHADOW; mo += PAGING_SHADOW - PAGING_NATIVE) {
		m = machine__new(&c, mo);
		CHECK(m != NULL);
		if (!m)
			continue;
		CHECK_EQ_U64(machine__demand_map(m, SIM_DIRECT_MAP + 5 * PAGE),
			     mo == PAGING_SHADOW ? (uint64_t)-EADDRINUSE : 0);
		machine__free(m);
	}
}

int main(void)
{
	test_demand_scan();
	test_workload_scan();
	test_flooding();
	test_run_prefetch();
	test_direct_map_refused();
	TEST_DONE();
}
