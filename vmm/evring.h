/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host side of the guest event channel: a consumer that drains the ring
 * the guest kernel fills (workloads/abi.h), checking every index and record
 * it reads, and hands out records already converted to event-file bodies.
 * The core knows nothing of KVM, so tests drive it over a plain buffer.
 */
#ifndef MEMVIRT_EVRING_H
#define MEMVIRT_EVRING_H

#include <stdint.h>

#include "trace/evfile.h"
#include "vmm/vmm.h"
#include "workloads/abi.h"

/* What the consumer saw; all counts are cumulative. */
struct evring_stats {
	uint64_t records[MV_EV__COUNT]; /* accepted, by enum mv_ev_type */
	uint64_t accepted;
	uint64_t guest_full; /* records the guest says it dropped with the ring full */
	uint64_t malformed;  /* records rejected: type, size, page size or an address */
	uint64_t resyncs;    /* impossible producer index or drop count: consumer reset */
	uint64_t drains;
};

/* One accepted record. */
struct evring_event {
	const struct ev_type *type; /* ev_type_guest_* */
	enum mv_ev_type kind;
	uint64_t tsc; /* guest TSC */
	union {
		struct ev_guest_fault fault;
		struct ev_guest_map map;
		struct ev_guest_as as;
		struct ev_guest_tlb_flush flush;
	} body;
};

typedef void (*evring_sink_fn)(void *arg, const struct evring_event *ev);

struct evring;

/*
 * A consumer over the ring at @base: MV_EVRING_HDR bytes of header, then
 * @slot_bytes of slots (a power of two between EVRING_MIN_BYTES and
 * EVRING_MAX_BYTES); @mem_size bytes of guest RAM bound every GPA in a
 * record. Writes the header's VMM fields and zeroes both indices. The
 * place and size come from the caller, never from guest memory. NULL with
 * errno set.
 */
struct evring *evring__new(void *base, uint64_t slot_bytes, uint64_t mem_size);
void evring__free(struct evring *r);
/*
 * Hand every record published since the last drain to @sink (in order),
 * then release the slots to the guest. Not thread-safe: one drain at a
 * time. Returns the records handed out.
 */
uint64_t evring__drain(struct evring *r, evring_sink_fn sink, void *arg);
const struct evring_stats *evring__stats(const struct evring *r);
/*
 * Tests: @fn runs after each record was copied out of guest memory and
 * before it is checked, as a guest changing the slot at that moment would.
 */
void evring__set_copy_hook(struct evring *r, void (*fn)(void *arg, uint64_t index), void *arg);

/* Check one record copied out of the ring and convert it; 0 or -EINVAL. */
int evring_decode(const struct mv_ev *raw, uint64_t mem_size, struct evring_event *ev);

#endif
