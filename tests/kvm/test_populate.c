// SPDX-License-Identifier: GPL-2.0
/*
 * Populated data regions (run --populate, MV_MSG_POPULATE): the guest
 * kernel maps the region at mmap time through the VMM, so N first-touch
 * pages take no guest fault and only KVM's shadow faults; checksums match
 * the host replay for every page-size mode and host backing; the guest
 * walk agrees with KVM_TRANSLATE; munmap tears a populated range down like
 * a demand-paged one, and touching it afterwards crashes the guest there.
 */
#include <fcntl.h>
#include <unistd.h>

#include "mode.h"
#include "test.h"
#include "vmm/vmm.h"

#define HUGE_NR "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

static struct vm_result res;

static struct vm *boot_and_run(struct wl_params *p, uint64_t mem, enum vm_backing b, bool events)
{
	struct vm_config c = {0};
	char err[256] = "";
	struct vm *vm;

	c.mem_size = mem;
	c.backing = b;
	c.wl = *p;
	c.timeout_s = 120;
	c.kernel_path = MEMVIRT_BINARY_DIR "/guest/kernel.elf";
	c.program_path = MEMVIRT_BINARY_DIR "/guest/workload.elf";
	c.ev_ring_bytes = events ? 1ULL << 20 : 0;
	vm = vm__create(&c, NULL, err, sizeof(err));
	if (!vm) {
		fprintf(stderr, "vm__create: %s\n", err);
		return NULL;
	}
	CHECK(vm__run(vm, &res) == 0);
	return vm;
}

static void params(struct wl_params *p, enum wl_kind kind, uint64_t footprint, uint64_t iters,
		   uint64_t page_size)
{
	wl_defaults(p, kind);
	p->footprint = footprint;
	p->iters = iters;
	p->stride = X86_PAGE_SIZE;
	p->page_size = page_size;
	p->populate = true;
}

/* Pages a populated region maps: the 2M and 4K parts of a mixed one, else footprint / size. */
static uint64_t pages_of(uint64_t footprint, uint64_t page_size)
{
	uint64_t big = footprint / 2 / SZ_2M * SZ_2M;

	if (page_size == WL_PAGE_MIXED)
		return big / SZ_2M + (footprint - big) / X86_PAGE_SIZE;
	return footprint / page_size;
}

/*
 * One store per 4K page over N populated pages: no guest fault (the
 * workload's count, the kernel's, KVM's pf_guest in either mode), one
 * guest_map record and no guest_fault record. pf_fixed, a lower bound in
 * both modes: every page of the region is fresh anonymous memory read before
 * it is written, so its private host page comes only from a write fault on
 * that very page (the read maps the shared zero page, which no prefetch
 * turns writable): at least N faults fixed by KVM, shadow or NPT/EPT. Shadow
 * prefetch may serve some reads, so 2N is not a bound there. Then every
 * page translates, to one contiguous run of frames, as KVM_TRANSLATE says.
 */
static void check_first_touch(uint64_t n)
{
	struct wl_result expect;
	struct wl_params p;
	struct vm_chain ch;
	gpa_t first = 0;
	struct vm *vm;

	params(&p, WL_STRIDE, n * X86_PAGE_SIZE, 1, X86_PAGE_SIZE);
	vm = boot_and_run(&p, 64ULL << 20, VM_BACKING_ANON, true);
	CHECK(vm != NULL);
	if (!vm)
		return;
	if (res.end != VM_END_EXIT)
		fprintf(stderr, "first touch: %s\n%s", res.reason, res.crash_dump);
	CHECK(res.end == VM_END_EXIT);
	CHECK_EQ_U64(res.exit_status, 0);
	CHECK_EQ_U64(res.result.faults, 0);
	CHECK(res.have_kstats);
	CHECK_EQ_U64(res.kstats.page_faults, 0);
	CHECK_EQ_U64(res.kstats.populated, n);
	CHECK_EQ_U64(vm_result_stat(&res, "pf_guest"), 0);
	CHECK(vm_result_stat(&res, "pf_fixed") >= n);
	CHECK(wl_expected(&p, &expect) == 0);
	CHECK_EQ_U64(res.result.checksum, expect.checksum);
	CHECK(res.ev.enabled);
	CHECK_EQ_U64(res.ev.records[MV_EV_MAP], 1);
	CHECK_EQ_U64(res.ev.records[MV_EV_FAULT], 0);
	CHECK_EQ_U64(res.ev.malformed, 0);
	for (uint64_t i = 0; i < n; i++) {
		CHECK(vm__translate(vm, MV_MMAP_BASE + i * X86_PAGE_SIZE + 16, &ch) == 0);
		CHECK(ch.gva_mapped && ch.kvm_checked && ch.kvm_agrees);
		CHECK_EQ_U64(ch.nr_levels, 4);
		CHECK_EQ_U64(ch.guest_page_size, X86_PAGE_SIZE);
		if (i == 0)
			first = ch.gpa - 16;
		CHECK_EQ_U64(ch.gpa, first + i * X86_PAGE_SIZE + 16);
	}
	CHECK(vm__translate(vm, MV_MMAP_BASE + n * X86_PAGE_SIZE, &ch) == 0);
	CHECK(!ch.gva_mapped && ch.kvm_checked && !ch.kvm_valid);
	vm__destroy(vm);
}

/*
 * A workload over a populated region computes what the host replay does;
 * nothing faults; the sampled chains (what --translate-sample reads) agree
 * with KVM_TRANSLATE and end in leaves of the expected size.
 */
