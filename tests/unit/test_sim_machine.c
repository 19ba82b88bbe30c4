// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated machine of sim/, driven through its library alone (this test
 * links memvirt_sim and nothing of the VMM). Expected counts come from the
 * x86 rules, computed here: a 4-level tree needs its root plus one table per
 * distinct 512G, 1G and 2M region it maps with 4K pages (SDM Vol. 3A §4.5);
 * a cold 1D walk reads one entry per level, a 2D walk (g+1)(h+1)-1; with the
 * textbook TLB each new page is one walk. Shadow mode follows KVM's rules
 * (docs/shadow-model.md): a read maps a clean guest PTE read-only
 * (FNAME(protect_clean_gpte)), so a page read and then written takes two #PF
 * exits and two walks; the guest's direct map adds one guest table (its
 * PDPT, a 1G leaf over the tables) and three shadow pages (the shadow of that
 * PDPT, and the direct level-2 and level-1 pages below the 1G leaf, which is
 * shadowed with 4K SPTEs because shadowed tables lie in it); the first store
 * to the root (write-tracked, upper level) is emulated.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/sim.h"
#include "test.h"

#define MODES 3
#define MIB   (1ULL << 20)

static char dir[] = "/tmp/test_sim_machine.XXXXXX";

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Distinct values of v[i] >> shift. */
static uint64_t distinct(const uint64_t *v, size_t n, unsigned shift)
{
	uint64_t *k = calloc(n ? n : 1, sizeof(*k)), d = 0;

	CHECK(k != NULL);
	if (!k)
		return 0;
	for (size_t i = 0; i < n; i++)
		k[i] = v[i] >> shift;
	qsort(k, n, sizeof(*k), cmp_u64);
	for (size_t i = 0; i < n; i++)
		d += !i || k[i] != k[i - 1];
	free(k);
	return d;
}

/*
 * Table pages of a 4-level tree mapping the pages at @va with @ps leaves: the
 * PML4, a PDPT per 512G region, a PD per 1G region, and for 4K leaves a page
 * table per 2M region.
 */
static uint64_t tables_for(const uint64_t *va, size_t n, enum page_size ps)
{
	uint64_t t = 1 + distinct(va, n, 39) + distinct(va, n, 30);

	return ps == PAGE_4K ? t + distinct(va, n, 21) : t;
}

/* Append the @step-aligned pages of [start, end) to @v. */
static size_t add_range(uint64_t *v, size_t n, uint64_t start, uint64_t end, uint64_t step)
{
	for (uint64_t a = start; a < end; a += step)
		v[n++] = a;
	return n;
}

static void config(struct sim_machine_config *c, enum page_size gps, enum page_size hps)
{
	char err[256];

	memset(c, 0, sizeof(*c));
	CHECK_EQ_U64(sim_config__preset(&c->cfg, "textbook", err, sizeof(err)), 0);
	c->gps = gps;
	c->hps = hps;
}

/* A cold walk's table reads, each dimension with @levels levels: 1D, or 2D in nested mode. */
static uint64_t refs_per_walk(enum paging_mode mode, unsigned glevels, unsigned hlevels)
{
	return mode == PAGING_NESTED ? (glevels + 1) * (hlevels + 1) - 1 : glevels;
}

/* The progress callbacks of a workload run: every 65536 accesses, its total known. */
struct progress_calls {
	uint64_t calls, total;
};

static void count_progress(void *ctx, const struct sim_progress *p)
{
	struct progress_calls *pc = ctx;

	CHECK_EQ_U64(p->accesses, (pc->calls + 1) * 65536);
	CHECK_EQ_U64(p->in_size, 0);
	CHECK_EQ_U64(p->total, pc->total);
	pc->calls++;
}

/*
 * touch over 65536 4K pages, one pass: 65536 stores, then its check of one load per page,
 * 131072 accesses. The check is outside the measured region and not simulated, but it is
 * part of the run: the progress counts it, two callbacks, the total 131072 from the start.
 */
