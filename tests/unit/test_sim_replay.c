// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow mode replays the guest kernel's table updates from an event file: munmap's
 * stores, its INVLPGs, a CR3 reload, address-space switches. The file is built here with
 * the event-file writer in growing prefixes (phases); each phase's change in KVM's counters
 * is worked out from the rules of docs/shadow-model.md (Linux 6.1), on the machine's layout
 * (docs/sim-command.md): the guest writes its tables through its direct map, the data
 * region's one page table is shadowed by the first data fault and made unsync by the second
 * page's store (as in test_sim_shadow's demand scan).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/sim.h"
#include "test.h"
#include "trace/evfile.h"
#include "workloads/abi.h"

#define PAGE  4096ULL
#define NPAGE 16ULL	   /* pages of the mapping: one page table, fewer than 33 */
#define CR3_A 0x10000ULL   /* the guest's first address space */
#define CR3_B 0x7000000ULL /* a second one */

enum phase { PH_FAULTS, PH_UNMAP, PH_REFAULT, PH_RELOAD, PH_SWITCH, PH_N };

static void fault(struct ev_writer *w, uint64_t va)
{
	struct ev_guest_fault f = {
		.cr2 = va, .gpa = 0x800000, .cr3 = CR3_A, .error_code = 0x4, .page_shift = 12};

	CHECK_EQ_U64(ev_write(w, &ev_type_guest_fault, 0, 1, &f), 0);
}

static void flush(struct ev_writer *w, uint64_t va, uint32_t kind, uint64_t cr3)
{
	struct ev_guest_tlb_flush f = {.va = va, .cr3 = cr3, .kind = kind};

	CHECK_EQ_U64(ev_write(w, &ev_type_guest_tlb_flush, 0, 1, &f), 0);
}

static void as_rec(struct ev_writer *w, const struct ev_type *t, uint64_t cr3, uint64_t prev,
		   uint32_t pid)
{
	struct ev_guest_as a = {.cr3 = cr3, .prev_cr3 = prev, .pid = pid};

	CHECK_EQ_U64(ev_write(w, t, 0, 1, &a), 0);
}

/* The records of phases 0..@last, as the guest kernel emits them (workloads/kernel/mm.c). */
static void write_file(const char *path, enum phase last)
{
	struct ev_guest_map map = {.va = SIM_GUEST_BASE,
				   .len = NPAGE * PAGE,
				   .cr3 = CR3_A,
				   .prot = MV_PROT_READ | MV_PROT_WRITE,
				   .page_shift = 12};
	struct ev_writer *w;

	CHECK_EQ_U64(ev_writer_open(&w, path, 0, 1, false), 0);
	as_rec(w, &ev_type_guest_as_create, CR3_A, 0, 0);
	CHECK_EQ_U64(ev_write(w, &ev_type_guest_map, 0, 1, &map), 0);
	for (uint64_t i = 0; i < NPAGE; i++)
		fault(w, SIM_GUEST_BASE + i * PAGE);
	if (last >= PH_UNMAP) { /* munmap: the record, the cleared leaves, one INVLPG a page */
		map.prot = 0;
		CHECK_EQ_U64(ev_write(w, &ev_type_guest_unmap, 0, 1, &map), 0);
		for (uint64_t i = 0; i < NPAGE; i++)
			flush(w, SIM_GUEST_BASE + i * PAGE, EV_FLUSH_INVLPG, CR3_A);
	}
	if (last >= PH_REFAULT) { /* the program maps it again and touches every page */
		map.prot = MV_PROT_READ | MV_PROT_WRITE;
		CHECK_EQ_U64(ev_write(w, &ev_type_guest_map, 0, 1, &map), 0);
		for (uint64_t i = 0; i < NPAGE; i++)
			fault(w, SIM_GUEST_BASE + i * PAGE);
	}
	if (last >= PH_RELOAD)
		flush(w, 0, EV_FLUSH_CR3, CR3_A);
	if (last >= PH_SWITCH) {
		as_rec(w, &ev_type_guest_as_create, CR3_B, CR3_A, 1);
		as_rec(w, &ev_type_guest_as_switch, CR3_B, CR3_A, 1);
		as_rec(w, &ev_type_guest_as_switch, CR3_A, CR3_B, 0);
	}
	CHECK_EQ_U64(ev_writer_close(w, false), 0);
}

static void run(const char *path, enum paging_mode mode, struct sim_mode_result *r,
		struct sim_input_stats *in)
{
	struct sim_machine_config c;
	char err[512] = "";

	memset(&c, 0, sizeof(c));
	CHECK_EQ_U64(sim_config__preset(&c.cfg, "textbook", err, sizeof(err)), 0);
	c.gps = PAGE_4K;
	c.hps = PAGE_4K;
	c.input = SIM_IN_EVENTS;
	c.in_path = path;
	if (sim_machine_run(&c, mode, r, in, err, sizeof(err)))
		fprintf(stderr, "%s\n", err);
}

