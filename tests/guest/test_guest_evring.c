// SPDX-License-Identifier: GPL-2.0
/*
 * A guest that scribbles its event ring: the VMM must count every bad
 * record, resynchronise on impossible indices and drop counts, never use
 * the guest's copy of the ring's size, stay in bounds, and deliver valid
 * records again afterwards. The guest writes the ring the VMM gave it at
 * CPL0, as a broken or malicious kernel could; the host checks the counts
 * in run.json's terms and the event file.
 */
#include <stdint.h>

#define NR_FAULTS  256		/* valid fault records before the hostile cases */
#define RING_BYTES (1ULL << 20) /* 16384 slots: the valid records never fill it */

#ifdef MV_GUEST
#include "guest.h"

static struct mv_evring *ring(void)
{
	return (struct mv_evring *)boot_info.ev_ring;
}

/*
 * Publish one record as the kernel's producer does (ev_emit in
 * workloads/kernel/kernel.h): fill the slot, then store prod + 1. @w0 is
 * the record's first word, MV_EV_WORD0(type, shift, arg) or anything else.
 */
static void emit(uint64_t w0, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct mv_evring *r = ring();
	uint64_t p = r->prod, mask = boot_info.ev_mask;
	struct mv_ev *e = (struct mv_ev *)((char *)r + MV_EVRING_HDR) + (p & mask);
	uint32_t lo, hi;

	GUEST_ASSERT(p - *(volatile uint64_t *)&r->cons <= mask); /* never full here */
	*(volatile uint64_t *)e = w0;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	e->tsc = ((uint64_t)hi << 32) | lo;
	e->a[0] = a0;
	e->a[1] = a1;
	e->a[2] = a2;
	e->a[3] = a3;
	/* x86 keeps stores in order (SDM Vol. 3A, 9.2.2): the compiler must too. */
	__asm__ volatile("" ::: "memory");
	*(volatile uint64_t *)&r->prod = p + 1;
}

/* Have the VMM drain now (MV_MSG_EVSYNC): when it returns, the VMM has consumed up to prod. */
static void evsync(void)
{
	guest_send(MV_MSG_EVSYNC, 0, 0);
	GUEST_ASSERT_EQ(*(volatile uint64_t *)&ring()->cons, ring()->prod);
}

void guest_main(void)
{
	struct mv_evring *r = ring();
	uint64_t cr3 = guest_read_cr3();

	GUEST_ASSERT(r != 0);
	GUEST_ASSERT_EQ(boot_info.ev_mask, RING_BYTES / MV_EV_SIZE - 1);
	/*
	 * First the channel works: valid supervisor write faults on pool
	 * frames, each at its direct-map address, so that --chains resolves
	 * them to the same frame.
	 */
	for (uint64_t i = 0; i < NR_FAULTS; i++) {
		uint64_t gpa = boot_info.pool_start + i * SZ_4K;

		emit(MV_EV_WORD0(MV_EV_FAULT, 12, PF_ERR_W), MV_DIRECT_BASE + gpa,
		     (uint64_t)guest_main, gpa, cr3);
	}
	evsync();
	/* Case 1, six malformed records: unknown types, a bad size, a bad page size, GPAs
	 * outside guest memory. */
	emit(MV_EV_WORD0(0, 0, 0), 0, 0, 0, 0);
	emit(MV_EV_WORD0(0x7777, 0, 0), 0, 0, 0, 0);
	emit(MV_EV_WORD0(MV_EV_MAP, 12, 3) & ~(0xffULL << 16), MV_MMAP_BASE, 4096, cr3, 0);
	emit(MV_EV_WORD0(MV_EV_MAP, 13, 3), MV_MMAP_BASE, 4096, cr3, 0);
	emit(MV_EV_WORD0(MV_EV_FAULT, 12, 6), MV_MMAP_BASE, 0, boot_info.mem_size, cr3);
	emit(MV_EV_WORD0(MV_EV_AS_SWITCH, 0, 1), ~0ULL << 12, cr3, 0, 0);
	evsync();
	/* Case 2: a producer index far beyond the consumer; the VMM skips to it. */
	r->prod += 1ULL << 40;
	evsync();
	/* Case 3: a producer index behind the consumer; the VMM skips back to it. */
	r->prod -= 5;
	evsync();
	/* Case 4: three drops claimed, then the drop count going backward, with garbage in the
	 * header fields the VMM must not use. */
	r->drops += 3;
	evsync();
	r->drops -= 2;
	r->nr_slots = 0xffffffffu;
	r->slot_size = 0xffffffffu;
	evsync();
	/* Then the channel works again: two valid records. */
	emit(MV_EV_WORD0(MV_EV_TLB_FLUSH, 0, 1), 0, cr3, 0, 0);
	emit(MV_EV_WORD0(MV_EV_TLB_FLUSH, 0, 1), 0, cr3, 0, 0);
	evsync();
	GUEST_DONE();
}