static void check_workload(enum wl_kind kind, uint64_t footprint, uint64_t iters,
			   uint64_t page_size, enum vm_backing b)
{
	uint64_t big = footprint / 2 / SZ_2M * SZ_2M;
	struct wl_result expect;
	struct wl_params p;
	struct vm_chain ch;
	struct vm *vm;

	params(&p, kind, footprint, iters, page_size);
	vm = boot_and_run(&p, 96ULL << 20, b, false);
	CHECK(vm != NULL);
	if (!vm)
		return;
	if (res.end != VM_END_EXIT)
		fprintf(stderr, "%s %s %s: %s\n%s", wl_name(kind), wl_page_size_name(page_size),
			vm_backing_name(b), res.reason, res.crash_dump);
	CHECK(res.end == VM_END_EXIT);
	CHECK_EQ_U64(res.exit_status, 0);
	CHECK(wl_expected(&p, &expect) == 0);
	CHECK_EQ_U64(res.result.checksum, expect.checksum);
	CHECK_EQ_U64(res.result.accesses, expect.accesses);
	if (kind != WL_CHURN) {
		CHECK_EQ_U64(res.result.faults, 0);
		CHECK_EQ_U64(res.kstats.populated, pages_of(footprint, page_size));
		CHECK_EQ_U64(vm_result_stat(&res, "pf_guest"), 0);
		for (uint64_t i = 0; i < 16; i++) {
			uint64_t off = (footprint / 16) * i & ~(X86_PAGE_SIZE - 1);
			uint64_t want = page_size == WL_PAGE_MIXED
						? (off < big ? SZ_2M : X86_PAGE_SIZE)
						: page_size;

			CHECK(vm__translate(vm, MV_MMAP_BASE + off, &ch) == 0);
			CHECK(ch.gva_mapped && ch.kvm_checked && ch.kvm_agrees);
			CHECK_EQ_U64(ch.guest_page_size, want);
		}
	} else {
		/* Every iteration maps, touches and unmaps: populated each time, never faulted. */
		CHECK_EQ_U64(res.result.faults, 0);
		CHECK_EQ_U64(res.kstats.populated, iters * pages_of(footprint, page_size));
		CHECK_EQ_U64(res.kstats.unmaps, iters);
		CHECK_EQ_U64(res.discarded_bytes, iters * footprint);
	}
	vm__destroy(vm);
}

/*
 * crash --populate: populated pages written, unmapped, written again: a
 * crash right there, one guest fault, which KVM intercepts only in shadow
 * mode (pf_guest 1, or 0 with NPT/EPT).
 */
static void check_unmap_then_touch(uint64_t page_size)
{
	struct wl_params p;
	struct vm *vm;

	params(&p, WL_CRASH, 0, 0, page_size);
	vm = boot_and_run(&p, 64ULL << 20, VM_BACKING_ANON, true);
	CHECK(vm != NULL);
	if (!vm)
		return;
	CHECK(res.end == VM_END_PANIC);
	CHECK(res.have_panic);
	CHECK_EQ_U64(res.panic.reason, MV_PANIC_USER_FAULT);
	CHECK_EQ_U64(res.panic.cr2, MV_MMAP_BASE + page_size + 8);
	CHECK_EQ_U64(res.panic.regs.error & 1, 0); /* not present */
	CHECK_EQ_U64(res.panic.regs.error & 2, 2); /* a write */
	CHECK_EQ_U64(res.discarded_bytes, 2 * page_size);
	CHECK_EQ_U64(vm_result_stat(&res, "pf_guest"), want_pf_guest(1));
	CHECK_EQ_U64(res.ev.records[MV_EV_UNMAP], 1);
	vm__destroy(vm);
}

static int write_text(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/* hugetlb-2m backing when the host lets us reserve 48 pages for it; given back after. */
static void check_hugetlb(void)
{
	char old[32] = "0";
	int fd = open(HUGE_NR, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, old, sizeof(old) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n > 0)
		old[n] = 0;
	if (write_text(HUGE_NR, "48")) {
		fprintf(stderr, "note: no hugetlb pages reservable here: hugetlb-2m not checked\n");
		return;
	}
	check_workload(WL_CHURN, 4 * SZ_2M, 3, SZ_2M, VM_BACKING_HUGETLB_2M);
	check_workload(WL_SEQ, 16ULL << 20, 2, X86_PAGE_SIZE, VM_BACKING_HUGETLB_2M);
	write_text(HUGE_NR, old);
}

int main(void)
{
	static const enum wl_kind kinds[] = {WL_SEQ, WL_RANDOM, WL_CHASE, WL_GUPS};
	static const uint64_t sizes[] = {X86_PAGE_SIZE, SZ_2M, WL_PAGE_MIXED};

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP("/dev/kvm is not usable here\n");
	check_first_touch(5000);
	for (unsigned k = 0; k < 4; k++) {
		for (unsigned s = 0; s < 3; s++)
			check_workload(kinds[k], 18ULL << 20, kinds[k] == WL_SEQ ? 2 : 200000,
				       sizes[s], VM_BACKING_ANON);
	}
	/* Freed frames come back zero through populate for every backing (churn sums them). */
	check_workload(WL_CHURN, 1ULL << 20, 8, X86_PAGE_SIZE, VM_BACKING_ANON);
	check_workload(WL_CHURN, 4 * SZ_2M, 4, SZ_2M, VM_BACKING_THP);
	check_workload(WL_CHURN, 1ULL << 20, 8, X86_PAGE_SIZE, VM_BACKING_MEMFD);
	check_workload(WL_SEQ, 16ULL << 20, 2, SZ_2M, VM_BACKING_THP);
	check_workload(WL_SEQ, 16ULL << 20, 2, WL_PAGE_MIXED, VM_BACKING_MEMFD);
	check_hugetlb();
	check_unmap_then_touch(X86_PAGE_SIZE);
	check_unmap_then_touch(SZ_2M);
	TEST_DONE();
}
