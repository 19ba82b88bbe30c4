// SPDX-License-Identifier: GPL-2.0
/*
 * Real guests under KVM: every workload's checksum against the host replay,
 * exact guest fault counts from the paging rule (one fault per first-touched
 * page), KVM's fault counts from the rule of the host's MMU mode, a crash explained with a
 * disassembly, a timeout, hostile images.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mode.h"
#include "test.h"
#include "vmm/vmm.h"

static char kernel[512], program[512];

static void skip_without_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		SKIP("/dev/kvm not usable here (%s)\n", strerror(errno));
	close(fd);
}

static int run(const struct wl_params *p, uint64_t mem, double timeout, struct vm_result *res,
	       const char *kpath, char *err, size_t errlen)
{
	struct vm_config c = {0};
	struct vm *vm;
	int ret;

	c.mem_size = mem;
	c.wl = *p;
	c.timeout_s = timeout;
	c.kernel_path = kpath ? kpath : kernel;
	c.program_path = program;
	vm = vm__create(&c, NULL, err, errlen);
	if (!vm)
		return -errno;
	ret = vm__run(vm, res);
	vm__destroy(vm);
	return ret;
}

static struct vm_result res;

static void check_workload(enum wl_kind kind, uint64_t footprint, uint64_t iters)
{
	struct wl_params p;
	struct wl_result want;
	char err[256] = "";

	wl_defaults(&p, kind);
	p.footprint = footprint;
	p.iters = iters;
	CHECK(run(&p, 128ULL << 20, 60, &res, NULL, err, sizeof(err)) == 0);
	if (res.end != VM_END_EXIT)
		fprintf(stderr, "%s: %s\n%s", wl_name(kind), res.reason, res.crash_dump);
	CHECK(res.end == VM_END_EXIT);
	CHECK_EQ_U64(res.exit_status, 0);
	CHECK(res.have_result);
	CHECK(wl_expected(&p, &want) == 0);
	CHECK_EQ_U64(res.result.checksum, want.checksum);
	CHECK_EQ_U64(res.result.accesses, want.accesses);
}

/* pf_fixed of a nop guest in the same memory: KVM's faults on the guest kernel's own pages. */
static uint64_t base_fixed;

static void run_pass(enum wl_kind kind, uint64_t page_size, uint64_t footprint)
{
	struct wl_params p;
	char err[256] = "";

	wl_defaults(&p, kind);
	p.footprint = footprint;
	p.iters = kind == WL_NOP ? 0 : 1;
	p.stride = 4096;
	p.page_size = page_size;
	CHECK(run(&p, 256ULL << 20, 60, &res, NULL, err, sizeof(err)) == 0);
	CHECK(res.end == VM_END_EXIT);
}

/*
 * N first-touched pages of the data region give exactly N guest page faults
 * in both MMU modes: the image and stack are mapped before the guest starts,
 * so no other fault is taken. KVM's pf_guest follows the mode (mode.h): N in
 * shadow mode, 0 with NPT/EPT.
 *
 * pf_fixed, a bound: stride reads each 4K page of fresh anonymous private
 * memory before writing it. KVM resolves a read fault through hva_to_pfn()
 * without FOLL_WRITE, which maps the host's shared zero page read-only (a
 * huge zero page is split by the write); the write then faults again for a
 * private page. So with NPT/EPT the region costs at least 2 faults per 4K
 * page over the nop guest's (TDP MMU: no prefetch). In shadow mode only the
 * write is certain to fault on the page itself, since a private host page
 * comes from nothing else (prefetch maps only pages already present and
 * writable): at least 1 per page; the read can be served without a counted
 * fault (seen: 2 per page less 1 over 16384 pages of 2M guest pages). Above
 * 2 per page come only the guest's table pages for the region (at most 2
 * faults each: the PTs, one per 512 4K pages, and the PD and PDPT) and an
 * allowance of 16 for the workload's stack and the guest kernel's
 * bookkeeping, in both modes.
 */
static void check_first_touch(uint64_t page_size, uint64_t footprint)
{
	uint64_t n = footprint / page_size, pages = footprint / 4096;
	uint64_t tables = (page_size == 4096 ? (pages + 511) / 512 : 0) + 2, fixed;
	/* With host THP "always" a page may already be present: 1 fault, not 2 (mode.h). */
	uint64_t lo = host_tdp() && !host_thp_always() ? 2 * pages : pages;
	uint64_t hi = 2 * pages + 2 * tables + 16;

	run_pass(WL_STRIDE, page_size, footprint);
	CHECK_EQ_U64(res.result.faults, n);
	CHECK_EQ_U64(res.kstats.page_faults, n);
	CHECK_EQ_U64(vm_result_stat(&res, "pf_guest"), want_pf_guest(n));
	fixed = vm_result_stat(&res, "pf_fixed") - base_fixed;
	if (fixed < lo || fixed > hi)
		fprintf(stderr,
			"pf_fixed over the nop guest's: %" PRIu64 ", rule: %" PRIu64 "..%" PRIu64
			"\n",
			fixed, lo, hi);
	CHECK(fixed >= lo);
	CHECK(fixed <= hi);
}

