// SPDX-License-Identifier: GPL-2.0
/*
 * The guest event ring's consumer over a fake guest memory buffer holding
 * exactly the ring (header and slots, so ASan sees any access outside it):
 * hostile producer indices, bad records, records rewritten after they were
 * copied out, addresses outside guest RAM, a full ring. Every expected
 * count is what the test injected.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "vmm/evring.h"

#define SLOT_BYTES 4096ULL /* 64 slots */
#define NSLOTS	   (SLOT_BYTES / MV_EV_SIZE)
#define MEM	   (64ULL << 20) /* guest RAM the records must stay inside */
#define CR3	   0x100000ULL

static uint8_t *mem;
static struct mv_evring *hdr;
static struct evring *ring;
static uint64_t prod; /* the fake guest's producer index */

static struct evring_event got[4 * NSLOTS];
static unsigned nr_got;

static void sink(void *arg, const struct evring_event *ev)
{
	if (nr_got < sizeof(got) / sizeof(got[0]))
		got[nr_got] = *ev;
	nr_got++;
}

static void setup(void)
{
	evring__free(ring);
	free(mem);
	mem = calloc(1, MV_EVRING_HDR + SLOT_BYTES);
	hdr = (struct mv_evring *)mem;
	ring = evring__new(mem, SLOT_BYTES, MEM);
	CHECK(ring != NULL);
	prod = 0;
	nr_got = 0;
}

static struct mv_ev *slot(uint64_t idx)
{
	return (struct mv_ev *)(mem + MV_EVRING_HDR + (idx % NSLOTS) * MV_EV_SIZE);
}

/* Write a record at the producer index and publish it. */
static void put(struct mv_ev e)
{
	*slot(prod) = e;
	hdr->prod = ++prod;
}

static struct mv_ev rec(unsigned type, unsigned shift, uint32_t arg, uint64_t a0, uint64_t a1,
			uint64_t a2, uint64_t a3)
{
	return (struct mv_ev){.type = (uint16_t)type,
			      .size = MV_EV_SIZE,
			      .shift = (uint8_t)shift,
			      .arg = arg,
			      .tsc = 1000 + prod,
			      .a = {a0, a1, a2, a3}};
}

static struct mv_ev fault(uint64_t cr2, uint64_t gpa)
{
	return rec(MV_EV_FAULT, 12, 6, cr2, 0x401000, gpa, CR3);
}

static uint64_t drain(void)
{
	return evring__drain(ring, sink, NULL);
}

/* Every type, valid: accepted and converted field by field. */
static void check_valid(void)
{
	const struct evring_stats *s;

	setup();
	CHECK_EQ_U64(hdr->magic, MV_EVRING_MAGIC);
	CHECK_EQ_U64(hdr->nr_slots, NSLOTS);
	put(fault(0x8000001234ULL, 0x900000));
	put(rec(MV_EV_MAP, 21, 3, 0x8000000000ULL, 4ULL << 20, CR3, 0));
	put(rec(MV_EV_UNMAP, 12, 0, 0x8000000000ULL, 8192, CR3, 0));
	put(rec(MV_EV_PROTECT, 12, 1, 0x8000000000ULL, 8192, CR3, 0));
	put(rec(MV_EV_AS_CREATE, 0, 0, CR3, 0, 0, 0));
	put(rec(MV_EV_AS_CREATE, 0, 1, CR3 + 4096, CR3, 0, 0));
	put(rec(MV_EV_AS_SWITCH, 0, 1, CR3 + 4096, CR3, 0, 0));
	put(rec(MV_EV_TLB_FLUSH, 0, 0, 0x8000000000ULL, CR3, 0, 0));
	put(rec(MV_EV_TLB_FLUSH, 0, 1, 0, CR3, 0, 0));
	/* The last 4K frame of guest RAM is still inside it. */
	put(fault(0x8000002000ULL, MEM - 4096));
	CHECK_EQ_U64(drain(), 10);
	s = evring__stats(ring);
	CHECK_EQ_U64(s->accepted, 10);
	CHECK_EQ_U64(s->malformed, 0);
	CHECK_EQ_U64(s->records[MV_EV_FAULT], 2);
	CHECK_EQ_U64(s->records[MV_EV_TLB_FLUSH], 2);
	CHECK_EQ_U64(s->records[MV_EV_AS_CREATE], 2);
	CHECK_EQ_U64(hdr->cons, 10);
	CHECK(got[0].type == &ev_type_guest_fault);
	CHECK_EQ_U64(got[0].tsc, 1000);
	CHECK_EQ_U64(got[0].body.fault.cr2, 0x8000001234ULL);
	CHECK_EQ_U64(got[0].body.fault.gpa, 0x900000);
	CHECK_EQ_U64(got[0].body.fault.cr3, CR3);
	CHECK_EQ_U64(got[0].body.fault.error_code, 6);
	CHECK_EQ_U64(got[0].body.fault.page_shift, 12);
	CHECK(got[1].type == &ev_type_guest_map);
	CHECK_EQ_U64(got[1].body.map.len, 4ULL << 20);
	CHECK_EQ_U64(got[1].body.map.prot, 3);
	CHECK_EQ_U64(got[1].body.map.page_shift, 21);
	CHECK(got[2].type == &ev_type_guest_unmap);
	CHECK(got[3].type == &ev_type_guest_protect);
	CHECK(got[5].type == &ev_type_guest_as_create);
	CHECK_EQ_U64(got[5].body.as.pid, 1);
	CHECK_EQ_U64(got[5].body.as.prev_cr3, CR3);
	CHECK(got[6].type == &ev_type_guest_as_switch);
	CHECK(got[8].type == &ev_type_guest_tlb_flush);
	CHECK_EQ_U64(got[8].body.flush.kind, EV_FLUSH_CR3);
	/* Nothing new: nothing handed out. */
	CHECK_EQ_U64(drain(), 0);
	CHECK_EQ_U64(nr_got, 10);
}

