// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM shadow MMU model on small hand-built guest page tables in a fake guest memory. Each
 * expected count is derived in the test from the Linux 6.1 rule named beside it.
 */
#include <errno.h>
#include <stdlib.h>

#include "test.h"

#include "shadow/shadow.h"

#define RAM_PAGES 4096u	   /* 16 MiB of guest RAM, one memslot */
#define HOST_PFN  0x100000 /* host frame of gfn 0 (1G-aligned, so huge pages line up) */
#define TABLE_GFN 0x100	   /* guest page tables are allocated from here */
#define DATA_GFN  0x800	   /* data pages from here */
#define LEAF	  (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)
#define UPPER	  (PTE_P | PTE_RW | PTE_US | PTE_A)

/* Limits stated by KVM (Linux 6.1), restated here so the test does not take them from the model. */
#define KVM_PREFETCH	 8  /* PTE_PREFETCH_NUM */
#define KVM_PREV_ROOTS	 3  /* KVM_MMU_NUM_PREV_ROOTS */
#define KVM_MIN_FREE	 5  /* KVM_MIN_FREE_MMU_PAGES */
#define KVM_REFILL	 25 /* KVM_REFILL_PAGES */
#define KVM_MIN_ALLOC	 64 /* KVM_MIN_ALLOC_MMU_PAGES */
#define KVM_RATIO	 50 /* KVM_MEMSLOT_PAGES_TO_MMU_PAGES_RATIO */
#define KVM_FLOOD_WRITES 3  /* detect_write_flooding(): count >= 3 */

/* A host page of anonymous private memory (Linux): never touched, the zero page, or its own. */
enum host_state { HOST_ABSENT, HOST_ZERO, HOST_PRESENT };
#define ZERO_PFN 0x77777ULL /* the host's shared zero page */

struct guest {
	uint64_t *pages[RAM_PAGES];
	gfn_t next_table, next_data;
	unsigned host_level; /* level of the host pages backing all of RAM */
	unsigned levels;
	bool anon; /* RAM is anonymous memory faulted on first touch (else all present) */
	uint8_t host[RAM_PAGES];
};

static uint64_t *gpage(struct guest *g, gfn_t gfn)
{
	if (!g->pages[gfn])
		g->pages[gfn] = calloc(PT_ENTRIES, sizeof(uint64_t));
	return g->pages[gfn];
}

static int g_read(void *ctx, gpa_t gpa, uint64_t *val)
{
	struct guest *g = ctx;

	if (gpa_to_gfn(gpa) >= RAM_PAGES)
		return -EFAULT;
	*val = gpage(g, gpa_to_gfn(gpa))[(gpa & X86_PAGE_MASK) / 8];
	return 0;
}

static int g_cmpxchg(void *ctx, gpa_t gpa, uint64_t old, uint64_t new)
{
	struct guest *g = ctx;
	uint64_t *e;

	if (gpa_to_gfn(gpa) >= RAM_PAGES)
		return -EFAULT;
	e = &gpage(g, gpa_to_gfn(gpa))[(gpa & X86_PAGE_MASK) / 8];
	if (*e != old)
		return -EAGAIN;
	*e = new;
	return 0;
}

/*
 * Linux's rules for anonymous memory as KVM faults it in (hva_to_pfn): a read of a page never
 * written maps the zero page read-only; a write to it breaks copy-on-write, which invalidates
 * the old mapping (the MMU notifier); an atomic lookup finds only a page mapped writable.
 */
static int g_host_page(void *ctx, gfn_t gfn, enum shadow_host_access acc, pfn_t *pfn,
		       unsigned *level, bool *writable)
{
	struct guest *g = ctx;
	uint8_t *h = &g->host[gfn];

	if (gfn >= RAM_PAGES)
		return -ENOENT;
	*pfn = HOST_PFN + gfn;
	*level = g->host_level;
	*writable = true;
	if (!g->anon || acc == SHADOW_HOST_QUERY)
		return 0;
	switch (acc) {
	case SHADOW_HOST_READ:
		if (*h == HOST_ABSENT)
			*h = HOST_ZERO;
		break;
	case SHADOW_HOST_WRITE:
		if (*h == HOST_ZERO) {
			*h = HOST_PRESENT;
			return SHADOW_HOST_INVALIDATED;
		}
		*h = HOST_PRESENT;
		break;
	default:
		if (*h != HOST_PRESENT)
			return -EAGAIN;
	}
	if (*h == HOST_ZERO) {
		*pfn = ZERO_PFN;
		*writable = false;
	}
	return 0;
}

static const struct shadow_guest_ops guest_ops = {g_read, g_cmpxchg, g_host_page};

static void g_write(struct guest *g, gpa_t gpa, uint64_t val)
{
	gpage(g, gpa_to_gfn(gpa))[(gpa & X86_PAGE_MASK) / 8] = val;
}

static uint64_t g_get(struct guest *g, gpa_t gpa)
{
	uint64_t v = 0;

	g_read(g, gpa, &v);
	return v;
}

static gpa_t new_table(struct guest *g)
{
	gfn_t gfn = g->next_table++;

	gpage(g, gfn);
	return gfn_to_gpa(gfn);
}

static gpa_t new_data(struct guest *g)
{
	return gfn_to_gpa(g->next_data++);
}

/* The gpa of the entry for @va at @level, creating the tables above it. */
static gpa_t entry_at(struct guest *g, gpa_t root, gva_t va, unsigned level)
{
	gpa_t table = root;

	for (unsigned l = g->levels; l > level; l--) {
		gpa_t e = table + pt_index(va, l) * 8;
		uint64_t v = g_get(g, e);

		if (!(v & PTE_P)) {
			v = new_table(g) | UPPER;
			g_write(g, e, v);
		}
		table = v & PTE_ADDR_MASK;
	}
	return table + pt_index(va, level) * 8;
}

/* Map @va to @pa at @level (1: 4K, 2: 2M) with @flags; returns the leaf entry's gpa. */
static gpa_t map(struct guest *g, gpa_t root, gva_t va, gpa_t pa, unsigned level, uint64_t flags)
{
	gpa_t e = entry_at(g, root, va, level);

	g_write(g, e, pa | flags | (level > 1 ? PTE_PS : 0));
	return e;
}

static struct guest *guest_new(unsigned levels)
{
	struct guest *g = calloc(1, sizeof(*g));

	g->next_table = TABLE_GFN;
	g->next_data = DATA_GFN;
	g->host_level = 1;
	g->levels = levels;
	return g;
}

static void guest_free(struct guest *g)
{
	for (unsigned i = 0; i < RAM_PAGES; i++)
		free(g->pages[i]);
	free(g);
}

