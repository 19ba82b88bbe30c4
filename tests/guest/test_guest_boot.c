// SPDX-License-Identifier: GPL-2.0
/*
 * What the VMM hands a guest before its first instruction, read back from
 * inside: the boot information (memory size, frame pool, event ring), the
 * parameter block on the first process's stack, and the layout of
 * docs/guest.md in the page tables the VMM built (direct map, kernel image,
 * syscall trampoline, user stack), with and without an event channel.
 */
#include <stdint.h>

/* What the host expects; it writes these into the guest before the run. */
struct boot_want {
	uint64_t mem_size;
	uint64_t ring_bytes; /* slot area of the event ring; 0: no channel */
	uint64_t seed;	     /* passed in the parameter block */
};

#ifdef MV_GUEST
#include "guest.h"

struct boot_want want;
extern char mv_syscall_entry[];

/* The entry mapping @va in the tables at CR3 and its level (1: 4K, 2: 2M, 3: 1G); 0 if none. */
static uint64_t leaf(uint64_t va, unsigned *level)
{
	uint64_t e = guest_read_cr3();

	for (unsigned l = 4; l >= 1; l--) {
		const uint64_t *table = guest_phys(e & PTE_ADDR_MASK);

		e = table[pt_index(va, l)];
		if (!(e & PTE_P))
			return 0;
		if (l == 1 || (e & PTE_PS)) {
			*level = l;
			return e;
		}
	}
	return 0;
}

/* docs/guest.md's memory layout, as the VMM's tables map it. */
static void check_layout(uint64_t mem)
{
	uint64_t e, va;
	unsigned level = 0;

	/* The direct map: all of guest memory in 2M pages, supervisor, NX; nothing after it. */
	e = leaf(MV_DIRECT_BASE + mem - 1, &level);
	GUEST_ASSERT_EQ(level, 2);
	GUEST_ASSERT_EQ(e & PTE_ADDR_MASK, mem - SZ_2M);
	GUEST_ASSERT_EQ(e & (PTE_US | PTE_NX | PTE_RW), PTE_NX | PTE_RW);
	GUEST_ASSERT_EQ(leaf(MV_DIRECT_BASE + mem, &level), 0);
	/* The kernel image: guest physical from MV_KERNEL_BASE, 2M global pages. */
	e = leaf(MV_KERNEL_BASE + MV_GPA_KERNEL, &level);
	GUEST_ASSERT_EQ(level, 2);
	GUEST_ASSERT_EQ(e & PTE_ADDR_MASK, MV_GPA_KERNEL);
	GUEST_ASSERT_EQ(e & (PTE_US | PTE_NX | PTE_G), PTE_G);
	/* The syscall trampoline: one 4K page, user-executable, read-only. */
	e = leaf(MV_TRAMPOLINE, &level);
	GUEST_ASSERT_EQ(level, 1);
	GUEST_ASSERT_EQ(e & PTE_ADDR_MASK, (uint64_t)mv_syscall_entry - MV_KERNEL_BASE);
	GUEST_ASSERT_EQ(e & (PTE_US | PTE_NX | PTE_RW), PTE_US);
	/* The user stack: 64K of user, writable, NX pages mapped by the VMM; growth is on demand.
	 */
	for (va = MV_STACK_TOP - MV_STACK_SIZE; va < MV_STACK_TOP; va += SZ_4K) {
		e = leaf(va, &level);
		GUEST_ASSERT_EQ(level, 1);
		GUEST_ASSERT_EQ(e & (PTE_US | PTE_NX | PTE_RW), PTE_US | PTE_NX | PTE_RW);
	}
	GUEST_ASSERT_EQ(leaf(MV_STACK_TOP - MV_STACK_SIZE - SZ_4K, &level), 0);
}