/* Producer indices the guest could write: the consumer resyncs, never indexes outside. */
static void check_indices(void)
{
	const struct evring_stats *s;

	setup();
	s = evring__stats(ring);
	/* Exactly a full ring is legal. */
	for (unsigned i = 0; i < NSLOTS; i++)
		put(fault(0x8000000000ULL + i * 4096, 0x900000));
	CHECK_EQ_U64(drain(), NSLOTS);
	CHECK_EQ_U64(s->resyncs, 0);
	/* One more than a ring's worth. */
	for (unsigned i = 0; i < NSLOTS; i++)
		put(fault(0x8000000000ULL, 0x900000));
	prod++;
	hdr->prod = prod;
	CHECK_EQ_U64(drain(), 0);
	CHECK_EQ_U64(s->resyncs, 1);
	CHECK_EQ_U64(hdr->cons, prod);
	/* Huge. */
	prod += 1ULL << 62;
	hdr->prod = prod;
	CHECK_EQ_U64(drain(), 0);
	CHECK_EQ_U64(s->resyncs, 2);
	/* Behind the consumer. */
	prod -= 3;
	hdr->prod = prod;
	CHECK_EQ_U64(drain(), 0);
	CHECK_EQ_U64(s->resyncs, 3);
	/* After a resync the channel works again, across the 2^64 wrap. */
	prod = UINT64_MAX - 2;
	hdr->prod = prod;
	CHECK_EQ_U64(drain(), 0);
	CHECK_EQ_U64(s->resyncs, 4);
	nr_got = 0;
	for (unsigned i = 0; i < 8; i++)
		put(fault(0x8000000000ULL + i * 4096, 0x900000));
	CHECK_EQ_U64(prod, 5); /* wrapped */
	CHECK_EQ_U64(drain(), 8);
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ_U64(got[i].body.fault.cr2, 0x8000000000ULL + i * 4096);
	CHECK_EQ_U64(s->resyncs, 4);
	/* A cons the guest scribbles is not read back: the VMM keeps its own. */
	hdr->cons = 12345;
	put(fault(0x8000000000ULL, 0x900000));
	CHECK_EQ_U64(drain(), 1);
	CHECK_EQ_U64(hdr->cons, prod);
	/* Nor are the header's sizes. */
	hdr->nr_slots = 0xffffffffu;
	hdr->slot_size = 1;
	put(fault(0x8000000000ULL, 0x900000));
	CHECK_EQ_U64(drain(), 1);
	CHECK_EQ_U64(s->malformed, 0);
}