static struct shadow *model_new(struct guest *g)
{
	struct shadow_config cfg;
	struct shadow *s;

	shadow_config__default(&cfg);
	cfg.levels = g->levels;
	cfg.ram_pages = RAM_PAGES;
	s = shadow__new(&cfg, &guest_ops, g);
	CHECK(s != NULL);
	return s;
}

static struct shadow_stats stats(struct shadow *s)
{
	struct shadow_stats st;

	shadow__stats(s, &st);
	return st;
}

static bool xlate(struct shadow *s, gva_t va, unsigned access, struct shadow_xlate *x)
{
	CHECK(shadow__translate(s, va, access, 0, x) == 0);
	return x->ok;
}

/* A far-away gva (another PML4 slot) whose walk shares no table with the test's mappings. */
#define VA_A   0x00007f0000000000ULL
#define VA_WIN 0x0000100000000000ULL /* window onto the guest's page tables */

/* ------------------------------------------------------------------------------------------ */

/*
 * A fault builds the path: kvm_mmu_load() created the root at the CR3 load; FNAME(fetch)
 * creates one shadow page per guest table below it, i.e. levels - 1 (mmu_cache_miss each).
 * A second fault under the same tables gets -EEXIST for every linked level
 * (kvm_mmu_get_child_sp), so it creates and finds nothing.
 */
static void test_build_path(unsigned levels)
{
	struct guest *g = guest_new(levels);
	gpa_t root = new_table(g), data = new_data(g), data2 = new_data(g);
	struct shadow *s = model_new(g);
	struct shadow_stats st;
	struct shadow_xlate x;

	map(g, root, VA_A, data, 1, LEAF);
	map(g, root, VA_A + 9 * SZ_4K, data2, 1, LEAF); /* other prefetch group (9 vs 0) */
	CHECK(shadow__cr3_load(s, root) == 0);
	st = stats(s);
	CHECK_EQ_U64(st.kvm_mmu_get_page_created, 1);
	CHECK_EQ_U64(st.tlb_flush, 1); /* kvm_invalidate_pcid(): KVM_REQ_TLB_FLUSH_CURRENT */

	CHECK(!xlate(s, VA_A, 0, &x));
	CHECK(shadow__fault(s, VA_A, 0, NULL) == SHADOW_PF_FIXED);
	st = stats(s);
	CHECK_EQ_U64(st.kvm_mmu_get_page_created, 1 + (levels - 1));
	CHECK_EQ_U64(st.mmu_cache_miss, 1 + (levels - 1));
	CHECK_EQ_U64(st.kvm_mmu_get_page_found, 0);
	CHECK_EQ_U64(st.pf_taken, 1);
	CHECK_EQ_U64(st.pf_fixed, 1);
	CHECK_EQ_U64(st.pages_4k, 1); /* no other present PTE in the group of index 0 */
	CHECK_EQ_U64(shadow__live_pages(s), levels);

	CHECK(xlate(s, VA_A + 0x123, 0, &x));
	CHECK_EQ_U64(x.nsteps, levels);
	CHECK_EQ_U64(x.leaf_level, 1);
	CHECK_EQ_U64(x.gpa, data + 0x123);
	CHECK_EQ_U64(x.hpa, pfn_to_hpa(HOST_PFN + gpa_to_gfn(data)) + 0x123);
	/* A read fault on a dirty writable leaf maps it writable (FNAME(protect_clean_gpte)
	 * removes W only from clean PTEs; the data page is no table, so nothing to unsync). */
	CHECK(xlate(s, VA_A, PF_ERR_W | PF_ERR_U, &x));

	CHECK(shadow__fault(s, VA_A + 9 * SZ_4K, PF_ERR_W, NULL) == SHADOW_PF_FIXED);
	st = stats(s);
	CHECK_EQ_U64(st.kvm_mmu_get_page_created, 1 + (levels - 1));
	CHECK_EQ_U64(st.kvm_mmu_get_page_found, 0);
	CHECK_EQ_U64(st.pf_fixed, 2);
	CHECK_EQ_U64(shadow__live_pages(s), levels);
	shadow__delete(s);
	guest_free(g);
}

/*
 * Two CR3s sharing the tables below the top level: the second root is created, and the
 * first fault under it finds the shared table's shadow page in the hash (kvm_mmu_get_page
 * found); the levels below it are linked already (-EEXIST), so exactly one lookup is made.
 */
static void test_found_shared(void)
{
	struct guest *g = guest_new(4);
	gpa_t root1 = new_table(g), root2 = new_table(g), data = new_data(g);
	struct shadow *s = model_new(g);
	struct shadow_stats st;
	struct shadow_xlate x1, x2;

	map(g, root1, VA_A, data, 1, LEAF);
	g_write(g, root2 + pt_index(VA_A, 4) * 8, g_get(g, root1 + pt_index(VA_A, 4) * 8));
	CHECK(shadow__cr3_load(s, root1) == 0);
	CHECK(shadow__fault(s, VA_A, 0, NULL) == SHADOW_PF_FIXED);
	CHECK(xlate(s, VA_A, 0, &x1));
	CHECK(shadow__cr3_load(s, root2) == 0);
	st = stats(s);
	CHECK_EQ_U64(st.kvm_mmu_get_page_created, 4 + 1);
	CHECK(shadow__fault(s, VA_A, 0, NULL) == SHADOW_PF_FIXED);
	st = stats(s);
	CHECK_EQ_U64(st.kvm_mmu_get_page_created, 5);
	CHECK_EQ_U64(st.kvm_mmu_get_page_found, 1);
	CHECK(xlate(s, VA_A, 0, &x2));
	CHECK_EQ_U64(x2.hpa, x1.hpa);
	CHECK_EQ_U64(x2.step[1].table, x1.step[1].table); /* the same shadow PDPT */
	CHECK(x2.step[0].table != x1.step[0].table);	  /* two roots */
	shadow__delete(s);
	guest_free(g);
}

/*
 * The guest's own tables refuse the access: FNAME(walk_addr_generic) fails, the fault is
 * injected (kvm_inject_page_fault: pf_guest) with the guest's error code, no shadow page is
 * built and no fault is fixed.
 */
