// SPDX-License-Identifier: GPL-2.0
/*
 * A run replayed access by access (SIM_IN_REPLAY): the workload's generator in step with a
 * hand-built event file. Expected counts come from the workloads' definitions (seq loads then
 * stores each 64-byte line; churn loads then stores one word a page, then unmaps) and from
 * Linux's and KVM's rules for anonymous host memory (sim/hostmem.c): a page read first maps
 * the zero page (one fault), its first write breaks copy-on-write (an invalidation with a
 * flush, a retried fault, and a fault that maps the new page); a page written first takes
 * one fault; every guest table the kernel writes takes one; a discard drops the entries of its
 * pages with one flush per discard message (one exit).
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
#define CR3_A 0x10000ULL
#define GPA_A 0x800000ULL

static char dir[] = "/tmp/memvirt-test-replay-XXXXXX";

static struct ev_writer *file_open(const char *name, char *path, size_t len)
{
	struct ev_writer *w;
	struct ev_guest_as a = {.cr3 = CR3_A};

	snprintf(path, len, "%s/%s", dir, name);
	CHECK_EQ_U64(ev_writer_open(&w, path, 0, 1, false), 0);
	CHECK_EQ_U64(ev_write(w, &ev_type_guest_as_create, 0, 1, &a), 0);
	return w;
}

static void map_rec(struct ev_writer *w, const struct ev_type *t, uint64_t va, uint64_t len)
{
	struct ev_guest_map m = {.va = va,
				 .len = len,
				 .cr3 = CR3_A,
				 .prot = MV_PROT_READ | MV_PROT_WRITE,
				 .page_shift = 12};

	CHECK_EQ_U64(ev_write(w, t, 0, 1, &m), 0);
}

static void fault_rec(struct ev_writer *w, uint64_t va, uint64_t gpa, uint32_t err)
{
	struct ev_guest_fault f = {
		.cr2 = va, .gpa = gpa, .cr3 = CR3_A, .error_code = err, .page_shift = 12};

	CHECK_EQ_U64(ev_write(w, &ev_type_guest_fault, 0, 1, &f), 0);
}

static void invlpg_rec(struct ev_writer *w, uint64_t va)
{
	struct ev_guest_tlb_flush f = {.va = va, .cr3 = CR3_A, .kind = EV_FLUSH_INVLPG};

	CHECK_EQ_U64(ev_write(w, &ev_type_guest_tlb_flush, 0, 1, &f), 0);
}

static void file_close(struct ev_writer *w)
{
	CHECK_EQ_U64(ev_writer_close(w, false), 0);
}

static int replay(const char *path, enum wl_kind kind, uint64_t footprint, uint64_t iters,
		  enum paging_mode mode, bool anon, struct sim_mode_result *out,
		  struct sim_input_stats *st, char *err, size_t errlen)
{
	struct sim_machine_config mc;
	char e[256];

	memset(&mc, 0, sizeof(mc));
	CHECK_EQ_U64(sim_config__preset(&mc.cfg, "textbook", e, sizeof(e)), 0);
	mc.gps = PAGE_4K;
	mc.hps = PAGE_4K;
	mc.input = SIM_IN_REPLAY;
	mc.in_path = path;
	wl_defaults(&mc.wl, kind);
	mc.wl.kind = kind;
	mc.wl.footprint = footprint;
	mc.wl.iters = iters;
	mc.wl.page_size = PAGE;
	mc.shadow_ram_bytes = 64ULL << 20;
	mc.host_anon = anon;
	memset(out, 0, sizeof(*out));
	return sim_machine_run(&mc, mode, out, st, err, errlen);
}

/* seq over two pages: each read first. */
static void write_seq(const char *name, char *path, size_t len)
{
	struct ev_writer *w = file_open(name, path, len);

	map_rec(w, &ev_type_guest_map, SIM_GUEST_BASE, 2 * PAGE);
	fault_rec(w, SIM_GUEST_BASE, GPA_A, 0x4);
	fault_rec(w, SIM_GUEST_BASE + PAGE, GPA_A + PAGE, 0x4);
	file_close(w);
}

static void test_seq_nested(void)
{
	char path[256], err[512];
	struct sim_mode_result r;
	struct sim_input_stats st;

	write_seq("seq.mvev", path, sizeof(path));
	CHECK_EQ_U64(
		replay(path, WL_SEQ, 2 * PAGE, 1, PAGING_NESTED, true, &r, &st, err, sizeof(err)),
		0);
	CHECK_EQ_U64(st.accesses, 2 * (2 * PAGE / 64)); /* a load and a store per line */
	CHECK_EQ_U64(st.guest_faults, 2);
	CHECK(r.tdp_valid);
	CHECK(r.guest_frames > 0);
	/* tables: one fault each; data: the zero page, then the copy after the retry */
	CHECK_EQ_U64(r.tdp.pf_fixed, r.guest_frames + 2 * 2);
	CHECK_EQ_U64(r.tdp.pf_taken, r.tdp.pf_fixed + 2);
	CHECK_EQ_U64(r.tdp.tlb_flush, 2);
	CHECK_EQ_U64(r.tdp.pages_4k, r.guest_frames + 2);
	CHECK_EQ_U64(r.tdp.zero_maps, 2);
	CHECK_EQ_U64(r.tdp.cow_breaks, 2);

	/* host memory present from the start: one fault per frame, nothing retried */
	CHECK_EQ_U64(
		replay(path, WL_SEQ, 2 * PAGE, 1, PAGING_NESTED, false, &r, &st, err, sizeof(err)),
		0);
	CHECK(r.tdp_valid);
	CHECK_EQ_U64(r.tdp.pf_fixed, r.guest_frames + 2);
	CHECK_EQ_U64(r.tdp.pf_taken, r.tdp.pf_fixed);
	CHECK_EQ_U64(r.tdp.tlb_flush, 0);
	CHECK_EQ_U64(r.tdp.zero_maps, 0);
}