static void test_progress_total(void)
{
	struct progress_calls pc = {.total = 2 * 65536};
	struct sim_machine_config c;
	struct sim_mode_result r;
	struct sim_input_stats st;
	char err[256];

	config(&c, PAGE_4K, PAGE_4K);
	c.input = SIM_IN_WORKLOAD;
	c.roi = SIM_ROI_MEASURED;
	c.wl = (struct wl_params){
		.kind = WL_TOUCH, .footprint = 65536 * 4096ULL, .iters = 1, .seed = 1};
	c.wl.page_size = 4096;
	c.progress = count_progress;
	c.progress_ctx = &pc;
	memset(&r, 0, sizeof(r));
	memset(&st, 0, sizeof(st));
	CHECK_EQ_U64(sim_machine_run(&c, PAGING_NATIVE, &r, &st, err, sizeof(err)), 0);
	CHECK_EQ_U64(r.res.accesses, 65536); /* the measured region: the stores */
	CHECK_EQ_U64(pc.calls, 2);
}

/*
 * A sequential scan of @foot bytes (one read-modify-write per 64-byte line)
 * over tables built up front, 4K guest and host pages, in each mode.
 */
static void test_seq_4k(uint64_t foot)
{
	uint64_t npages = foot / 4096, *gva = calloc(npages, sizeof(*gva));
	uint64_t *gpa = calloc(npages + SIM_DATA_BASE / 4096, sizeof(*gpa));
	uint64_t gtables, htables;
	struct sim_machine_config c;
	struct sim_input_stats st;
	char err[256];
	size_t ng;

	CHECK(gva && gpa);
	if (!gva || !gpa)
		goto out;
	add_range(gva, 0, SIM_GUEST_BASE, SIM_GUEST_BASE + foot, 4096);
	gtables = tables_for(gva, npages, PAGE_4K);
	/* Nested: host pages behind every GPA used, from 0 to the last guest table, and the data.
	 */
	ng = add_range(gpa, 0, 0, SIM_TABLE_BASE + gtables * 4096, 4096);
	ng = add_range(gpa, ng, SIM_DATA_BASE, SIM_DATA_BASE + foot, 4096);
	htables = tables_for(gpa, ng, PAGE_4K);
	config(&c, PAGE_4K, PAGE_4K);
	c.input = SIM_IN_WORKLOAD;
	c.wl = (struct wl_params){.kind = WL_SEQ, .footprint = foot, .iters = 1, .seed = 1};
	c.wl.page_size = 4096;
	for (int mo = 0; mo < MODES; mo++) {
		struct sim_mode_result r;
		/* seq: one load and one store per 64-byte line */
		struct progress_calls pc = {.total = 2 * foot / 64};
		uint64_t sh = mo == PAGING_SHADOW ? 2 : 1; /* walks per page */

		memset(&r, 0, sizeof(r));
		memset(&st, 0, sizeof(st));
		c.progress = count_progress;
		c.progress_ctx = &pc;
		CHECK_EQ_U64(sim_machine_run(&c, mo, &r, &st, err, sizeof(err)), 0);
		CHECK_EQ_U64(r.res.mode, mo);
		CHECK_EQ_U64(r.res.accesses, 2 * foot / 64);
		CHECK_EQ_U64(r.res.writes, foot / 64);
		CHECK_EQ_U64(r.res.faults, 0);
		CHECK_EQ_U64(r.res.walks, sh * npages);
		CHECK_EQ_U64(r.res.tlb_misses[0], sh * npages);
		CHECK_EQ_U64(r.res.refs_walk, sh * npages * refs_per_walk(mo, 4, 4));
		CHECK_EQ_U64(r.guest_frames, gtables + (mo == PAGING_SHADOW));
		CHECK_EQ_U64(r.host_frames, mo == PAGING_NESTED ? htables : 0);
		/* Shadow pages: one per guest table (the same tree), and the direct map's three. */
		CHECK_EQ_U64(r.shadow_frames, mo == PAGING_SHADOW ? gtables + 3 : 0);
		/* Each page read, then written: two #PF exits; the tables were built before any
		 * data access, so only the store into the root was trapped (and emulated).
		 * Nested: one NPT fault per 4K frame first touched, each table and data page. */
		CHECK_EQ_U64(r.res.shadow_events[SIM_SHADOW_PF_EXIT],
			     mo == PAGING_SHADOW   ? 2 * npages
			     : mo == PAGING_NESTED ? gtables + npages
						   : 0);
		if (mo == PAGING_NESTED)
			CHECK(r.tdp_valid && r.tdp.pf_fixed == gtables + npages &&
			      r.tdp.pages_4k == gtables + npages && r.tdp.tlb_flush == 0);
		CHECK_EQ_U64(r.res.shadow_events[SIM_SHADOW_WRPROT_EXIT], mo == PAGING_SHADOW);
		CHECK_EQ_U64(pc.calls, r.res.accesses / 65536);
	}
out:
	free(gva);
	free(gpa);
}

