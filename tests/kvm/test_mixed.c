// SPDX-License-Identifier: GPL-2.0
/*
 * Guest page sizes mixed within one run (--page-size mixed): the data region
 * is one virtual range, its first half (rounded down to 2M) in 2M pages and
 * the rest in 4K pages. First touch takes one guest fault per 2M chunk plus
 * one per 4K page; the guest walk finds 2M leaves, then 4K leaves; checksums
 * match the host replay.
 */
#include <unistd.h>

#include "mode.h"
#include "test.h"
#include "vmm/vmm.h"

static struct vm_result res;

/* The layout rule, written out here rather than taken from the code under test. */
static uint64_t part_2m(uint64_t footprint)
{
	return footprint / 2 / SZ_2M * SZ_2M;
}

/* Run workload @kind over a mixed region to its end; the VM stays for inspection. */
static struct vm *boot_and_run(enum wl_kind kind, uint64_t footprint, uint64_t iters,
			       struct wl_params *p)
{
	struct vm_config c = {0};
	char err[256] = "";
	struct vm *vm;

	wl_defaults(p, kind);
	p->footprint = footprint;
	p->iters = iters;
	p->stride = X86_PAGE_SIZE;
	p->page_size = WL_PAGE_MIXED;
	c.mem_size = 128ULL << 20;
	c.wl = *p;
	c.timeout_s = 60;
	c.kernel_path = MEMVIRT_BINARY_DIR "/guest/kernel.elf";
	c.program_path = MEMVIRT_BINARY_DIR "/guest/workload.elf";
	vm = vm__create(&c, NULL, err, sizeof(err));
	if (!vm) {
		fprintf(stderr, "vm__create: %s\n", err);
		return NULL;
	}
	CHECK(vm__run(vm, &res) == 0);
	if (res.end != VM_END_EXIT)
		fprintf(stderr, "%s: %s\n%s", wl_name(kind), res.reason, res.crash_dump);
	CHECK(res.end == VM_END_EXIT);
	CHECK_EQ_U64(res.exit_status, 0);
	return vm;
}

/*
 * One store per 4K page over a mixed region: each 2M chunk faults once, each
 * 4K page once, and nothing else faults (image and stack are pre-mapped).
 * KVM sees those faults as pf_guest only in shadow mode (mode.h).
 * Then every page's chain: a 2M leaf (3 levels) in the first part, a 4K leaf
 * (4 levels) after it, KVM_TRANSLATE agreeing; the page after is unmapped.
 */
static void check_first_touch(uint64_t footprint)
{
	uint64_t big = part_2m(footprint), want = big / SZ_2M + (footprint - big) / X86_PAGE_SIZE;
	struct wl_result expect;
	struct wl_params p;
	struct vm_chain ch;
	struct vm *vm;

	CHECK(big > 0 && big < footprint);
	vm = boot_and_run(WL_STRIDE, footprint, 1, &p);
	CHECK(vm != NULL);
	if (!vm)
		return;
	CHECK_EQ_U64(res.result.faults, want);
	CHECK_EQ_U64(res.kstats.page_faults, want);
	CHECK_EQ_U64(vm_result_stat(&res, "pf_guest"), want_pf_guest(want));
	CHECK(wl_expected(&p, &expect) == 0);
	CHECK_EQ_U64(res.result.checksum, expect.checksum);
	for (uint64_t off = 0; off < footprint; off += X86_PAGE_SIZE) {
		bool in_2m = off < big;

		CHECK(vm__translate(vm, MV_MMAP_BASE + off + 8, &ch) == 0);
		CHECK(ch.gva_mapped && ch.kvm_checked && ch.kvm_agrees);
		CHECK_EQ_U64(ch.guest_page_size, in_2m ? SZ_2M : X86_PAGE_SIZE);
		CHECK_EQ_U64(ch.nr_levels, in_2m ? 3 : 4);
		CHECK_EQ_U64(ch.level[ch.nr_levels - 1].level, in_2m ? 2 : 1);
		CHECK_EQ_U64(ch.gpa & (ch.guest_page_size - 1),
			     (off + 8) & (ch.guest_page_size - 1));
	}
	CHECK(vm__translate(vm, MV_MMAP_BASE + footprint, &ch) == 0);
	CHECK(!ch.gva_mapped && ch.kvm_checked && !ch.kvm_valid);
	vm__destroy(vm);
}

/* Workloads over a mixed region compute what the host replay computes. */
static void check_checksum(enum wl_kind kind, uint64_t footprint, uint64_t iters)
{
	struct wl_result expect;
	struct wl_params p;
	struct vm *vm;

	vm = boot_and_run(kind, footprint, iters, &p);
	CHECK(vm != NULL);
	if (!vm)
		return;
	CHECK(res.have_result);
	CHECK(wl_expected(&p, &expect) == 0);
	CHECK_EQ_U64(res.result.checksum, expect.checksum);
	CHECK_EQ_U64(res.result.accesses, expect.accesses);
	vm__destroy(vm);
}

int main(void)
{
	if (access("/dev/kvm", R_OK | W_OK))
		SKIP("/dev/kvm is not usable here\n");
	CHECK_EQ_U64(wl_mixed_2m_bytes(9 * SZ_2M / 2 + 3 * X86_PAGE_SIZE),
		     part_2m(9 * SZ_2M / 2 + 3 * X86_PAGE_SIZE));
	check_first_touch(4ULL << 20);			     /* 1 chunk + 512 pages */
	check_first_touch((9ULL << 20) + 3 * X86_PAGE_SIZE); /* 2 chunks + 1283 pages */
	check_checksum(WL_SEQ, 8ULL << 20, 2);
	check_checksum(WL_CHASE, 6ULL << 20, 100000);
	check_checksum(WL_GUPS, 8ULL << 20, 100000);
	check_checksum(WL_PINGPONG, 4ULL << 20, 3);
	TEST_DONE();
}
