// SPDX-License-Identifier: GPL-2.0
/*
 * The software walker against KVM on a live guest: thousands of addresses
 * (every page of the data region with 4K and 2M pages, the user image and
 * stack, the kernel image and direct map, holes, non-canonical and random
 * addresses) translated by mmu/'s walker over guest RAM and by KVM_TRANSLATE,
 * which must agree on validity and GPA. Expected values come from KVM and
 * from the paging rule (error codes, aliases), never from the walker itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

#include "common/util.h"
#include "mmu/mmu.h"
#include "vmm/vmm.h"

#define MEM (128ULL << 20)

static char kernel[512], program[512];
static struct vm_result res;

struct tally {
	const char *what;
	unsigned n, mapped, noncanonical, mapped_alias;
};

static void skip_without_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		SKIP("/dev/kvm not usable here (%s)\n", strerror(errno));
	close(fd);
}

static struct vm *boot(enum wl_kind kind, uint64_t footprint, uint64_t page_size)
{
	struct vm_config c = {0};
	char err[256] = "";
	struct vm *vm;

	c.mem_size = MEM;
	wl_defaults(&c.wl, kind);
	c.wl.footprint = footprint;
	c.wl.iters = 1;
	c.wl.page_size = page_size;
	c.kernel_path = kernel;
	c.program_path = program;
	vm = vm__create(&c, NULL, err, sizeof(err));
	if (!vm) {
		fprintf(stderr, "vm__create: %s\n", err);
		CHECK(vm != NULL);
		return NULL;
	}
	CHECK(vm__run(vm, &res) == 0);
	CHECK(res.end == VM_END_EXIT);
	return vm;
}

static bool canonical48(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/*
 * One address both ways. KVM_TRANSLATE indexes the tables with bits 47:0 and
 * does not check canonicality (that is the emulator's job, #GP before any
 * walk); the walker reports a non-canonical address as a #GP fault with no
 * table read. So for a non-canonical address the expected translation is the
 * one KVM gives, and the walker must name the fault instead.
 */
static void diff_one(struct vm *vm, uint64_t gva, struct tally *t)
{
	struct vm_chain c;

	t->n++;
	CHECK(vm__translate(vm, gva, &c) == 0);
	CHECK(c.kvm_checked);
	if (!canonical48(gva)) {
		struct vm_chain s;

		t->noncanonical++;
		CHECK(!c.gva_mapped);
		CHECK_EQ_U64(c.fault_kind, WALK_FAULT_NONCANONICAL);
		CHECK_EQ_U64(c.error_code, 0);
		CHECK_EQ_U64(c.nr_levels, 0);
		/* KVM's answer for it is the walker's for the sign-extended form. */
		CHECK(vm__translate(vm, (uint64_t)((int64_t)(gva << 16) >> 16), &s) == 0);
		CHECK_EQ_U64(s.gva_mapped, c.kvm_valid);
		if (s.gva_mapped && c.kvm_valid)
			CHECK_EQ_U64(s.gpa, c.kvm_gpa);
		CHECK(c.kvm_agrees);
		t->mapped_alias += c.kvm_valid;
		return;
	}
	if (c.gva_mapped != c.kvm_valid || (c.kvm_valid && c.gpa != c.kvm_gpa)) {
		fprintf(stderr,
			"%s: GVA 0x%" PRIx64 ": KVM valid=%d gpa=0x%" PRIx64 ", walker mapped=%d "
			"gpa=0x%" PRIx64 "\n",
			t->what, gva, c.kvm_valid, c.kvm_gpa, c.gva_mapped, c.gpa);
		test_failures++;
		return;
	}
	CHECK(c.kvm_agrees);
	if (c.kvm_valid) {
		t->mapped++;
		/* The leaf's level gives the page size: 1 -> 4K, 2 -> 2M, 3 -> 1G. */
		CHECK(c.nr_levels >= 2);
		CHECK_EQ_U64(c.guest_page_size, pt_level_size(c.level[c.nr_levels - 1].level));
		CHECK(c.gpa < MEM || c.host_note[0]);
	} else {
		/* Only not-present entries occur in these tables. */
		CHECK_EQ_U64(c.fault_kind, WALK_FAULT_NOT_PRESENT);
		CHECK(!(c.level[c.nr_levels - 1].entry & PTE_P));
		CHECK_EQ_U64(c.fault_level, c.level[c.nr_levels - 1].level);
	}
}