/* 2M guest and host pages: 3-level walks, 15 references nested, one walk per 2M page. */
static void test_seq_2m(void)
{
	const uint64_t foot = 6 * MIB, npages = foot / (2 * MIB);
	uint64_t gva[3], gtables;
	struct sim_machine_config c;
	struct sim_input_stats st;
	char err[256];

	add_range(gva, 0, SIM_GUEST_BASE, SIM_GUEST_BASE + foot, 2 * MIB);
	gtables = tables_for(gva, npages, PAGE_2M);
	config(&c, PAGE_2M, PAGE_2M);
	c.input = SIM_IN_WORKLOAD;
	c.wl = (struct wl_params){.kind = WL_SEQ, .footprint = foot, .iters = 1, .seed = 1};
	c.wl.page_size = 2 * MIB;
	for (int mo = 0; mo < MODES; mo++) {
		struct sim_mode_result r;

		uint64_t sh = mo == PAGING_SHADOW ? 2 : 1; /* read, then write: two walks */

		CHECK_EQ_U64(sim_machine_run(&c, mo, &r, &st, err, sizeof(err)), 0);
		CHECK_EQ_U64(r.res.walks, sh * npages);
		CHECK_EQ_U64(r.res.walk_sizes[PAGE_2M], sh * npages);
		CHECK_EQ_U64(r.res.refs_walk, sh * npages * refs_per_walk(mo, 3, 3));
		CHECK_EQ_U64(r.guest_frames, gtables + (mo == PAGING_SHADOW));
		/* 2M SPTEs: no shadowed table lies in the data's 2M frames. */
		CHECK_EQ_U64(r.shadow_frames, mo == PAGING_SHADOW ? gtables + 3 : 0);
		/* Nested, 2M host pages: one NPT fault per 2M host page touched: the tables' (all
		 * in [SIM_TABLE_BASE, 2M)) and the data's. */
		CHECK(gtables < 256);
		CHECK_EQ_U64(r.res.shadow_events[SIM_SHADOW_PF_EXIT],
			     mo == PAGING_SHADOW   ? 2 * npages
			     : mo == PAGING_NESTED ? 1 + npages
						   : 0);
		if (mo == PAGING_NESTED)
			CHECK(r.tdp.pages_2m == 1 + npages && r.tdp.pages_4k == 0);
	}
}

/*
 * File inputs' path, access by access: pages mapped on first touch across
 * 2M, 1G and 512G boundaries, touched twice each, one unmapped access last.
 */