/*
 * Shadow: the same run with anonymous host memory against present host memory. The guest's
 * faults are the file's (pf_guest 2 both ways). The kernel's leaves are clean (no D bit), so
 * a read maps them read-only either way (FNAME(protect_clean_gpte)) and the first write takes
 * a fixed fault either way; anonymous memory adds, per page read first, the retried fault of
 * the copy-on-write and its flush.
 */
static void test_seq_shadow(void)
{
	char path[256], err[512];
	struct sim_mode_result a, p;
	struct sim_input_stats st;

	write_seq("seq-shadow.mvev", path, sizeof(path));
	CHECK_EQ_U64(
		replay(path, WL_SEQ, 2 * PAGE, 1, PAGING_SHADOW, true, &a, &st, err, sizeof(err)),
		0);
	CHECK_EQ_U64(
		replay(path, WL_SEQ, 2 * PAGE, 1, PAGING_SHADOW, false, &p, &st, err, sizeof(err)),
		0);
	CHECK_EQ_U64(a.shadow.st.pf_guest, 2);
	CHECK_EQ_U64(p.shadow.st.pf_guest, 2);
	CHECK_EQ_U64(a.shadow.st.pf_fixed, p.shadow.st.pf_fixed);
	CHECK_EQ_U64(a.shadow.st.pf_taken - p.shadow.st.pf_taken, 2);
	CHECK_EQ_U64(a.shadow.st.tlb_flush - p.shadow.st.tlb_flush, 2);
}

/*
 * churn, two rounds over two pages, the second reusing the first's frames after the discard:
 * each round reads first (zero page, copy-on-write), and its munmap's discard (one range, one
 * message) drops both entries with one flush.
 */
static void test_churn_nested(void)
{
	char path[256], err[512];
	struct sim_mode_result r;
	struct sim_input_stats st;
	struct ev_writer *w = file_open("churn.mvev", path, sizeof(path));

	for (uint64_t it = 0; it < 2; it++) {
		uint64_t va = SIM_GUEST_BASE + it * 2 * PAGE;

		map_rec(w, &ev_type_guest_map, va, 2 * PAGE);
		fault_rec(w, va, GPA_A, 0x4);
		fault_rec(w, va + PAGE, GPA_A + PAGE, 0x4);
		map_rec(w, &ev_type_guest_unmap, va, 2 * PAGE);
		invlpg_rec(w, va);
		invlpg_rec(w, va + PAGE);
	}
	file_close(w);
	CHECK_EQ_U64(
		replay(path, WL_CHURN, 2 * PAGE, 2, PAGING_NESTED, true, &r, &st, err, sizeof(err)),
		0);
	CHECK_EQ_U64(st.accesses, 2 * 2 * 2);
	CHECK_EQ_U64(r.tdp.discarded, 4);
	CHECK_EQ_U64(r.tdp.pages_4k, r.guest_frames);
	CHECK_EQ_U64(r.tdp.pf_fixed, r.guest_frames + 2 * 2 * 2);
	CHECK_EQ_U64(r.tdp.tlb_flush, 2 * (2 + 1));
	CHECK_EQ_U64(r.tdp.zero_maps, 4);
}

/* A file that is not the workload's run: one line naming where they part. */
static void test_mismatch(void)
{
	char path[256], err[512];
	struct sim_mode_result r;
	struct sim_input_stats st;
	struct ev_writer *w = file_open("wrong.mvev", path, sizeof(path));

	map_rec(w, &ev_type_guest_map, SIM_GUEST_BASE, 4 * PAGE);
	fault_rec(w, SIM_GUEST_BASE, GPA_A, 0x4);
	fault_rec(w, SIM_GUEST_BASE + 3 * PAGE, GPA_A + PAGE, 0x4); /* not the next page touched */
	file_close(w);
	CHECK_EQ_U64(
		replay(path, WL_SEQ, 4 * PAGE, 1, PAGING_SHADOW, true, &r, &st, err, sizeof(err)),
		(uint64_t)-EINVAL);
	CHECK(strstr(err, "faulted at 0x8000003000 where the workload accesses 0x8000001000") !=
	      NULL);
	CHECK(strchr(err, '\n') == NULL);

	w = file_open("short.mvev", path, sizeof(path));
	map_rec(w, &ev_type_guest_map, SIM_GUEST_BASE, 2 * PAGE);
	fault_rec(w, SIM_GUEST_BASE, GPA_A, 0x4);
	file_close(w);
	CHECK_EQ_U64(
		replay(path, WL_SEQ, 2 * PAGE, 1, PAGING_NESTED, true, &r, &st, err, sizeof(err)),
		(uint64_t)-EINVAL);
	CHECK(strstr(err, "ends where the workload makes a guest fault") != NULL);

	/* a mapping of another size than the workload's */
	w = file_open("size.mvev", path, sizeof(path));
	map_rec(w, &ev_type_guest_map, SIM_GUEST_BASE, 4 * PAGE);
	file_close(w);
	CHECK_EQ_U64(
		replay(path, WL_SEQ, 2 * PAGE, 1, PAGING_NATIVE, false, &r, &st, err, sizeof(err)),
		(uint64_t)-EINVAL);
	CHECK(strstr(err, "mapped 16384 bytes where the workload maps 8192") != NULL);
}

int main(void)
{
	CHECK(mkdtemp(dir) != NULL);
	test_seq_nested();
	test_seq_shadow();
	test_churn_nested();
	test_mismatch();
	if (!getenv("MEMVIRT_KEEP_TEST_FILES")) {
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK(system(cmd) == 0);
	}
	TEST_DONE();
}