static void test_guest_fault(void)
{
	struct guest *g = guest_new(4);
	gpa_t root = new_table(g);
	struct shadow *s = model_new(g);
	struct shadow_stats st;
	uint32_t err = 0;

	map(g, root, VA_A, new_data(g), 1, PTE_P | PTE_A | PTE_D);	    /* read-only */
	map(g, root, VA_A + SZ_4K, new_data(g), 1, PTE_P | PTE_RW | PTE_A); /* supervisor */
	CHECK(shadow__cr3_load(s, root) == 0);

	CHECK(shadow__fault(s, VA_A + 2 * SZ_4K, PF_ERR_W, &err) == SHADOW_PF_GUEST);
	CHECK_EQ_U64(err, PF_ERR_W); /* not present: P clear */
	CHECK(shadow__fault(s, VA_A, PF_ERR_W, &err) == SHADOW_PF_GUEST);
	CHECK_EQ_U64(err, PF_ERR_P | PF_ERR_W);
	CHECK(shadow__fault(s, VA_A + SZ_4K, PF_ERR_U, &err) == SHADOW_PF_GUEST);
	CHECK_EQ_U64(err, PF_ERR_P | PF_ERR_U);
	CHECK(shadow__fault(s, 0x0000200000000000ULL, 0, &err) == SHADOW_PF_GUEST);
	CHECK_EQ_U64(err, 0); /* no PML4 entry at all */
	st = stats(s);
	CHECK_EQ_U64(st.pf_guest, 4);
	CHECK_EQ_U64(st.pf_taken, 4);
	CHECK_EQ_U64(st.pf_fixed, 0);
	CHECK_EQ_U64(st.kvm_mmu_get_page_created, 1); /* the root only */
	CHECK_EQ_U64(shadow__live_pages(s), 1);
	shadow__delete(s);
	guest_free(g);
}

/*
 * A guest write to its own page directory, which KVM shadows and so write-tracks
 * (account_shadowed). The first store faults on an absent SPTE: make_spte() cannot unsync a
 * tracked gfn, the SPTE is made read-only and the write emulated (pf_emulate). Later stores
 * fault on that present read-only SPTE and go to the emulator at once
 * (page_fault_handle_page_track), clearing the flood counts of the pages on *their* walk only.
 * Each emulated store is seen by kvm_mmu_pte_write (mmu_pte_write); a non-zero entry of an
 * upper-level page counts mmu_pde_zapped; the KVM_FLOOD_WRITES-th store with no fault through
 * the page zaps it (mmu_flooded, mmu_shadow_zapped).
 */
static void test_write_tracked_and_flood(void)
{
	struct guest *g = guest_new(4);
	gpa_t root = new_table(g), data = new_data(g);
	struct shadow *s = model_new(g);
	gpa_t pd, pde_a;
	gva_t win;
	struct shadow_stats st;
	struct shadow_xlate x;
	uint64_t live;

	map(g, root, VA_A, data, 1, LEAF);
	pde_a = entry_at(g, root, VA_A, 2);
	pd = pde_a & PTE_ADDR_MASK;
	win = VA_WIN; /* another PML4 slot: its walk never passes through the PD */
	map(g, root, win, pd, 1, LEAF);
	CHECK(shadow__cr3_load(s, root) == 0);
	CHECK(shadow__fault(s, VA_A, 0, NULL) == SHADOW_PF_FIXED);
	live = shadow__live_pages(s);

	for (unsigned w = 1; w <= KVM_FLOOD_WRITES; w++) {
		unsigned slot = 100 + w; /* entries not in use: only the page's fate changes */
		uint64_t created;

		CHECK(!xlate(s, win + slot * 8, PF_ERR_W, &x));
		created = stats(s).kvm_mmu_get_page_created;
		CHECK(shadow__fault(s, win + slot * 8, PF_ERR_W, NULL) == SHADOW_PF_EMULATE);
		CHECK(xlate(s, win, 0, &x) && !xlate(s, win, PF_ERR_W, &x)); /* mapped read-only */
		CHECK_EQ_U64(x.error_code, PF_ERR_W | PF_ERR_P);
		g_write(g, pd + slot * 8, data | LEAF | PTE_PS);
		shadow__guest_write(s, pd + slot * 8, data | LEAF | PTE_PS, 8);
		st = stats(s);
		CHECK_EQ_U64(st.pf_emulate, w);
		CHECK_EQ_U64(st.mmu_pte_write, w);
		if (w < KVM_FLOOD_WRITES) {
			CHECK_EQ_U64(st.mmu_flooded, 0);
			CHECK_EQ_U64(st.mmu_pde_zapped, w);
			CHECK(xlate(s, VA_A, 0, &x)); /* the path through the PD still stands */
		}
		/* the first fault through the window builds its PDPT, PD and PT; the others
		 * stop at the write-tracked gfn before FNAME(fetch) */
		CHECK_EQ_U64(stats(s).kvm_mmu_get_page_created - created, w == 1 ? 3 : 0);
		if (w == 1)
			live = shadow__live_pages(s);
	}
	st = stats(s);
	CHECK_EQ_U64(st.mmu_flooded, 1);
	CHECK_EQ_U64(st.mmu_shadow_zapped, 1);
	CHECK_EQ_U64(st.kvm_mmu_prepare_zap_page, 1);
	CHECK_EQ_U64(st.mmu_pde_zapped, KVM_FLOOD_WRITES - 1);
	CHECK_EQ_U64(shadow__live_pages(s), live - 1);
	CHECK(!xlate(s, VA_A, 0, &x)); /* the PD's shadow is gone; its PT is only unlinked */
	/* The next fault creates the PD's page again and finds the PT's, whose SPTE for VA_A
	 * is still there (mmu_set_spte() rewrites it in place: was_rmapped). */
	CHECK(shadow__fault(s, VA_A, 0, NULL) == SHADOW_PF_FIXED);
	st = stats(s);
	CHECK_EQ_U64(st.kvm_mmu_get_page_found, 1);
	CHECK(xlate(s, VA_A, 0, &x));
	shadow__delete(s);
	guest_free(g);
}

/*
 * A write to the PD entry that maps VA_A: the shadow entry is zapped, which unlinks the PT's
 * shadow page without zapping it (mmu_page_zap_pte); a misaligned store (2 bytes,
 * detect_write_misaligned) zaps the whole page at once, counted as mmu_flooded.
 */