/*
 * touch: the first access to each 4K page is a store, so the zero page is
 * never mapped. Guest faults and pf_guest as above.
 *
 * Nested paging: against a read-first pass over the same region (same
 * guest, same tables) a write-first pass saves exactly one NPT fault per 4K
 * page, the zero-page mapping, when KVM maps the region with 4K leaves (VM
 * stat pages_2m 0 at the end). With host THP a write-first pass may fault
 * in a 2M host page that KVM maps with a 2M leaf: then it saves more.
 *
 * Shadow paging: the store faults in the page, and KVM may prefetch its
 * neighbours. With 2M guest pages the shadow page is a direct one and KVM
 * fills the aligned group of 8 around the fault with those host pages that
 * are present and writable (THP makes them so): at least pages / 8 shadow
 * faults, or one per 2M guest page that KVM maps with a 2M SPTE because the
 * host backs it with a THP page. With 4K guest pages the neighbours' guest PTEs do not exist yet
 * at first touch (one demand fault each): at least one fault per page.
 */
static void check_touch(uint64_t page_size, uint64_t footprint)
{
	uint64_t n = footprint / page_size, pages = footprint / 4096, rmw, wr;

	run_pass(WL_STRIDE, page_size, footprint);
	rmw = vm_result_stat(&res, "pf_fixed");
	run_pass(WL_TOUCH, page_size, footprint);
	wr = vm_result_stat(&res, "pf_fixed");
	CHECK_EQ_U64(res.result.faults, n);
	CHECK_EQ_U64(vm_result_stat(&res, "pf_guest"), want_pf_guest(n));
	fprintf(stderr,
		"note: %s pages, %" PRIu64 " pages: pf_fixed read-first %" PRIu64
		", write-first %" PRIu64 ", nop %" PRIu64 ", pages_2m %" PRIu64 "\n",
		page_size == 4096 ? "4K" : "2M", pages, rmw, wr, base_fixed,
		vm_result_stat(&res, "pages_2m"));
	if (host_tdp() && host_thp_always()) {
		/*
		 * Host THP "always": a page already present in a huge host page needs
		 * no zero-page fault on the read-first pass, so the write-first pass
		 * saves between none and one fault per page (with 4K leaves).
		 */
		CHECK(rmw >= wr);
		if (!vm_result_stat(&res, "pages_2m"))
			CHECK(rmw - wr <= pages);
	} else if (host_tdp()) {
		if (!vm_result_stat(&res, "pages_2m"))
			CHECK_EQ_U64(rmw - wr, pages);
		else
			CHECK(rmw - wr >= pages);
	} else if (page_size == 4096) {
		CHECK(wr - base_fixed >= pages);
	} else {
		/*
		 * A 2M guest page that the host backs with a THP page may get one 2M
		 * SPTE (VM stat pages_2m counts them at the end): one fault for the
		 * whole guest page. Each other 2M guest page needs a fault per
		 * aligned group of 8 4K SPTEs: 512 / 8 = 64. pages_2m may also count
		 * 2M SPTEs outside the data, which only loosens the bound.
		 */
		uint64_t huge = vm_result_stat(&res, "pages_2m");

		huge = huge < n ? huge : n;
		CHECK(wr - base_fixed >= huge + (n - huge) * (512 / 8));
	}
}

static void check_crash(void)
{
	struct wl_params p;
	char err[256] = "";

	wl_defaults(&p, WL_CRASH);
	CHECK(run(&p, 64ULL << 20, 30, &res, NULL, err, sizeof(err)) == 0);
	CHECK(res.end == VM_END_PANIC);
	CHECK(strstr(res.reason, "page fault") != NULL);
	CHECK(strstr(res.reason, "0xdead000") != NULL);
	CHECK(strstr(res.reason, "write") != NULL);
	/* The faulting instruction, disassembled at RIP, is the store to 0xdead000. */
	CHECK(strstr(res.crash_dump, "=> 0x") != NULL);
	CHECK(strstr(res.crash_dump, "mov") != NULL);
	CHECK(strstr(res.crash_dump, "0xdead000") != NULL);
	CHECK(res.panic.regs.rip >= MV_USER_IMAGE_MIN && res.panic.regs.rip < MV_USER_IMAGE_MAX);
}