static void test_demand(void)
{
	static const uint64_t base = 0x7f0000000000ULL;
	static const uint64_t page[] = {
		base,
		base + 4096,
		base + 2 * MIB,
		base + (1ULL << 30),
		base + 0x5000,
		base + (1ULL << 39),
		base + (1ULL << 39) + 4096,
		0x10000,
	};
	const size_t n = sizeof(page) / sizeof(page[0]);
	uint64_t gtables = tables_for(page, n, PAGE_4K), gpa[512], htables;
	struct sim_machine_config c;
	size_t ng;

	/* Nested: host pages behind the guest tables and one data frame per page, in order. */
	ng = add_range(gpa, 0, 0, SIM_TABLE_BASE + gtables * 4096, 4096);
	ng = add_range(gpa, ng, SIM_DATA_BASE, SIM_DATA_BASE + n * 4096, 4096);
	htables = tables_for(gpa, ng, PAGE_4K);

	config(&c, PAGE_4K, PAGE_4K);
	c.input = SIM_IN_LACKEY; /* the input is not read: this test is the input */
	for (int mo = 0; mo < MODES; mo++) {
		struct machine *m = machine__new(&c, mo);
		struct sim_mode_result r;

		CHECK(m != NULL);
		if (!m)
			continue;
		for (size_t i = 0; i < n; i++) {
			CHECK_EQ_U64(machine__demand_map(m, page[i] + 8 * i), 0);
			machine__access(m, page[i] + 8 * i, false);
			CHECK_EQ_U64(machine__demand_map(m, page[i] + 64), 0); /* mapped already */
			machine__access(m, page[i] + 64, true);
		}
		/* Never mapped: the walk faults, and shadow mode has no guest entry to copy. */
		machine__access(m, base + 3 * MIB, false);
		CHECK_EQ_U64(machine__finish(m, &r), 0);
		CHECK_EQ_U64(r.res.accesses, 2 * n + 1);
		CHECK_EQ_U64(r.res.writes, n);
		CHECK_EQ_U64(r.res.faults, 1);
		/* Completed walks (the faulting one is a fault); in shadow mode the write after
		 * the read of each page walks again. */
		CHECK_EQ_U64(r.res.tlb_misses[0], (mo == PAGING_SHADOW ? 2 * n : n) + 1);
		CHECK_EQ_U64(r.res.walks, mo == PAGING_SHADOW ? 2 * n : n);
		CHECK_EQ_U64(r.guest_frames, gtables + (mo == PAGING_SHADOW));
		CHECK_EQ_U64(r.host_frames, mo == PAGING_NESTED ? htables : 0);
		/*
		 * #PF exits: per page a reinjected guest fault, the read, the write (24), the
		 * unmapped access last (1), and three faults on the direct map: the stores into
		 * the first page table after it was shadowed (pages 2 and 7: the table goes
		 * unsync, mmu_try_to_unsync_pages) and the first store into a table frame of a
		 * new 8-frame group (page 6's new PDPT; the fault prefetches the rest of the
		 * group). Emulated: the stores into shadowed upper-level tables (the root for
		 * pages 1, 6 and 8, the PD for page 3, the PDPT for page 4).
		 */
		CHECK_EQ_U64(r.res.shadow_events[SIM_SHADOW_PF_EXIT],
			     mo == PAGING_SHADOW ? 3 * n + 1 + 3 : 0);
		CHECK_EQ_U64(r.res.shadow_events[SIM_SHADOW_WRPROT_EXIT],
			     mo == PAGING_SHADOW ? 5 : 0);
		CHECK_EQ_U64(r.shadow_frames, mo == PAGING_SHADOW ? gtables + 3 : 0);
		machine__free(m);
	}
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ_U64(fwrite(data, 1, len, f), len);
	CHECK_EQ_U64(fclose(f), 0);
}