/*
 * An unmap record over 64T (a hostile or damaged file) with one page mapped in it: the one
 * leaf is cleared (one store), the rest is skipped table by table, so the replay is quick.
 */
static void test_huge_unmap(const char *dir)
{
	struct ev_guest_map map = {
		.va = SIM_GUEST_BASE, .len = 1ULL << 46, .cr3 = CR3_A, .page_shift = 12};
	struct sim_mode_result one, huge;
	struct sim_input_stats in;
	struct ev_writer *w;
	char path[300];

	snprintf(path, sizeof(path), "%s/huge.mvev", dir);
	for (int pass = 0; pass < 2; pass++) {
		CHECK_EQ_U64(ev_writer_open(&w, path, 0, 1, false), 0);
		fault(w, SIM_GUEST_BASE + 5 * PAGE);
		if (pass)
			CHECK_EQ_U64(ev_write(w, &ev_type_guest_unmap, 0, 1, &map), 0);
		CHECK_EQ_U64(ev_writer_close(w, false), 0);
		memset(pass ? &huge : &one, 0, sizeof(one));
		run(path, PAGING_SHADOW, pass ? &huge : &one, &in);
	}
	CHECK_EQ_U64(in.replayed, 1);
	CHECK_EQ_U64(huge.shadow.table_stores - one.shadow.table_stores, 1);
	unlink(path);
}

/* A flush of an unknown kind is bad input: -EINVAL, the message names the record and offset. */
static void test_bad_flush(const char *dir)
{
	struct sim_machine_config c;
	struct sim_mode_result r;
	struct sim_input_stats in;
	struct ev_writer *w;
	char path[300], err[512] = "";

	snprintf(path, sizeof(path), "%s/bad.mvev", dir);
	CHECK_EQ_U64(ev_writer_open(&w, path, 0, 1, false), 0);
	flush(w, SIM_GUEST_BASE, 7, CR3_A);
	CHECK_EQ_U64(ev_writer_close(w, false), 0);
	memset(&c, 0, sizeof(c));
	CHECK_EQ_U64(sim_config__preset(&c.cfg, "textbook", err, sizeof(err)), 0);
	c.gps = PAGE_4K;
	c.hps = PAGE_4K;
	c.input = SIM_IN_EVENTS;
	c.in_path = path;
	CHECK_EQ_U64(sim_machine_run(&c, PAGING_SHADOW, &r, &in, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "replaying guest_tlb_flush") != NULL);
	CHECK(strstr(err, "offset") != NULL);
	/* Native mode does not read it: an other record. */
	CHECK_EQ_U64(sim_machine_run(&c, PAGING_NATIVE, &r, &in, err, sizeof(err)), 0);
	unlink(path);
}