void guest_main(void)
{
	uint64_t cs, mem = want.mem_size;
	uint64_t ring_total = want.ring_bytes ? MV_EVRING_HDR + want.ring_bytes : 0;
	uint64_t params = (uint64_t)guest_params;

	/* At CPL0, on the first process's tables. */
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	GUEST_ASSERT_EQ(cs, MV_SEL_KCODE);
	GUEST_ASSERT_EQ(guest_read_cr3(), boot_info.root_pt);
	GUEST_ASSERT(boot_info.root_pt >= MV_GPA_PT && boot_info.root_pt < MV_GPA_PT_END);

	GUEST_ASSERT_EQ(boot_info.mem_size, mem);
	GUEST_ASSERT_EQ(boot_info.flags, 0);
	/*
	 * The first process's tables: its root, and a PDPT, a PD and a PT for
	 * each of its two regions, the image at 4M and the stack below
	 * MV_STACK_TOP (PML4 slots 0 and 255; the user stub's image and the
	 * 64K stack each fit one 2M region).
	 */
	GUEST_ASSERT_EQ(boot_info.nr_pt_pages, 1 + 2 * 3);
	/* The frame pool follows the user frames and ends where the event ring begins. */
	GUEST_ASSERT_EQ(boot_info.pool_start % SZ_4K, 0);
	GUEST_ASSERT(boot_info.pool_start > MV_GPA_USER);
	GUEST_ASSERT_EQ(boot_info.pool_end, mem - ring_total);
	if (want.ring_bytes) {
		const struct mv_evring *r = (const struct mv_evring *)boot_info.ev_ring;

		GUEST_ASSERT_EQ(boot_info.ev_ring, MV_DIRECT_BASE + mem - ring_total);
		GUEST_ASSERT_EQ(boot_info.ev_mask, want.ring_bytes / MV_EV_SIZE - 1);
		GUEST_ASSERT_EQ(r->magic, MV_EVRING_MAGIC);
		GUEST_ASSERT_EQ(r->nr_slots, want.ring_bytes / MV_EV_SIZE);
		GUEST_ASSERT_EQ(r->slot_size, MV_EV_SIZE);
		GUEST_ASSERT_EQ(r->prod | r->cons | r->drops, 0);
	} else {
		GUEST_ASSERT_EQ(boot_info.ev_ring, 0);
	}
	/* The parameter block the first process's RDI pointed at, on its stack. */
	GUEST_ASSERT(params >= MV_STACK_TOP - MV_STACK_SIZE);
	GUEST_ASSERT(params + sizeof(*guest_params) <= MV_STACK_TOP);
	GUEST_ASSERT_EQ(guest_params->magic, MV_PARAMS_MAGIC);
	GUEST_ASSERT_EQ(guest_params->seed, want.seed);
	check_layout(mem);
	GUEST_DONE();
}

#else /* the host side */
#include "harness.h"
#include "test.h"

static struct guest_test t;

static void check_boot(uint64_t mem, uint64_t ring_bytes, uint64_t seed)
{
	struct boot_want want = {.mem_size = mem, .ring_bytes = ring_bytes, .seed = seed};
	struct vm_config cfg;

	guest_test_config(&cfg);
	cfg.mem_size = mem;
	cfg.ev_ring_bytes = ring_bytes;
	cfg.wl.seed = seed;
	CHECK_EQ_U64(guest_test__create(&t, &cfg), 0);
	if (!t.vm)
		return;
	CHECK_EQ_U64(guest_test__set(&t, "want", &want, sizeof(want)), 0);
	CHECK(guest_test__run(&t) == 0);
	CHECK_EQ_U64(t.res.ev.enabled, ring_bytes != 0);
	if (ring_bytes) {
		CHECK_EQ_U64(t.res.ev.ring_gpa, mem - MV_EVRING_HDR - ring_bytes);
		CHECK_EQ_U64(t.res.ev.ring_bytes, ring_bytes);
		CHECK_EQ_U64(t.res.ev.accepted + t.res.ev.malformed + t.res.ev.resyncs, 0);
	}
	guest_test__destroy(&t);
}

int main(void)
{
	guest_test_require_kvm();
	check_boot(64ULL << 20, 0, 1);
	check_boot(96ULL << 20, 64ULL << 10, 0xfeedface);
	TEST_DONE();
}
#endif