static void test_write_zaps_entry_and_misaligned(void)
{
	struct guest *g = guest_new(4);
	gpa_t root = new_table(g), data = new_data(g);
	struct shadow *s = model_new(g);
	gpa_t pde_a, pd;
	struct shadow_stats st;
	struct shadow_xlate x;
	uint64_t live;

	map(g, root, VA_A, data, 1, LEAF);
	pde_a = entry_at(g, root, VA_A, 2);
	pd = pde_a & PTE_ADDR_MASK;
	map(g, root, VA_WIN, pd, 1, LEAF);
	CHECK(shadow__cr3_load(s, root) == 0);
	CHECK(shadow__fault(s, VA_A, 0, NULL) == SHADOW_PF_FIXED);
	live = shadow__live_pages(s);

	CHECK(shadow__fault(s, VA_WIN + (pde_a & X86_PAGE_MASK), PF_ERR_W, NULL) ==
	      SHADOW_PF_EMULATE);
	live = shadow__live_pages(s); /* plus the window's path */
	shadow__guest_write(s, pde_a, g_get(g, pde_a), 8);
	CHECK(!xlate(s, VA_A, 0, &x));
	CHECK_EQ_U64(shadow__live_pages(s), live);
	CHECK_EQ_U64(stats(s).mmu_pde_zapped, 1);

	CHECK(shadow__fault(s, VA_WIN + 0x802, PF_ERR_W, NULL) == SHADOW_PF_EMULATE);
	shadow__guest_write(s, pd + 0x802, 0xffff, 2);
	st = stats(s);
	CHECK_EQ_U64(st.mmu_flooded, 1);
	CHECK_EQ_U64(st.mmu_shadow_zapped, 1);
	CHECK_EQ_U64(shadow__live_pages(s), live - 1);
	shadow__delete(s);
	guest_free(g);
}

/*
 * A last-level table is not write-tracked (only upper levels are, account_shadowed), so a
 * store to it makes mmu_try_to_unsync_pages() mark its shadow page unsync (mmu_unsync,
 * kvm_mmu_unsync_page) and the fault is fixed, not emulated: the guest then writes its PTEs
 * without exits and the shadow goes stale. INVLPG rebuilds the one SPTE from the guest PTE
 * (FNAME(invlpg)); in 6.1 the page stays unsync until the next CR3 load, whose
 * kvm_mmu_sync_roots() syncs it (kvm_mmu_sync_page) and write-protects the table again.
 */
static void test_unsync_invlpg(void)
{
	struct guest *g = guest_new(4);
	gpa_t root = new_table(g), data = new_data(g), data2 = new_data(g);
	struct shadow *s = model_new(g);
	gpa_t pte_a;
	struct shadow_stats st;
	struct shadow_xlate x;
	uint64_t flushes;

	pte_a = map(g, root, VA_A, data, 1, LEAF);
	map(g, root, VA_WIN, pte_a & PTE_ADDR_MASK, 1, LEAF);
	CHECK(shadow__cr3_load(s, root) == 0);
	CHECK(shadow__fault(s, VA_A, 0, NULL) == SHADOW_PF_FIXED);

	CHECK(shadow__fault(s, VA_WIN + (pte_a & X86_PAGE_MASK), PF_ERR_W, NULL) ==
	      SHADOW_PF_FIXED);
	st = stats(s);
	CHECK_EQ_U64(st.mmu_unsync, 1);
	CHECK_EQ_U64(st.kvm_mmu_unsync_page, 1);
	CHECK_EQ_U64(st.pf_emulate, 0);
	CHECK(xlate(s, VA_WIN, PF_ERR_W, &x));

	g_write(g, pte_a, data2 | LEAF); /* the guest's own store: no exit */
	CHECK(xlate(s, VA_A, 0, &x));
	CHECK_EQ_U64(x.gpa, data); /* stale */
	shadow__invlpg(s, VA_A);
	CHECK(xlate(s, VA_A, 0, &x));
	CHECK_EQ_U64(x.gpa, data2);
	CHECK_EQ_U64(x.hpa, pfn_to_hpa(HOST_PFN + gpa_to_gfn(data2)));
	st = stats(s);
	CHECK_EQ_U64(st.invlpg, 1);
	CHECK_EQ_U64(st.mmu_unsync, 1);
	CHECK_EQ_U64(st.kvm_mmu_sync_page, 0);

	flushes = st.tlb_flush;
	CHECK(shadow__cr3_load(s, root) == 0);
	st = stats(s);
	CHECK_EQ_U64(st.mmu_unsync, 0);
	CHECK_EQ_U64(st.kvm_mmu_sync_page, 1);
	/* one flush at entry: the flush-all the write protection asks for covers the CR3
	 * load's flush of the current context (vcpu_enter_guest) */
	CHECK_EQ_U64(st.tlb_flush, flushes + 1);
	CHECK(xlate(s, VA_WIN, 0, &x) && !xlate(s, VA_WIN, PF_ERR_W, &x));
	shadow__delete(s);
	guest_free(g);
}

/*
 * A guest TLB flush (kvm_vcpu_flush_tlb_guest) syncs the current root and drops the cached
 * roots that have unsync pages (kvm_mmu_sync_prev_roots: "sync prev_roots by simply freeing
 * them"), so switching back to such a CR3 looks its root up again (found), and that load
 * syncs the page (kvm_mmu_load -> kvm_mmu_sync_roots).
 */
static void test_flush_guest_tlb(void)
{
	struct guest *g = guest_new(4);
	gpa_t root1 = new_table(g), root2 = new_table(g), pte_a;
	struct shadow *s = model_new(g);
	struct shadow_stats st;
	uint64_t flushes;

	pte_a = map(g, root1, VA_A, new_data(g), 1, LEAF);
	map(g, root1, VA_WIN, pte_a & PTE_ADDR_MASK, 1, LEAF);
	map(g, root2, VA_A, new_data(g), 1, LEAF);
	CHECK(shadow__cr3_load(s, root1) == 0);
	CHECK(shadow__fault(s, VA_A, 0, NULL) == SHADOW_PF_FIXED);
	CHECK(shadow__fault(s, VA_WIN + (pte_a & X86_PAGE_MASK), PF_ERR_W, NULL) ==
	      SHADOW_PF_FIXED);
	CHECK(shadow__cr3_load(s, root2) == 0); /* syncs root2 only */
	CHECK_EQ_U64(stats(s).mmu_unsync, 1);

	flushes = stats(s).tlb_flush;
	shadow__flush_guest_tlb(s);
	st = stats(s);
	CHECK_EQ_U64(st.tlb_flush, flushes + 1);
	CHECK_EQ_U64(st.mmu_unsync, 1); /* dropped from the cache, not synced */
	CHECK_EQ_U64(st.kvm_mmu_get_page_found, 0);

	CHECK(shadow__cr3_load(s, root1) == 0);
	st = stats(s);
	CHECK_EQ_U64(st.kvm_mmu_get_page_found, 1);
	CHECK_EQ_U64(st.mmu_unsync, 0);
	CHECK_EQ_U64(st.kvm_mmu_sync_page, 1);
	shadow__delete(s);
	guest_free(g);
}

/*
 * Roots cached per CR3 (kvm_mmu_new_pgd, fast_pgd_switch): the current root and
 * KVM_PREV_ROOTS previous ones, most recent first; switching back to one of them makes no
 * kvm_mmu_get_page call. A CR3 that fell out of the cache gets its root page from the hash
 * again (found). The test keeps its own most-recent-first list to know which is which.
 */