int main(void)
{
	char dir[] = "/tmp/test_sim_replay.XXXXXX", path[PH_N][300];
	struct sim_mode_result r[PH_N], nat;
	struct sim_input_stats in[PH_N], nin;
	const struct shadow_stats *s[PH_N];

	if (!mkdtemp(dir))
		SKIP("mkdtemp failed\n");
	for (int p = 0; p < PH_N; p++) {
		snprintf(path[p], sizeof(path[p]), "%s/phase%d.mvev", dir, p);
		write_file(path[p], (enum phase)p);
		memset(&r[p], 0, sizeof(r[p]));
		run(path[p], PAGING_SHADOW, &r[p], &in[p]);
		s[p] = &r[p].shadow.st;
	}

	/* Faults: as the demand scan: NPAGE guest faults and fixes, the root's store emulated,
	 * the page table made unsync by the second page's store (one more fix). */
	CHECK_EQ_U64(s[PH_FAULTS]->pf_guest, NPAGE);
	CHECK_EQ_U64(s[PH_FAULTS]->pf_fixed, NPAGE + 1);
	CHECK_EQ_U64(s[PH_FAULTS]->pf_emulate, 1);
	CHECK_EQ_U64(s[PH_FAULTS]->mmu_unsync, 1);
	CHECK_EQ_U64(s[PH_FAULTS]->kvm_mmu_sync_page, 0);
	CHECK_EQ_U64(s[PH_FAULTS]->invlpg, 0);
	CHECK_EQ_U64(in[PH_FAULTS].replayed, 2); /* the AS creation and the map */

	/*
	 * munmap: the leaves are cleared in the unsync page table, whose direct-map SPTE is
	 * writable: no exit. Each INVLPG is kvm_mmu_invlpg (invlpg +1); FNAME(invlpg) finds the
	 * leaf SPTE in an unsync page, drops it (present: kvm_flush_remote_tlbs, tlb_flush +1)
	 * and rebuilds nothing from the cleared guest PTE; the page stays unsync (6.1 syncs
	 * whole pages only on a CR3 load or a TLB flush).
	 */
	CHECK_EQ_U64(s[PH_UNMAP]->invlpg, NPAGE);
	CHECK_EQ_U64(s[PH_UNMAP]->tlb_flush - s[PH_FAULTS]->tlb_flush, NPAGE);
	CHECK_EQ_U64(s[PH_UNMAP]->pf_taken, s[PH_FAULTS]->pf_taken);
	CHECK_EQ_U64(s[PH_UNMAP]->pf_emulate, s[PH_FAULTS]->pf_emulate);
	CHECK_EQ_U64(s[PH_UNMAP]->mmu_unsync, 1);
	CHECK_EQ_U64(s[PH_UNMAP]->kvm_mmu_sync_page, 0);
	CHECK_EQ_U64(s[PH_FAULTS]->pages_4k - s[PH_UNMAP]->pages_4k, NPAGE);
	CHECK_EQ_U64(r[PH_UNMAP].shadow.invlpg_exits, NPAGE);
	CHECK_EQ_U64(r[PH_UNMAP].shadow.table_stores - r[PH_FAULTS].shadow.table_stores, NPAGE);
	CHECK_EQ_U64(in[PH_UNMAP].replayed, 2 + 1 + NPAGE);

	/*
	 * Touched again: the guest tables no longer map the pages, so each is a guest fault
	 * again (pf_guest), its leaf stored into the still unsync table (no exit), and the
	 * retried read fixed (pf_fixed); no prefetch (the group's next guest PTEs are clear).
	 */
	CHECK_EQ_U64(s[PH_REFAULT]->pf_guest, 2 * NPAGE);
	CHECK_EQ_U64(s[PH_REFAULT]->pf_fixed - s[PH_UNMAP]->pf_fixed, NPAGE);
	CHECK_EQ_U64(s[PH_REFAULT]->pf_emulate, s[PH_FAULTS]->pf_emulate);
	CHECK_EQ_U64(s[PH_REFAULT]->pages_4k, s[PH_FAULTS]->pages_4k);
	CHECK_EQ_U64(s[PH_REFAULT]->mmu_unsync, 1);

	/*
	 * CR3 reload (munmap of more than 33 pages; here one record): kvm_set_cr3 syncs the
	 * current root (the unsync page table: kvm_mmu_sync_page +1, mmu_unsync back to 0) and
	 * flushes: one flush serviced at entry (the sync's write protection asks for a flush
	 * of all, which covers the CR3 load's flush of the current context).
	 */
	CHECK_EQ_U64(s[PH_RELOAD]->kvm_mmu_sync_page - s[PH_REFAULT]->kvm_mmu_sync_page, 1);
	CHECK_EQ_U64(s[PH_RELOAD]->mmu_unsync, 0);
	CHECK_EQ_U64(s[PH_RELOAD]->tlb_flush - s[PH_REFAULT]->tlb_flush, 1);
	CHECK_EQ_U64(r[PH_RELOAD].shadow.cr3_exits, 2); /* the first load and this one */

	/*
	 * A new address space, switched to and back: the first CR3 load of its root misses
	 * the root cache and creates a root page (mmu_cache_miss, kvm_mmu_get_page created);
	 * switching back finds the first root among the previous roots (fast_pgd_switch): no
	 * page created. Each load flushes once; nothing is unsync, so nothing is synced. One
	 * flush more: the guest built the new root through its direct map (a writable SPTE),
	 * so shadowing it write-protects that SPTE (kvm_mmu_slot_gfn_write_protect), a flush
	 * requested during kvm_mmu_load that sends the vCPU round again before entry.
	 */
	CHECK_EQ_U64(r[PH_SWITCH].shadow.cr3_exits, 4);
	CHECK_EQ_U64(s[PH_SWITCH]->tlb_flush - s[PH_RELOAD]->tlb_flush, 2 + 1);
	CHECK_EQ_U64(s[PH_SWITCH]->mmu_cache_miss - s[PH_RELOAD]->mmu_cache_miss, 1);
	CHECK_EQ_U64(
		s[PH_SWITCH]->kvm_mmu_get_page_created - s[PH_RELOAD]->kvm_mmu_get_page_created, 1);
	CHECK_EQ_U64(s[PH_SWITCH]->kvm_mmu_sync_page, s[PH_RELOAD]->kvm_mmu_sync_page);
	CHECK_EQ_U64(r[PH_SWITCH].guest_frames - r[PH_RELOAD].guest_frames, 1);

	/* Native mode reads the same file as before: address records only, nothing replayed. */
	run(path[PH_SWITCH], PAGING_NATIVE, &nat, &nin);
	CHECK_EQ_U64(nin.replayed, 0);
	CHECK_EQ_U64(nin.guest_faults, 2 * NPAGE);
	CHECK_EQ_U64(nat.res.walks, NPAGE); /* each page mapped once, walked once */

	test_huge_unmap(dir);
	test_bad_flush(dir);
	for (int p = 0; p < PH_N; p++)
		unlink(path[p]);
	rmdir(dir);
	TEST_DONE();
}