/* A lackey file through the library: what it held, and a bad line's message. */
static void test_lackey(void)
{
	static const char text[] = "==1== Lackey\n"
				   "I  04001000,3\n"
				   " L 7ff000000,8\n"
				   " S 7ff001000,4\n"
				   " M 7ff002010,8\n"
				   " L 7ff000008,8\n";
	struct sim_machine_config c;
	struct sim_input_stats st;
	struct sim_mode_result r;
	char path[128], err[256], want[160];

	snprintf(path, sizeof(path), "%s/trace.lackey", dir);
	write_file(path, text, strlen(text));
	config(&c, PAGE_4K, PAGE_4K);
	c.input = SIM_IN_LACKEY;
	c.in_path = path;
	for (int mo = 0; mo < MODES; mo++) {
		CHECK_EQ_U64(sim_machine_run(&c, mo, &r, &st, err, sizeof(err)), 0);
		CHECK_EQ_U64(st.lines, 6);
		CHECK_EQ_U64(st.loads, 2);
		CHECK_EQ_U64(st.stores, 1);
		CHECK_EQ_U64(st.modifies, 1);
		CHECK_EQ_U64(st.fetches, 1);
		CHECK_EQ_U64(r.res.accesses, 5); /* a modify is a load and a store */
		CHECK_EQ_U64(r.res.writes, 2);
		/* Three pages; the last load hits the TLB. In shadow mode the modify's load maps
		 * its page read-only (a clean guest PTE), so its store walks again. */
		CHECK_EQ_U64(r.res.walks, 3 + (mo == PAGING_SHADOW));
		CHECK_EQ_U64(r.res.refs_walk,
			     (3 + (mo == PAGING_SHADOW)) * refs_per_walk(mo, 4, 4));
	}
	snprintf(path, sizeof(path), "%s/bad.lackey", dir);
	write_file(path, " L 1000,8\n X 2000,8\n", 20);
	CHECK_EQ_U64(sim_machine_run(&c, PAGING_NATIVE, &r, &st, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2:", path);
	CHECK(!strncmp(err, want, strlen(want)));
}

/*
 * A run directory: a snapshot of 4-level tables mapping @foot bytes of data
 * at SIM_GUEST_BASE with 4K pages, in one RAM region of @ram bytes.
 * Returns the number of table pages.
 */
static uint32_t write_run(const char *rundir, uint64_t foot, uint64_t ram)
{
	static uint64_t table[8][512];
	const uint64_t gpa_table = 0x1000, gpa_data = 4 * MIB, flags = PTE_P | PTE_RW | PTE_US;
	const uint32_t npt = (uint32_t)(foot / (2 * MIB)), ntables = 3 + npt;
	struct ptsnap_header h = {.version = PTSNAP_VERSION, .header_size = sizeof(h)};
	struct ptsnap_region region = {.gpa = 0, .size = ram, .type = 1};
	struct ptsnap_page p = {0};
	char path[160];
	FILE *f;

	CHECK(ntables <= 8 && foot % (2 * MIB) == 0);
	memset(table, 0, sizeof(table));
	/* table[0] PML4, [1] PDPT, [2] PD, [3..] page tables, at 0x1000 and up. */
	table[0][pt_index(SIM_GUEST_BASE, 4)] = (gpa_table + 1 * 4096) | flags;
	table[1][pt_index(SIM_GUEST_BASE, 3)] = (gpa_table + 2 * 4096) | flags;
	for (uint32_t t = 0; t < npt; t++) {
		table[2][pt_index(SIM_GUEST_BASE, 2) + t] = (gpa_table + (3 + t) * 4096) | flags;
		for (unsigned e = 0; e < 512; e++)
			table[3 + t][e] = (gpa_data + (t * 512ULL + e) * 4096) | flags;
	}
	memcpy(h.magic, PTSNAP_MAGIC, 8);
	h.cr3 = gpa_table;
	h.levels = 4;
	h.maxphyaddr = 46;
	h.nregions = 1;
	h.npages = ntables;
	h.data_gva = SIM_GUEST_BASE;
	snprintf(path, sizeof(path), "%s/%s", rundir, PTSNAP_FILE);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return 0;
	CHECK_EQ_U64(fwrite(&h, sizeof(h), 1, f), 1);
	CHECK_EQ_U64(fwrite(&region, sizeof(region), 1, f), 1);
	for (uint32_t t = 0; t < ntables; t++) {
		p.gpa = gpa_table + t * 4096ULL;
		p.level = t < 3 ? 4 - t : 1;
		memcpy(p.data, table[t], sizeof(p.data));
		CHECK_EQ_U64(fwrite(&p, sizeof(p), 1, f), 1);
	}
	CHECK_EQ_U64(fclose(f), 0);
	return ntables;
}

/* A stride over a run's own tables: the snapshot's tables are the guest's, and nothing is added. */
static void test_run(void)
{
	const uint64_t foot = 6 * MIB, ram = 16 * MIB, npages = foot / 4096;
	uint64_t *gpa = calloc(ram / 4096, sizeof(*gpa));
	struct sim_machine_config c;
	struct sim_input_stats st;
	struct ptsnap_header h;
	char rundir[128], err[512];
	uint32_t ntables;

	CHECK(gpa != NULL);
	if (!gpa)
		return;
	snprintf(rundir, sizeof(rundir), "%s/run", dir);
	CHECK_EQ_U64(mkdir(rundir, 0755), 0);
	ntables = write_run(rundir, foot, ram);
	CHECK_EQ_U64(sim_run_check(rundir, &h, err, sizeof(err)), 0);
	CHECK_EQ_U64(h.npages, ntables);
	config(&c, PAGE_4K, PAGE_4K);
	c.input = SIM_IN_RUN;
	c.in_path = rundir;
	c.wl = (struct wl_params){.kind = WL_STRIDE,
				  .footprint = foot,
				  .iters = 1,
				  .page_size = 4096,
				  .stride = 4096};
	for (int mo = 0; mo < MODES; mo++) {
		struct sim_mode_result r;

		memset(&st, 0, sizeof(st));
		CHECK_EQ_U64(sim_machine_run(&c, mo, &r, &st, err, sizeof(err)), 0);
		CHECK_EQ_U64(st.table_pages, ntables);
		CHECK_EQ_U64(st.data_leaf_tables, foot / (2 * MIB));
		CHECK_EQ_U64(st.data_large_leaves, 0);
		CHECK_EQ_U64(r.guest_frames, ntables);
		CHECK_EQ_U64(r.res.accesses, 2 * npages);
		/* Shadow: each page is read, then written; the read maps it read-only. */
		CHECK_EQ_U64(r.res.walks, (mo == PAGING_SHADOW ? 2 : 1) * npages);
		CHECK_EQ_U64(r.res.faults, 0);
		CHECK_EQ_U64(r.res.refs_walk,
			     (mo == PAGING_SHADOW ? 2 : 1) * npages * refs_per_walk(mo, 4, 4));
		/* Nested: host pages over all of guest RAM. */
		CHECK_EQ_U64(r.host_frames,
			     mo == PAGING_NESTED
				     ? tables_for(gpa, add_range(gpa, 0, 0, ram, 4096), PAGE_4K)
				     : 0);
	}
	free(gpa);

	/* Guest RAM the machine cannot hold, and a directory with no snapshot. */
	write_run(rundir, foot, 128ULL << 30);
	CHECK_EQ_U64(sim_run_check(rundir, &h, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "above 64G") != NULL);
	errno = 0;
	CHECK(machine__new(&c, PAGING_NATIVE) == NULL);
	CHECK_EQ_U64(errno, EINVAL);
	snprintf(rundir, sizeof(rundir), "%s/empty", dir);
	CHECK_EQ_U64(sim_run_check(rundir, &h, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, PTSNAP_FILE) != NULL);
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(dir))
		SKIP("mkdtemp failed\n");
	test_seq_4k(5 * MIB + 3 * 4096);
	test_seq_2m();
	test_progress_total();
	test_demand();
	test_lackey();
	test_run();
	if (!test_failures) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK_EQ_U64(system(cmd), 0);
	}
	TEST_DONE();
}