static void test_cr3_cache(void)
{
	enum { NR = 6 };
	struct guest *g = guest_new(4);
	struct shadow *s = model_new(g);
	gpa_t roots[NR];
	const unsigned seq[] = {0, 1, 2, 3, 0, 4, 1, 5, 2, 3, 0};
	int cache[1 + KVM_PREV_ROOTS];
	unsigned ncache = 0;
	bool seen[NR] = {false};
	uint64_t created = 0, found = 0, flushes = 0;

	for (unsigned i = 0; i < NR; i++) {
		roots[i] = new_table(g);
		map(g, roots[i], VA_A, new_data(g), 1, LEAF);
	}
	for (unsigned k = 0; k < sizeof(seq) / sizeof(seq[0]); k++) {
		unsigned r = seq[k], pos = ncache;
		struct shadow_stats st;

		for (unsigned i = 0; i < ncache; i++)
			if (cache[i] == (int)r)
				pos = i;
		if (pos == ncache) { /* not cached: kvm_mmu_load() looks the root up */
			if (seen[r])
				found++;
			else
				created++;
			if (ncache < 1 + KVM_PREV_ROOTS)
				ncache++;
			pos = ncache - 1; /* the least recent is dropped */
		}
		for (unsigned i = pos; i > 0; i--)
			cache[i] = cache[i - 1];
		cache[0] = (int)r;
		seen[r] = true;
		flushes++; /* every load: KVM_REQ_TLB_FLUSH_CURRENT */

		CHECK(shadow__cr3_load(s, roots[r]) == 0);
		st = stats(s);
		CHECK_EQ_U64(st.kvm_mmu_get_page_created, created);
		CHECK_EQ_U64(st.kvm_mmu_get_page_found, found);
		CHECK_EQ_U64(st.tlb_flush, flushes);
	}
	CHECK(found > 0 && created == NR);
	shadow__delete(s);
	guest_free(g);
}

/*
 * The guest empties the PD entry of a table and reuses the table page: the write of 0 only
 * unlinks the table's shadow page (mmu_pde_zapped counts only non-zero entries); zapping the
 * gfn (kvm_mmu_unprotect_page) then removes it (mmu_shadow_zapped) with its leaf SPTEs.
 */
static void test_table_freed(void)
{
	enum { MAPPED = 5 };
	struct guest *g = guest_new(4);
	gpa_t root = new_table(g);
	struct shadow *s = model_new(g);
	gpa_t pte0, pde;
	struct shadow_stats st;
	uint64_t live;

	for (unsigned i = 0; i < MAPPED; i++)
		pte0 = map(g, root, VA_A + i * SZ_4K, new_data(g), 1, LEAF);
	pte0 &= PTE_ADDR_MASK;
	pde = entry_at(g, root, VA_A, 2);
	map(g, root, VA_WIN, pde & PTE_ADDR_MASK, 1, LEAF);
	CHECK(shadow__cr3_load(s, root) == 0);
	CHECK(shadow__fault(s, VA_A, 0, NULL) == SHADOW_PF_FIXED);
	/* all MAPPED PTEs share the group of index 0: one fault, MAPPED - 1 prefetched */
	CHECK_EQ_U64(stats(s).pages_4k, MAPPED);

	CHECK(shadow__fault(s, VA_WIN + (pde & X86_PAGE_MASK), PF_ERR_W, NULL) ==
	      SHADOW_PF_EMULATE);
	st = stats(s);
	g_write(g, pde, 0);
	shadow__guest_write(s, pde, 0, 8);
	live = shadow__live_pages(s);
	CHECK_EQ_U64(stats(s).mmu_pde_zapped, 0);
	CHECK_EQ_U64(stats(s).pages_4k, st.pages_4k);

	CHECK_EQ_U64(shadow__table_freed(s, gpa_to_gfn(pte0)), 1);
	st = stats(s);
	CHECK_EQ_U64(st.mmu_shadow_zapped, 1);
	CHECK_EQ_U64(st.kvm_mmu_prepare_zap_page, 1);
	CHECK_EQ_U64(shadow__live_pages(s), live - 1);
	CHECK_EQ_U64(st.pages_4k, 1); /* only the window's leaf is left */
	CHECK_EQ_U64(shadow__table_freed(s, gpa_to_gfn(pte0)), 0);
	shadow__delete(s);
	guest_free(g);
}

/*
 * FNAME(pte_prefetch): after a 4K fault at index @fault, the other SPTEs of its 8-aligned
 * group that are absent are filled in index order from the guest PTEs; the first guest PTE
 * that is not present or not accessed (FNAME(prefetch_invalid_gpte)) ends it. PTEs outside
 * the group are never prefetched; prefetched SPTEs are no fault (pf_fixed stays 1).
 * @valid: bit i says whether PTE i of the table is present and accessed.
 */
static void prefetch_case(unsigned fault, uint64_t valid, uint64_t present_not_accessed)
{
	struct guest *g = guest_new(4);
	gpa_t root = new_table(g);
	struct shadow *s = model_new(g);
	unsigned start = fault & ~(KVM_PREFETCH - 1u), expect = 1;
	struct shadow_stats st;
	struct shadow_xlate x;
	bool stopped = false, in_shadow[64] = {false};

	for (unsigned i = 0; i < 64; i++) {
		if ((valid >> i) & 1)
			map(g, root, VA_A + i * SZ_4K, new_data(g), 1, LEAF);
		else if ((present_not_accessed >> i) & 1)
			map(g, root, VA_A + i * SZ_4K, new_data(g), 1, PTE_P | PTE_RW | PTE_US);
	}
	for (unsigned i = start; i < start + KVM_PREFETCH; i++) {
		if (i == fault || stopped)
			continue;
		if (!((valid >> i) & 1)) {
			stopped = true;
			continue;
		}
		in_shadow[i] = true;
		expect++;
	}
	in_shadow[fault] = true;

	CHECK(shadow__cr3_load(s, root) == 0);
	CHECK(shadow__fault(s, VA_A + fault * SZ_4K, 0, NULL) == SHADOW_PF_FIXED);
	st = stats(s);
	CHECK_EQ_U64(st.pages_4k, expect);
	CHECK_EQ_U64(st.pf_fixed, 1);
	for (unsigned i = 0; i < 64; i++)
		CHECK(xlate(s, VA_A + i * SZ_4K, 0, &x) == in_shadow[i]);
	shadow__delete(s);
	guest_free(g);
}

static void test_prefetch(void)
{
	/* the whole group of 10 (8..15) and its neighbours 7 and 16 */
	prefetch_case(10, 0x1ff80ULL, 0);
	/* 12 present but not accessed: 8, 9 and 11 only */
	prefetch_case(10, 0x1ef80ULL, 1ULL << 12);
	/* 9 absent: 8 only */
	prefetch_case(10, 0x1fd80ULL, 0);
	/* the fault at the group's end: 0..6 */
	prefetch_case(7, 0xffULL, 0);
}