/* Bad types and sizes among good records: each bad one counted, the good ones kept. */
static void check_bad_records(void)
{
	static const unsigned bad_types[] = {0, MV_EV__COUNT, 0x7777, 0xffff};
	static const unsigned bad_sizes[] = {0, 8, 63, 65, 128, 255};
	const struct evring_stats *s;
	struct mv_ev e;
	unsigned nbad = 0;

	setup();
	s = evring__stats(ring);
	for (unsigned i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		e = fault(0x8000000000ULL, 0x900000);
		e.type = (uint16_t)bad_types[i];
		put(e);
		put(fault(0x8000001000ULL, 0x901000));
		nbad++;
	}
	for (unsigned i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		e = fault(0x8000000000ULL, 0x900000);
		e.size = (uint8_t)bad_sizes[i];
		put(e);
		nbad++;
	}
	/* Field checks: page size, alignment, prot, pid, flush kind. */
	put(rec(MV_EV_FAULT, 13, 6, 0x8000000000ULL, 0, 0x900000, CR3));
	put(rec(MV_EV_FAULT, 21, 6, 0x8000000000ULL, 0, 0x901000, CR3)); /* unaligned 2M */
	put(rec(MV_EV_FAULT, 12, 1u << 20, 0x8000000000ULL, 0, 0x900000, CR3));
	put(rec(MV_EV_MAP, 12, 8, 0x8000000000ULL, 4096, CR3, 0));
	put(rec(MV_EV_MAP, 12, 3, 0x8000000000ULL, 0, CR3, 0));
	put(rec(MV_EV_MAP, 12, 3, 0x8000000800ULL, 4096, CR3, 0));
	put(rec(MV_EV_MAP, 12, 3, 0xfffffffffffff000ULL, 0x2000, CR3, 0)); /* wraps */
	put(rec(MV_EV_UNMAP, 12, 3, 0x8000000000ULL, 4096, CR3, 0));
	put(rec(MV_EV_AS_SWITCH, 0, MV_MAX_PROCS, CR3, CR3, 0, 0));
	put(rec(MV_EV_AS_SWITCH, 12, 1, CR3, CR3, 0, 0));
	put(rec(MV_EV_TLB_FLUSH, 0, 2, 0, CR3, 0, 0));
	put(rec(MV_EV_TLB_FLUSH, 0, 0xffffffffu, 0, CR3, 0, 0));
	nbad += 12;
	CHECK_EQ_U64(drain(), 4);
	CHECK_EQ_U64(s->malformed, nbad);
	CHECK_EQ_U64(s->accepted, 4);
	CHECK_EQ_U64(s->accepted + s->malformed, prod);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ_U64(got[i].body.fault.cr2, 0x8000001000ULL);
}

/* Addresses outside guest RAM in every record that carries one. */
static void check_outside_ram(void)
{
	const struct evring_stats *s;

	setup();
	s = evring__stats(ring);
	put(fault(0x8000000000ULL, MEM));
	put(fault(0x8000000000ULL, ~0ULL & ~4095ULL));
	put(rec(MV_EV_FAULT, 21, 6, 0x8000000000ULL, 0, MEM - (1ULL << 21) + (1ULL << 21),
		CR3));						  /* == MEM */
	put(rec(MV_EV_FAULT, 30, 6, 0x8000000000ULL, 0, 0, CR3)); /* 1G frame > 64M RAM */
	put(rec(MV_EV_FAULT, 12, 6, 0x8000000000ULL, 0, 0x900000, MEM));
	put(rec(MV_EV_FAULT, 12, 6, 0x8000000000ULL, 0, 0x900000, CR3 | 0x18)); /* flags */
	put(rec(MV_EV_MAP, 12, 3, 0x8000000000ULL, 4096, MEM + 4096, 0));
	put(rec(MV_EV_AS_CREATE, 0, 1, ~0ULL << 12, CR3, 0, 0));
	put(rec(MV_EV_AS_SWITCH, 0, 1, CR3, MEM, 0, 0));
	put(rec(MV_EV_TLB_FLUSH, 0, 0, 0, MEM - 1, 0, 0));
	CHECK_EQ_U64(drain(), 0);
	CHECK_EQ_U64(s->malformed, 10);
	/* 2M frame that ends exactly at the end of RAM: inside. */
	put(rec(MV_EV_FAULT, 21, 6, 0x8000000000ULL, 0, MEM - (1ULL << 21), CR3));
	CHECK_EQ_U64(drain(), 1);
}

/* The guest rewrites a slot after the consumer copied it: the copy is what counts. */
static void scribble(void *arg, uint64_t index)
{
	struct mv_ev *e = slot(index);

	if (*(int *)arg)
		*e = fault(0x8000000000ULL, 0x900000); /* turn it valid */
	else
		memset(e, 0xff, sizeof(*e)); /* turn it into garbage */
}