static void range(struct vm *vm, struct tally *t, uint64_t start, uint64_t len, uint64_t step)
{
	for (uint64_t off = 0; off < len; off += step)
		diff_one(vm, start + off, t);
}

static void report(const struct tally *t, unsigned want_min_mapped, unsigned want_max_mapped)
{
	fprintf(stderr, "  %-24s %6u addresses, %6u mapped, %4u non-canonical (%u valid for KVM)\n",
		t->what, t->n, t->mapped, t->noncanonical, t->mapped_alias);
	CHECK(t->mapped >= want_min_mapped);
	CHECK(t->mapped <= want_max_mapped);
}

/* xorshift64: addresses spread over the whole 64-bit space. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void diff_layout(struct vm *vm, uint64_t footprint, uint64_t page_size)
{
	struct tally data = {.what = "data region"}, hole = {.what = "hole after the data"},
		     img = {.what = "user image 4M..8M"}, stack = {.what = "user stack"},
		     kimg = {.what = "kernel image (2M pages)"},
		     direct = {.what = "direct map (2M pages)"},
		     tramp = {.what = "syscall trampoline"}, nonc = {.what = "non-canonical"},
		     random = {.what = "random 64-bit"};
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	static const uint64_t nc[] = {
		0x0000800000000000ULL, 0x0000888000000000ULL, 0x8000008000000000ULL,
		0xffff7fffffffffffULL, 0x00ffff8880000000ULL, 0x7fffffff80200000ULL,
		0x1000000000400000ULL, 0xfffe888000000000ULL,
	};

	/* Every page of the data region, at an offset that changes from page to page. */
	for (uint64_t off = 0; off < footprint; off += 4096)
		diff_one(vm, MV_MMAP_BASE + off + ((off >> 9) & 0xff8), &data);
	report(&data, (unsigned)(footprint / 4096), (unsigned)(footprint / 4096));
	range(vm, &hole, MV_MMAP_BASE + footprint, 4ULL << 20, 4096);
	report(&hole, 0, 0);
	range(vm, &img, MV_USER_IMAGE_MIN, 4ULL << 20, 4096);
	report(&img, 1, 1024);
	range(vm, &stack, MV_STACK_TOP - 2 * MV_STACK_SIZE, 2 * MV_STACK_SIZE + 0x1000, 4096);
	report(&stack, (unsigned)(MV_STACK_SIZE / 4096), (unsigned)(2 * MV_STACK_SIZE / 4096));
	range(vm, &kimg, MV_KERNEL_BASE, 16ULL << 20, 4096 + 8);
	report(&kimg, 1, 4096);
	/* The direct map covers guest memory; past its end, holes. */
	range(vm, &direct, MV_DIRECT_BASE, MEM + (8ULL << 20), 4096 + 8);
	report(&direct, (unsigned)(MEM / 4104), 40000);
	range(vm, &tramp, MV_TRAMPOLINE - 0x2000, 0x6000, 4096);
	report(&tramp, 1, 6);
	for (size_t i = 0; i < ARRAY_SIZE(nc); i++)
		diff_one(vm, nc[i], &nonc);
	report(&nonc, 0, 0);
	CHECK(nonc.mapped_alias >= 4); /* aliases of the data region, kernel image, direct map */
	CHECK_EQ_U64(nonc.noncanonical, ARRAY_SIZE(nc));
	/* Random addresses, half of them sign-extended into canonical form. */
	for (int i = 0; i < 4000; i++) {
		uint64_t va = rnd(&s);

		diff_one(vm, i & 1 ? (uint64_t)((int64_t)(va << 16) >> 16) : va, &random);
	}
	report(&random, 0, 4000);
	(void)page_size;
}

/*
 * The page a workload wrote, reached two ways: through its user mapping and
 * through the kernel's direct map at MV_DIRECT_BASE + GPA. Both chains must
 * name the same GPA, the same HVA and (when PFNs are visible) the same HPA,
 * and the value read through that HVA is the workload's: after one seq pass
 * the first word of line i holds i.
 */