/*
 * Recycling (make_mmu_pages_available): the limit is max(RAM pages / 50, 64)
 * (kvm_arch_commit_memory_region); when fewer than KVM_MIN_FREE pages are left before a fault,
 * the oldest pages that are not roots are zapped, one count each, until KVM_REFILL are free
 * (kvm_mmu_zap_oldest_mmu_pages: mmu_recycled). Every fault here is in a new 2M region, so it
 * needs a new PT; the test keeps the pages in creation order to know what recycling removed,
 * and what the next fault must create (a zapped page) or find (a live page it must relink).
 */
enum { REC_PDPT, REC_PD, REC_PT };

static void test_recycle(void)
{
	struct guest *g = guest_new(4);
	gpa_t root = new_table(g);
	struct shadow *s = model_new(g);
	uint64_t limit = RAM_PAGES / KVM_RATIO, recycled = 0, created = 1, found = 0;
	int order[1024];
	unsigned n = 0, recycles = 0;
	bool alive[2] = {false, false}, pd_linked = false;

	if (limit < KVM_MIN_ALLOC)
		limit = KVM_MIN_ALLOC;
	CHECK_EQ_U64(shadow__max_pages(s), limit);
	for (unsigned i = 0; i < 3 * limit; i++)
		map(g, root, VA_A + i * SZ_2M, new_data(g), 1, LEAF);
	CHECK(shadow__cr3_load(s, root) == 0);
	for (unsigned i = 0; i < 3 * limit; i++) {
		uint64_t avail = limit - (1 + n); /* the root and the n others */

		if (avail < KVM_MIN_FREE) {
			unsigned zap = KVM_REFILL - (unsigned)avail;

			for (unsigned k = 0; k < zap; k++) {
				if (order[k] != REC_PT) {
					alive[order[k]] = false;
					pd_linked = false;
				}
			}
			for (unsigned k = zap; k < n; k++)
				order[k - zap] = order[k];
			n -= zap;
			recycled += zap;
			recycles++;
		}
		if (!alive[REC_PDPT]) {
			alive[REC_PDPT] = true;
			order[n++] = REC_PDPT;
			created++;
			pd_linked = false;
		}
		if (!pd_linked) {
			if (alive[REC_PD]) {
				found++;
			} else {
				alive[REC_PD] = true;
				order[n++] = REC_PD;
				created++;
			}
			pd_linked = true;
		}
		order[n++] = REC_PT;
		created++;

		CHECK(shadow__fault(s, VA_A + i * SZ_2M, 0, NULL) == SHADOW_PF_FIXED);
		CHECK_EQ_U64(shadow__live_pages(s), 1 + n);
		CHECK_EQ_U64(stats(s).mmu_recycled, recycled);
		CHECK_EQ_U64(stats(s).kvm_mmu_get_page_created, created);
		CHECK_EQ_U64(stats(s).kvm_mmu_get_page_found, found);
	}
	CHECK(recycles >= 3);
	shadow__delete(s);
	guest_free(g);
}

/*
 * A guest 2M page: with 4K host pages KVM shadows it with a direct page of 4K SPTEs
 * (FNAME(fetch), direct levels) and prefetches the whole group (__direct_pte_prefetch needs no
 * accessed bits); with a 2M host page it installs one 2M SPTE (kvm_mmu_hugepage_adjust) unless
 * a guest table it shadows lies in that 2M frame (kvm_mmu_gfn_disallow_lpage).
 */
static void test_huge(void)
{
	struct guest *g = guest_new(4);
	gpa_t root = new_table(g);
	struct shadow *s = model_new(g);
	gva_t va_low = 0x40000000, va_high = 0x40200000;
	struct shadow_stats st;
	struct shadow_xlate x;

	/* gpa 0: the 2M frame holding every table (TABLE_GFN), mapped read-only so that only
	 * the disallow count, not FNAME(is_self_change_mapping), keeps it 4K; gpa 4M: data */
	map(g, root, va_low, 0, 2, PTE_P | PTE_US | PTE_A | PTE_D);
	map(g, root, va_high, 2 * SZ_2M, 2, LEAF);
	CHECK(shadow__cr3_load(s, root) == 0);

	CHECK(shadow__fault(s, va_high + 0x3000, 0, NULL) == SHADOW_PF_FIXED);
	st = stats(s);
	CHECK_EQ_U64(st.kvm_mmu_get_page_created, 1 + 2 + 1); /* root, PDPT, PD, direct */
	CHECK_EQ_U64(st.pages_4k, KVM_PREFETCH);
	CHECK(xlate(s, va_high + 0x3123, 0, &x));
	CHECK_EQ_U64(x.leaf_level, 1);
	CHECK_EQ_U64(x.gpa, 2 * SZ_2M + 0x3123);
	shadow__delete(s);

	g->host_level = 2;
	s = model_new(g);
	CHECK(shadow__cr3_load(s, root) == 0);
	CHECK(shadow__fault(s, va_high + 0x3000, 0, NULL) == SHADOW_PF_FIXED);
	st = stats(s);
	CHECK_EQ_U64(st.kvm_mmu_get_page_created, 1 + 2);
	CHECK_EQ_U64(st.pages_2m, 1);
	CHECK_EQ_U64(st.pages_4k, 0);
	CHECK(xlate(s, va_high + 0x1ff123, 0, &x));
	CHECK_EQ_U64(x.leaf_level, 2);
	CHECK_EQ_U64(x.hpa, pfn_to_hpa(HOST_PFN) + 2 * SZ_2M + 0x1ff123);

	CHECK(shadow__fault(s, va_low + 0x5000, 0, NULL) == SHADOW_PF_FIXED);
	st = stats(s);
	CHECK_EQ_U64(st.pages_2m, 1);
	CHECK_EQ_U64(st.kvm_mmu_get_page_created, 1 + 2 + 1); /* a direct page */
	CHECK(xlate(s, va_low + 0x5000, 0, &x));
	CHECK_EQ_U64(x.leaf_level, 1);
	shadow__delete(s);
	guest_free(g);
}

/*
 * A gfn outside guest RAM: KVM installs an MMIO SPTE and emulates (pf_emulate); the next
 * access faults on that SPTE with RSVD and is emulated by handle_mmio_page_fault() without
 * going through kvm_mmu_do_page_fault(), so no pf_* counter moves.
 */