static void check_copy_out(void)
{
	const struct evring_stats *s;
	int make_valid = 0;
	struct mv_ev bad = fault(0x8000000000ULL, MEM);

	setup();
	s = evring__stats(ring);
	evring__set_copy_hook(ring, scribble, &make_valid);
	put(fault(0x8000005000ULL, 0x905000));
	put(fault(0x8000006000ULL, 0x906000));
	CHECK_EQ_U64(drain(), 2);
	CHECK_EQ_U64(s->malformed, 0);
	CHECK_EQ_U64(got[0].body.fault.cr2, 0x8000005000ULL);
	CHECK_EQ_U64(got[1].body.fault.gpa, 0x906000);
	make_valid = 1;
	put(bad);
	put(bad);
	CHECK_EQ_U64(drain(), 0);
	CHECK_EQ_U64(s->malformed, 2);
	evring__set_copy_hook(ring, NULL, NULL);
}

/*
 * A full ring: a producer that follows the protocol (abi.h) emits 3 rings'
 * worth with no drain in between; the first ring is kept, the rest is
 * counted in the guest's drop counter and reported as guest_full.
 */
static void emit(uint64_t cr2)
{
	if (prod - hdr->cons > NSLOTS - 1) {
		hdr->drops++;
		return;
	}
	put(fault(cr2, 0x900000));
}

static void check_full(void)
{
	const struct evring_stats *s;

	setup();
	s = evring__stats(ring);
	for (unsigned i = 0; i < 3 * NSLOTS; i++)
		emit(0x8000000000ULL + i * 4096);
	CHECK_EQ_U64(drain(), NSLOTS);
	CHECK_EQ_U64(s->guest_full, 2 * NSLOTS);
	CHECK_EQ_U64(got[NSLOTS - 1].body.fault.cr2, 0x8000000000ULL + (NSLOTS - 1) * 4096);
	/* Drained: room again. */
	emit(0x9000000000ULL);
	CHECK_EQ_U64(drain(), 1);
	CHECK_EQ_U64(s->guest_full, 2 * NSLOTS);
	/* A drop count that goes backward is corruption, not a negative loss. */
	hdr->drops -= 5;
	drain();
	CHECK_EQ_U64(s->guest_full, 2 * NSLOTS);
	CHECK_EQ_U64(s->resyncs, 1);
	hdr->drops += 7;
	drain();
	CHECK_EQ_U64(s->guest_full, 2 * NSLOTS + 7);
}

/* splitmix64 */
static uint64_t rnd(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Random header and slot contents: the consumer stays in the buffer (ASan) and accounts. */
static void check_random(void)
{
	uint64_t seed = 42, consumed = 0;
	const struct evring_stats *s;

	setup();
	s = evring__stats(ring);
	for (unsigned round = 0; round < 2000; round++) {
		uint64_t r = rnd(&seed), before = hdr->cons, p;

		for (unsigned i = 0; i < MV_EVRING_HDR / 8; i++)
			if ((r >> (i % 64)) & 1)
				((uint64_t *)mem)[i] = rnd(&seed);
		for (unsigned i = 0; i < 8; i++)
			((uint64_t *)(mem + MV_EVRING_HDR))[rnd(&seed) % (SLOT_BYTES / 8)] =
				rnd(&seed);
		/* Often a small step forward, so that records are really read. */
		p = (r & 3) ? before + (r >> 8) % (NSLOTS + 1) : hdr->prod;
		hdr->prod = p;
		drain();
		if (p - before <= NSLOTS)
			consumed += p - before;
	}
	CHECK_EQ_U64(s->accepted + s->malformed, consumed);
	CHECK(s->resyncs > 0);
	CHECK(s->malformed > 0);
}

static void check_new(void)
{
	uint8_t *buf = calloc(1, MV_EVRING_HDR + 8192);
	struct evring *r;

	CHECK(evring__new(buf, 4096 + 64, MEM) == NULL && errno == EINVAL);
	CHECK(evring__new(buf, 2048, MEM) == NULL);
	CHECK(evring__new(buf, VM_EV_RING_MAX_BYTES * 2, MEM) == NULL);
	CHECK(evring__new(NULL, 4096, MEM) == NULL);
	r = evring__new(buf, 8192, MEM);
	CHECK(r != NULL);
	evring__free(r);
	free(buf);
}

int main(void)
{
	check_new();
	check_valid();
	check_indices();
	check_bad_records();
	check_outside_ram();
	check_copy_out();
	check_full();
	check_random();
	evring__free(ring);
	free(mem);
	TEST_DONE();
}