static void check_alias(struct vm *vm, uint64_t footprint)
{
	struct vm_chain u, k;

	for (uint64_t off = 0; off < footprint; off += 4096 * 7 + 64) {
		CHECK(vm__translate(vm, MV_MMAP_BASE + off, &u) == 0);
		CHECK(u.gva_mapped && u.hva);
		if (!u.gva_mapped || !u.hva)
			continue;
		CHECK(vm__translate(vm, MV_DIRECT_BASE + u.gpa, &k) == 0);
		CHECK(k.gva_mapped);
		CHECK_EQ_U64(k.gpa, u.gpa);
		CHECK_EQ_U64(k.hva, u.hva);
		CHECK_EQ_U64(k.guest_page_size, 2ULL << 20);
		CHECK_EQ_U64(*(volatile uint64_t *)k.hva, off / 64);
		CHECK_EQ_U64(u.slot, 0);
		CHECK_EQ_U64(u.hva - u.slot_hva, u.gpa - u.slot_gpa);
		CHECK(u.present);
		if (u.hpa_known && k.hpa_known)
			CHECK_EQ_U64(k.hpa, u.hpa);
		if (u.hpa_known)
			CHECK_EQ_U64(u.hpa & 4095, u.hva & 4095);
	}
}

/*
 * Error codes of accesses other than KVM_TRANSLATE's supervisor read, from
 * the SDM's rule (Vol. 3A §4.7): a user read of a kernel page is a
 * protection fault with P|U; a user write to the hole after the data is
 * not-present with W|U; a user fetch from the data region (XD) is P|U|I.
 */
static void check_access_faults(struct vm *vm, uint64_t footprint)
{
	struct vm_chain c;

	CHECK(vm__translate_access(vm, MV_DIRECT_BASE, WALK_ACC_USER, &c) == 0);
	CHECK(!c.gva_mapped);
	CHECK_EQ_U64(c.fault_kind, WALK_FAULT_PROTECTION);
	CHECK_EQ_U64(c.error_code, PF_ERR_P | PF_ERR_U);
	/* The cross-check still compares KVM's supervisor read: mapped for both. */
	CHECK(c.kvm_checked && c.kvm_valid && c.kvm_agrees);

	CHECK(vm__translate_access(vm, MV_MMAP_BASE + footprint, WALK_ACC_USER | WALK_ACC_WRITE,
				   &c) == 0);
	CHECK_EQ_U64(c.fault_kind, WALK_FAULT_NOT_PRESENT);
	CHECK_EQ_U64(c.error_code, PF_ERR_W | PF_ERR_U);

	CHECK(vm__translate_access(vm, MV_MMAP_BASE, WALK_ACC_USER | WALK_ACC_FETCH, &c) == 0);
	if (c.level[c.nr_levels - 1].entry & PTE_NX) {
		CHECK_EQ_U64(c.fault_kind, WALK_FAULT_PROTECTION);
		CHECK_EQ_U64(c.error_code, PF_ERR_P | PF_ERR_U | PF_ERR_I);
	}
	CHECK(vm__translate_access(vm, MV_MMAP_BASE, WALK_ACC_USER | WALK_ACC_WRITE, &c) == 0);
	CHECK(c.gva_mapped);

	/* The workload's code: user-executable, and read-only unless the image says otherwise. */
	CHECK(vm__translate_access(vm, vm__user_entry(vm), WALK_ACC_USER | WALK_ACC_FETCH, &c) ==
	      0);
	CHECK(c.gva_mapped);
	CHECK_EQ_U64(c.paging_levels, 4);
	CHECK(c.maxphyaddr >= 32 && c.maxphyaddr <= 52);
}

int main(void)
{
	struct vm *vm;

	skip_without_kvm();
	snprintf(kernel, sizeof(kernel), "%s/guest/kernel.elf", MEMVIRT_BINARY_DIR);
	snprintf(program, sizeof(program), "%s/guest/workload.elf", MEMVIRT_BINARY_DIR);

	fprintf(stderr, "seq, 4K pages, 8M:\n");
	vm = boot(WL_SEQ, 8ULL << 20, 4096);
	if (vm) {
		diff_layout(vm, 8ULL << 20, 4096);
		check_alias(vm, 8ULL << 20);
		check_access_faults(vm, 8ULL << 20);
		vm__destroy(vm);
	}
	fprintf(stderr, "seq, 2M pages, 16M:\n");
	vm = boot(WL_SEQ, 16ULL << 20, 2ULL << 20);
	if (vm) {
		diff_layout(vm, 16ULL << 20, 2ULL << 20);
		check_alias(vm, 16ULL << 20);
		vm__destroy(vm);
	}
	TEST_DONE();
}