static void test_mmio(void)
{
	struct guest *g = guest_new(4);
	gpa_t root = new_table(g);
	struct shadow *s = model_new(g);
	struct shadow_stats st;
	struct shadow_xlate x;

	map(g, root, VA_A, gfn_to_gpa(RAM_PAGES + 16), 1, LEAF);
	CHECK(shadow__cr3_load(s, root) == 0);
	CHECK(shadow__fault(s, VA_A, 0, NULL) == SHADOW_PF_EMULATE);
	CHECK(!xlate(s, VA_A, 0, &x) && x.mmio);
	CHECK_EQ_U64(x.error_code, PF_ERR_RSVD | PF_ERR_P);
	CHECK(shadow__fault(s, VA_A, 0, NULL) == SHADOW_PF_EMULATE);
	st = stats(s);
	CHECK_EQ_U64(st.pf_emulate, 1);
	CHECK_EQ_U64(st.pf_taken, 1);
	CHECK_EQ_U64(st.pages_4k, 0);
	shadow__delete(s);
	guest_free(g);
}

/*
 * A fault on an SPTE that already allows the access (a stale hardware TLB entry): for a
 * read-only leaf, make_spte() builds the very same SPTE and mmu_set_spte() returns
 * RET_PF_SPURIOUS (pf_spurious). For a writable leaf 6.1's make_spte() skips the dirty bit when
 * the old SPTE was writable, so the SPTE changes and the fault counts as fixed.
 */
static void test_spurious(void)
{
	struct guest *g = guest_new(4);
	gpa_t root = new_table(g);
	struct shadow *s = model_new(g);
	struct shadow_stats st;
	struct shadow_xlate x;

	map(g, root, VA_A, new_data(g), 1, PTE_P | PTE_US | PTE_A | PTE_D);
	map(g, root, VA_A + 64 * SZ_4K, new_data(g), 1, LEAF);
	CHECK(shadow__cr3_load(s, root) == 0);
	CHECK(shadow__fault(s, VA_A, 0, NULL) == SHADOW_PF_FIXED);
	CHECK(shadow__fault(s, VA_A, 0, NULL) == SHADOW_PF_SPURIOUS);
	CHECK(shadow__fault(s, VA_A + 64 * SZ_4K, PF_ERR_W, NULL) == SHADOW_PF_FIXED);
	CHECK(xlate(s, VA_A + 64 * SZ_4K, PF_ERR_W, &x) && (x.step[3].spte & PTE_D));
	CHECK(shadow__fault(s, VA_A + 64 * SZ_4K, PF_ERR_W, NULL) == SHADOW_PF_FIXED);
	CHECK(xlate(s, VA_A + 64 * SZ_4K, PF_ERR_W, &x) && !(x.step[3].spte & PTE_D));
	st = stats(s);
	CHECK_EQ_U64(st.pf_spurious, 1);
	CHECK_EQ_U64(st.pf_fixed, 3);
	CHECK_EQ_U64(st.pages_4k, 2);
	shadow__delete(s);
	guest_free(g);
}

/*
 * Anonymous host memory, read before it is written (KVM 6.1 with Linux's anonymous memory):
 * the read fault maps the zero page read-only (hva_to_pfn without FOLL_WRITE; make_spte() with
 * host_writable false), one pf_fixed. The write faults on that read-only SPTE; faulting the
 * page in for writing breaks copy-on-write, whose MMU-notifier invalidation drops the gfn's
 * SPTE and flushes (one tlb_flush), and the fault is stale (RET_PF_RETRY: pf_taken only). The
 * retried write faults on the absent SPTE and maps the new page writable (pf_fixed). A page
 * written first takes one fault and no flush.
 */
static void test_host_zero_page(void)
{
	struct guest *g = guest_new(4);
	gpa_t root = new_table(g), d1 = new_data(g), d2 = new_data(g);
	struct shadow *s;
	struct shadow_stats st0, st;
	struct shadow_xlate x;

	g->anon = true;
	for (gfn_t f = 0; f < TABLE_GFN + 16; f++)
		g->host[f] = HOST_PRESENT; /* the tables: written by the guest kernel */
	s = model_new(g);
	map(g, root, VA_A, d1, 1, LEAF);
	map(g, root, VA_A + 9 * SZ_4K, d2, 1, LEAF);
	CHECK(shadow__cr3_load(s, root) == 0);
	st0 = stats(s);

	CHECK(shadow__fault(s, VA_A, PF_ERR_U, NULL) == SHADOW_PF_FIXED);
	CHECK(xlate(s, VA_A, PF_ERR_U, &x));
	CHECK_EQ_U64(x.hpa, pfn_to_hpa(ZERO_PFN));
	CHECK(!xlate(s, VA_A, PF_ERR_U | PF_ERR_W, &x));
	CHECK_EQ_U64(x.error_code, PF_ERR_P | PF_ERR_W | PF_ERR_U);

	CHECK(shadow__fault(s, VA_A, PF_ERR_U | PF_ERR_W, NULL) == SHADOW_PF_RETRY);
	st = stats(s);
	CHECK_EQ_U64(st.pf_taken - st0.pf_taken, 2);
	CHECK_EQ_U64(st.pf_fixed - st0.pf_fixed, 1);
	CHECK_EQ_U64(st.tlb_flush - st0.tlb_flush, 1);
	CHECK_EQ_U64(st.pages_4k, 0);
	CHECK(!xlate(s, VA_A, PF_ERR_U, &x)); /* dropped by the invalidation */

	CHECK(shadow__fault(s, VA_A, PF_ERR_U | PF_ERR_W, NULL) == SHADOW_PF_FIXED);
	CHECK(xlate(s, VA_A, PF_ERR_U | PF_ERR_W, &x));
	CHECK_EQ_U64(x.hpa, pfn_to_hpa(HOST_PFN + gpa_to_gfn(d1)));
	st = stats(s);
	CHECK_EQ_U64(st.pf_taken - st0.pf_taken, 3);
	CHECK_EQ_U64(st.pf_fixed - st0.pf_fixed, 2);
	CHECK_EQ_U64(st.tlb_flush - st0.tlb_flush, 1);
	CHECK_EQ_U64(st.pages_4k, 1);

	/* written first: absent -> its own page, no invalidation */
	CHECK(shadow__fault(s, VA_A + 9 * SZ_4K, PF_ERR_U | PF_ERR_W, NULL) == SHADOW_PF_FIXED);
	st0 = st;
	st = stats(s);
	CHECK_EQ_U64(st.pf_taken - st0.pf_taken, 1);
	CHECK_EQ_U64(st.pf_fixed - st0.pf_fixed, 1);
	CHECK_EQ_U64(st.tlb_flush - st0.tlb_flush, 0);
	CHECK_EQ_U64(st.pages_4k, 2);
	shadow__delete(s);
	guest_free(g);
}