static void check_timeout(void)
{
	struct wl_params p;
	char err[256] = "";

	wl_defaults(&p, WL_SEQ);
	p.footprint = 1 << 20;
	p.iters = 1ULL << 40;
	CHECK(run(&p, 64ULL << 20, 0.3, &res, NULL, err, sizeof(err)) == 0);
	CHECK(res.end == VM_END_TIMEOUT);
	CHECK(res.t_run_ns < 5ULL * 1000000000ULL);
	CHECK(strstr(res.reason, "--timeout") != NULL);
	CHECK(res.nr_stats > 0); /* statistics are still read */
}

static void check_bad_kernel(void)
{
	char path[] = "/tmp/memvirt-badelf-XXXXXX", err[256] = "";
	int fd = mkstemp(path);
	struct wl_params p;

	CHECK(fd >= 0);
	CHECK(write(fd, "\177ELF garbage", 12) == 12);
	close(fd);
	wl_defaults(&p, WL_NOP);
	CHECK(run(&p, 64ULL << 20, 5, &res, path, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, path) != NULL);
	/* The test binary itself is a PIE: a valid ELF, but not a guest kernel. */
	CHECK(run(&p, 64ULL << 20, 5, &res, "/proc/self/exe", err, sizeof(err)) < 0);
	CHECK(err[0] != '\0');
	unlink(path);
}

/*
 * The four spaces on a live VM: after one seq pass the first word of line i
 * holds i (the workload's rule), so reading through the HVA the chain names
 * must give i; the guest walk agrees with KVM_TRANSLATE on every page, and
 * unmapped addresses are unmapped for both.
 */
static void check_chains(uint64_t page_size)
{
	struct vm_config c = {0};
	struct vm_chain ch;
	char err[256] = "";
	struct vm *vm;
	uint64_t footprint = 4ULL << 20;

	c.mem_size = 128ULL << 20;
	wl_defaults(&c.wl, WL_SEQ);
	c.wl.footprint = footprint;
	c.wl.iters = 1;
	c.wl.page_size = page_size;
	c.kernel_path = kernel;
	c.program_path = program;
	vm = vm__create(&c, NULL, err, sizeof(err));
	CHECK(vm != NULL);
	if (!vm)
		return;
	CHECK(vm__run(vm, &res) == 0);
	CHECK(res.end == VM_END_EXIT);
	for (uint64_t off = 0; off < footprint; off += 4096 + 64) {
		CHECK(vm__translate(vm, MV_MMAP_BASE + off, &ch) == 0);
		CHECK(ch.gva_mapped && ch.kvm_checked && ch.kvm_agrees);
		CHECK_EQ_U64(ch.guest_page_size, page_size);
		CHECK_EQ_U64(ch.nr_levels, page_size == 4096 ? 4 : 3);
		CHECK(ch.hva != 0);
		if (ch.hva && !(off % 64))
			CHECK_EQ_U64(*(volatile uint64_t *)ch.hva, off / 64);
		CHECK(ch.present);
		if (geteuid() == 0 && ch.hpa_known)
			CHECK_EQ_U64(ch.hpa & 4095, ch.hva & 4095);
	}
	for (uint64_t gva = MV_MMAP_BASE + footprint; gva < MV_MMAP_BASE + 2 * footprint;
	     gva += 65536) {
		CHECK(vm__translate(vm, gva, &ch) == 0);
		CHECK(!ch.gva_mapped);
		CHECK(ch.kvm_checked && !ch.kvm_valid);
	}
	vm__destroy(vm);
}

int main(void)
{
	skip_without_kvm();
	snprintf(kernel, sizeof(kernel), "%s/guest/kernel.elf", MEMVIRT_BINARY_DIR);
	snprintf(program, sizeof(program), "%s/guest/workload.elf", MEMVIRT_BINARY_DIR);

	check_workload(WL_NOP, 0, 0);
	check_workload(WL_SEQ, 2 << 20, 3);
	check_workload(WL_STRIDE, 2 << 20, 3);
	check_workload(WL_RANDOM, 2 << 20, 100000);
	check_workload(WL_CHASE, 2 << 20, 100000);
	check_workload(WL_GUPS, 2 << 20, 100000);
	check_workload(WL_CHURN, 1 << 20, 4);
	check_workload(WL_PINGPONG, 256 << 10, 20);
	run_pass(WL_NOP, 4096, 0);
	base_fixed = vm_result_stat(&res, "pf_fixed");
	check_first_touch(4096, 1000 * 4096ULL);
	check_first_touch(2ULL << 20, 64ULL << 20);
	check_touch(4096, 8ULL << 20);
	check_touch(2ULL << 20, 8ULL << 20);
	check_chains(4096);
	check_chains(2ULL << 20);
	check_crash();
	check_timeout();
	check_bad_kernel();
	TEST_DONE();
}