#else /* the host side */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "test.h"
#include "trace/evfile.h"

static struct guest_test t;

/* What the event file holds. */
static struct {
	struct ev_guest_fault fault[NR_FAULTS];
	struct ev_vmm_chain chain[NR_FAULTS];
	struct ev_guest_tlb_flush flush[4];
	uint64_t nfault, nchain, nflush, nother, dropped;
} lg;

static void load(const char *path)
{
	struct ev_reader *r = NULL;
	struct ev_record rec;
	int ret;

	CHECK_EQ_U64(ev_reader_open(&r, path), 0);
	if (!r)
		return;
	while ((ret = ev_read(r, &rec)) == 1) {
		switch (rec.type ? rec.type->id : 0) {
		case EV_GUEST_FAULT:
			TEST_TAKE(lg.fault, lg.nfault, &rec);
			break;
		case EV_VMM_CHAIN:
			TEST_TAKE(lg.chain, lg.nchain, &rec);
			break;
		case EV_GUEST_TLB_FLUSH:
			TEST_TAKE(lg.flush, lg.nflush, &rec);
			break;
		default:
			if (rec.source == EV_SRC_GUEST)
				lg.nother++;
		}
	}
	CHECK_EQ_U64(ret, 0); /* a complete file */
	lg.dropped = ev_reader_dropped(r, EV_SRC_GUEST);
	ev_reader_close(r);
}

/*
 * The guest's cases, one drain each: six malformed records, a producer
 * index 2^40 ahead, one 5 behind, three drops claimed and then the count
 * going backward, garbage in the header; then two valid flush records.
 * The run still ends cleanly, and the valid records before and after are
 * all delivered, with their chains.
 */
int main(void)
{
	struct vm_config cfg;
	struct ev_writer *w = NULL;
	char path[256];

	guest_test_require_kvm();
	snprintf(path, sizeof(path), "/tmp/memvirt-guest-evring-%d.mvev", (int)getpid());
	CHECK_EQ_U64(ev_writer_open(&w, path, 0, (uint32_t)getpid(), false), 0);
	if (!w)
		TEST_DONE();
	guest_test_config(&cfg);
	cfg.ev_ring_bytes = RING_BYTES;
	cfg.ev_chains = true;
	cfg.events = w;
	CHECK_EQ_U64(guest_test__create(&t, &cfg), 0);
	if (!t.vm) {
		ev_writer_abort(w);
		TEST_DONE();
	}
	CHECK(guest_test__run(&t) == 0);
	guest_test__destroy(&t);
	CHECK_EQ_U64(ev_writer_close(w, true), 0);
	load(path);
	unlink(path);

	CHECK(t.res.ev.enabled);
	CHECK_EQ_U64(t.res.ev.malformed, 6);
	CHECK_EQ_U64(t.res.ev.resyncs, 3);
	CHECK_EQ_U64(t.res.ev.guest_full, 3);
	CHECK_EQ_U64(t.res.ev.accepted, NR_FAULTS + 2);
	CHECK_EQ_U64(t.res.ev.write_errors, 0);
	CHECK_EQ_U64(lg.dropped, 6 + 3);
	CHECK_EQ_U64(lg.nfault, NR_FAULTS);
	CHECK_EQ_U64(lg.nchain, NR_FAULTS);
	CHECK_EQ_U64(t.res.ev.chains, NR_FAULTS);
	CHECK_EQ_U64(t.res.ev.chain_failures, 0);
	CHECK_EQ_U64(lg.nflush, 2);
	CHECK_EQ_U64(lg.flush[0].kind, EV_FLUSH_CR3);
	CHECK_EQ_U64(lg.nother, 0);
	/* Each chain walks the guest's tables to the frame its fault named. */
	for (unsigned i = 0; i < NR_FAULTS && i < lg.nchain; i++) {
		CHECK_EQ_U64(lg.chain[i].gva, lg.fault[i].cr2);
		CHECK_EQ_U64(lg.chain[i].gpa, lg.fault[i].gpa);
		CHECK_EQ_U64(lg.chain[i].guest_shift, 21); /* the direct map's 2M pages */
	}
	TEST_DONE();
}
#endif