/*
 * The prefetch of a 4K fault takes only host pages mapped writable now
 * (gfn_to_pfn_memslot_atomic); the first neighbour without one ends it (FNAME(pte_prefetch)).
 */
static void test_prefetch_host_absent(void)
{
	struct guest *g = guest_new(4);
	gpa_t root = new_table(g), d[4];
	struct shadow *s;
	struct shadow_xlate x;

	g->anon = true;
	for (gfn_t f = 0; f < TABLE_GFN + 16; f++)
		g->host[f] = HOST_PRESENT;
	s = model_new(g);
	for (unsigned i = 0; i < 4; i++) {
		d[i] = new_data(g);
		map(g, root, VA_A + i * SZ_4K, d[i], 1, LEAF);
	}
	g->host[gpa_to_gfn(d[1])] = HOST_PRESENT;
	g->host[gpa_to_gfn(d[3])] = HOST_PRESENT; /* d[2] absent: the prefetch stops there */
	CHECK(shadow__cr3_load(s, root) == 0);
	CHECK(shadow__fault(s, VA_A, PF_ERR_U | PF_ERR_W, NULL) == SHADOW_PF_FIXED);
	CHECK(xlate(s, VA_A + SZ_4K, PF_ERR_U, &x));
	CHECK(!xlate(s, VA_A + 2 * SZ_4K, PF_ERR_U, &x));
	CHECK(!xlate(s, VA_A + 3 * SZ_4K, PF_ERR_U, &x));
	CHECK_EQ_U64(stats(s).pages_4k, 2);
	shadow__delete(s);
	guest_free(g);
}

/*
 * The host drops guest pages (MADV_DONTNEED of a freed range) while the vCPU is out:
 * kvm_unmap_gfn_range() drops every SPTE mapping them and requests a flush; the requests of
 * one exit are served once as the vCPU enters (one tlb_flush); a range nothing maps requests
 * none.
 */
static void test_host_unmap(void)
{
	struct guest *g = guest_new(4);
	gpa_t root = new_table(g), d1 = new_data(g), d2 = new_data(g);
	struct shadow *s = model_new(g);
	struct shadow_stats st0, st;
	struct shadow_xlate x;

	map(g, root, VA_A, d1, 1, LEAF);
	map(g, root, VA_A + 9 * SZ_4K, d2, 1, LEAF);
	map(g, root, VA_WIN, d1, 1, LEAF); /* a second SPTE for d1 */
	CHECK(shadow__cr3_load(s, root) == 0);
	CHECK(shadow__fault(s, VA_A, PF_ERR_U, NULL) == SHADOW_PF_FIXED);
	CHECK(shadow__fault(s, VA_A + 9 * SZ_4K, PF_ERR_U, NULL) == SHADOW_PF_FIXED);
	CHECK(shadow__fault(s, VA_WIN, PF_ERR_U, NULL) == SHADOW_PF_FIXED);
	st0 = stats(s);
	CHECK_EQ_U64(st0.pages_4k, 3);
	CHECK_EQ_U64(shadow__host_unmap(s, gpa_to_gfn(d2) + 1, 8), 0);
	shadow__vcpu_enter(s);
	CHECK_EQ_U64(stats(s).tlb_flush, st0.tlb_flush);
	/* two unmaps in one exit: one flush when the vCPU enters */
	CHECK_EQ_U64(shadow__host_unmap(s, gpa_to_gfn(d1), 1), 2);
	CHECK_EQ_U64(stats(s).tlb_flush, st0.tlb_flush);
	CHECK_EQ_U64(shadow__host_unmap(s, gpa_to_gfn(d2), 1), 1);
	shadow__vcpu_enter(s);
	st = stats(s);
	CHECK_EQ_U64(st.pages_4k, 0);
	CHECK_EQ_U64(st.tlb_flush - st0.tlb_flush, 1);
	/* another exit, another flush */
	CHECK(shadow__fault(s, VA_A + 9 * SZ_4K, PF_ERR_U, NULL) == SHADOW_PF_FIXED);
	CHECK_EQ_U64(shadow__host_unmap(s, gpa_to_gfn(d2), 1), 1);
	shadow__vcpu_enter(s);
	CHECK_EQ_U64(stats(s).tlb_flush - st0.tlb_flush, 2);
	CHECK(!xlate(s, VA_A, PF_ERR_U, &x));
	CHECK(!xlate(s, VA_WIN, PF_ERR_U, &x));
	CHECK(!xlate(s, VA_A + 9 * SZ_4K, PF_ERR_U, &x));
	CHECK(shadow__fault(s, VA_A, PF_ERR_U, NULL) == SHADOW_PF_FIXED); /* mapped again */
	CHECK(xlate(s, VA_A, PF_ERR_U, &x));
	shadow__delete(s);
	guest_free(g);
}

/* The counter table: KVM's names, each once, each readable by name. */
static void test_stat_table(void)
{
	static const char *const names[] = {
		"pf_fixed",
		"pf_guest",
		"pf_emulate",
		"pf_spurious",
		"mmu_cache_miss",
		"mmu_pte_write",
		"mmu_flooded",
		"mmu_pde_zapped",
		"mmu_shadow_zapped",
		"mmu_recycled",
		"mmu_unsync",
		"invlpg",
		"tlb_flush",
		"pages_4k",
		"pages_2m",
		"pages_1g",
		"kvm_mmu_get_page_created",
		"kvm_mmu_get_page_found",
		"kvm_mmu_sync_page",
		"kvm_mmu_unsync_page",
		"kvm_mmu_prepare_zap_page",
	};
	struct shadow_stats st;
	size_t n;
	const struct shadow_stat_desc *t = shadow_stat_table(&n);
	uint64_t v;

	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			CHECK(strcmp(t[i].name, t[j].name) != 0);
	CHECK_EQ_U64(n * sizeof(uint64_t), sizeof(st));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		st.mmu_recycled = 7;
		CHECK(shadow_stat_get(&st, names[i], &v) == 0);
		CHECK_EQ_U64(v, strcmp(names[i], "mmu_recycled") ? 0 : 7);
	}
	CHECK(shadow_stat_get(&st, "pf_nothing", &v) == -ENOENT);
}

int main(void)
{
	test_build_path(4);
	test_build_path(5);
	test_found_shared();
	test_guest_fault();
	test_write_tracked_and_flood();
	test_write_zaps_entry_and_misaligned();
	test_unsync_invlpg();
	test_flush_guest_tlb();
	test_cr3_cache();
	test_table_freed();
	test_prefetch();
	test_recycle();
	test_huge();
	test_mmio();
	test_spurious();
	test_host_zero_page();
	test_prefetch_host_absent();
	test_host_unmap();
	test_stat_table();
	TEST_DONE();
}
