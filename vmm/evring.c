// SPDX-License-Identifier: GPL-2.0
/*
 * The guest event channel, host side: a consumer that checks and drains the
 * ring the guest kernel fills (the core, usable on any buffer), and the
 * VMM's use of it: the ring's place in guest memory, a drain thread that
 * runs while the vCPU does, the event file, and --chains.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "common/util.h"
#include "vmm/evring.h"
#include "vmm/internal.h"

_Static_assert(sizeof(struct mv_ev) == MV_EV_SIZE, "guest event record size");
_Static_assert(sizeof(struct mv_evring) <= MV_EVRING_HDR, "event ring header size");

/* ---- the consumer ---- */

struct evring {
	struct mv_evring *hdr; /* guest memory: read with care */
	const uint8_t *slots;  /* guest memory */
	uint64_t nslots, mask; /* the VMM's, never the guest's */
	uint64_t mem_size;
	uint64_t cons;	     /* the VMM's copy; the guest's view is only written */
	uint64_t last_drops; /* guest drop count at the previous drain */
	struct evring_stats stats;
	void (*copy_hook)(void *arg, uint64_t index);
	void *copy_hook_arg;
};

struct evring *evring__new(void *base, uint64_t slot_bytes, uint64_t mem_size)
{
	struct evring *r;

	if (!base || slot_bytes < VM_EV_RING_MIN_BYTES || slot_bytes > VM_EV_RING_MAX_BYTES ||
	    (slot_bytes & (slot_bytes - 1))) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->hdr = base;
	r->slots = (const uint8_t *)base + MV_EVRING_HDR;
	r->nslots = slot_bytes / MV_EV_SIZE;
	r->mask = r->nslots - 1;
	r->mem_size = mem_size;
	memset(r->hdr, 0, sizeof(*r->hdr));
	r->hdr->magic = MV_EVRING_MAGIC;
	r->hdr->nr_slots = (uint32_t)r->nslots;
	r->hdr->slot_size = MV_EV_SIZE;
	return r;
}

void evring__free(struct evring *r)
{
	free(r);
}

const struct evring_stats *evring__stats(const struct evring *r)
{
	return &r->stats;
}

void evring__set_copy_hook(struct evring *r, void (*fn)(void *arg, uint64_t index), void *arg)
{
	r->copy_hook = fn;
	r->copy_hook_arg = arg;
}

static bool gpa_ok(uint64_t gpa, uint64_t len, uint64_t mem_size)
{
	return gpa < mem_size && len <= mem_size - gpa;
}

/* A root table: page-aligned, no flag bits, inside guest RAM. */
static bool root_ok(uint64_t cr3, uint64_t mem_size)
{
	return !(cr3 & ~PTE_ADDR_MASK) && gpa_ok(cr3, SZ_4K, mem_size);
}

static bool shift_ok(unsigned shift)
{
	return shift == 12 || shift == 21 || shift == 30;
}

static int decode_fault(const struct mv_ev *e, uint64_t mem, struct evring_event *ev)
{
	uint64_t psize = 1ULL << e->shift, gpa = e->a[2];

	if (!shift_ok(e->shift) || (gpa & (psize - 1)) || !gpa_ok(gpa, psize, mem) ||
	    !root_ok(e->a[3], mem) || e->arg > 0xffff)
		return -EINVAL;
	ev->type = &ev_type_guest_fault;
	ev->body.fault = (struct ev_guest_fault){.cr2 = e->a[0],
						 .rip = e->a[1],
						 .gpa = gpa,
						 .cr3 = e->a[3],
						 .error_code = e->arg,
						 .page_shift = e->shift};
	return 0;
}

/* map, unmap, protect: a whole user mapping (docs/guest.md). */
static int decode_map(const struct mv_ev *e, uint64_t mem, struct evring_event *ev)
{
	static const struct ev_type *const types[] = {
		[MV_EV_MAP] = &ev_type_guest_map,
		[MV_EV_UNMAP] = &ev_type_guest_unmap,
		[MV_EV_PROTECT] = &ev_type_guest_protect,
	};
	uint64_t psize = 1ULL << e->shift, va = e->a[0], len = e->a[1];

	if (!shift_ok(e->shift) || ((va | len) & (psize - 1)) || !len || va > MV_STACK_TOP ||
	    len > MV_STACK_TOP - va || !root_ok(e->a[2], mem) || e->arg > 7 ||
	    (e->type == MV_EV_UNMAP && e->arg))
		return -EINVAL;
	ev->type = types[e->type];
	ev->body.map = (struct ev_guest_map){
		.va = va, .len = len, .cr3 = e->a[2], .prot = e->arg, .page_shift = e->shift};
	return 0;
}

static int decode_as(const struct mv_ev *e, uint64_t mem, struct evring_event *ev)
{
	bool first = e->type == MV_EV_AS_CREATE && e->arg == 0 && e->a[1] == 0;

	if (e->shift || e->arg >= MV_MAX_PROCS || !root_ok(e->a[0], mem) ||
	    (!first && !root_ok(e->a[1], mem)))
		return -EINVAL;
	ev->type = e->type == MV_EV_AS_CREATE ? &ev_type_guest_as_create : &ev_type_guest_as_switch;
	ev->body.as = (struct ev_guest_as){.cr3 = e->a[0], .prev_cr3 = e->a[1], .pid = e->arg};
	return 0;
}

static int decode_flush(const struct mv_ev *e, uint64_t mem, struct evring_event *ev)
{
	if (e->shift || e->arg > EV_FLUSH_CR3 || !root_ok(e->a[1], mem))
		return -EINVAL;
	ev->type = &ev_type_guest_tlb_flush;
	ev->body.flush = (struct ev_guest_tlb_flush){.va = e->a[0], .cr3 = e->a[1], .kind = e->arg};
	return 0;
}

int evring_decode(const struct mv_ev *e, uint64_t mem_size, struct evring_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (e->size != MV_EV_SIZE)
		return -EINVAL;
	ev->kind = (enum mv_ev_type)e->type;
	ev->tsc = e->tsc;
	switch (e->type) {
	case MV_EV_FAULT:
		return decode_fault(e, mem_size, ev);
	case MV_EV_MAP:
	case MV_EV_UNMAP:
	case MV_EV_PROTECT:
		return decode_map(e, mem_size, ev);
	case MV_EV_AS_CREATE:
	case MV_EV_AS_SWITCH:
		return decode_as(e, mem_size, ev);
	case MV_EV_TLB_FLUSH:
		return decode_flush(e, mem_size, ev);
	default:
		return -EINVAL;
	}
}

/* The guest's drop counter only grows; anything else is corruption. */
static void account_drops(struct evring *r)
{
	uint64_t drops = __atomic_load_n(&r->hdr->drops, __ATOMIC_RELAXED);

	if (drops < r->last_drops) {
		r->stats.resyncs++;
	} else {
		uint64_t d = drops - r->last_drops;

		r->stats.guest_full =
			r->stats.guest_full + d < d ? UINT64_MAX : r->stats.guest_full + d;
	}
	r->last_drops = drops;
}

uint64_t evring__drain(struct evring *r, evring_sink_fn sink, void *arg)
{
	/* Acquire: the records the guest wrote before publishing prod are visible. */
	uint64_t prod = __atomic_load_n(&r->hdr->prod, __ATOMIC_ACQUIRE), out = 0;

	r->stats.drains++;
	account_drops(r);
	if (prod - r->cons > r->nslots) {
		/* More than a ring's worth, or behind us: skip to the producer. */
		r->stats.resyncs++;
		r->cons = prod;
	}
	for (; r->cons != prod; r->cons++) {
		struct mv_ev raw;
		struct evring_event ev;

		/* Copy first, then check the copy: the guest may rewrite the slot meanwhile. */
		memcpy(&raw, r->slots + (r->cons & r->mask) * MV_EV_SIZE, sizeof(raw));
		if (r->copy_hook)
			r->copy_hook(r->copy_hook_arg, r->cons);
		if (evring_decode(&raw, r->mem_size, &ev)) {
			r->stats.malformed++;
			continue;
		}
		r->stats.accepted++;
		r->stats.records[ev.kind]++;
		if (sink)
			sink(arg, &ev);
		out++;
	}
	/* Release: the slots are copied before the guest may reuse them. */
	__atomic_store_n(&r->hdr->cons, r->cons, __ATOMIC_RELEASE);
	return out;
}

/* ---- the VMM's channel ---- */

/*
 * 2 ms: the default ring (16K slots) holds ~2 s of guest faults (each costs
 * over 100 us of emulated kernel code), and ~90 ms even at the native
 * first-touch rate (5.4 us).
 */
#define DRAIN_PERIOD_NS 2000000
#define MSR_IA32_TSC	0x10

struct evchan {
	struct vm *vm;
	struct evring *ring;
	gpa_t gpa;
	uint64_t slot_bytes;
	struct ev_writer *w;
	bool chains;
	uint64_t tsc_hz;
	pthread_mutex_t lock; /* one drain at a time: the thread or the vCPU thread */
	pthread_cond_t cond;
	pthread_t thread;
	bool thread_on, stop;
	uint64_t reported_lost; /* guest_full + malformed already in EV_DROPPED records */
	uint64_t nr_chains, chain_failures, write_errors;
};

static uint32_t shift_of(uint64_t bytes)
{
	return (uint32_t)__builtin_ctzll(bytes);
}

/*
 * The four spaces of a guest fault's address, from the drain thread while
 * the vCPU runs: the VMM's guest walk (vm__walk_cr3: the paging mode
 * captured at start, every table checked against guest RAM) from the
 * event's CR3, checked as the faulting access's mode would read, then the
 * slot and pagemap. The vCPU is not stopped, so KVM_TRANSLATE is not asked;
 * the guest may also have changed the mapping since the event, which the
 * chain then shows.
 */
static int chain_resolve(struct evchan *c, const struct ev_guest_fault *f, struct ev_vmm_chain *ch)
{
	unsigned acc = f->error_code & PF_ERR_U ? WALK_ACC_USER : 0;
	struct vm_chain vc;
	int ret;

	memset(ch, 0, sizeof(*ch));
	ch->gva = f->cr2;
	ch->cr3 = f->cr3;
	ch->host_shift = shift_of(vm_backing_page_size(c->vm->cfg.backing));
	ret = vm__walk_cr3(c->vm, &c->vm->paging, f->cr3, f->cr2, acc, &vc);
	if (ret)
		return ret;
	for (int i = 0; i < vc.nr_levels && i < (int)ARRAY_SIZE(ch->entry); i++)
		ch->entry[ch->levels++] = vc.level[i].entry;
	if (!vc.gva_mapped)
		return -ENOENT;
	ch->guest_shift = shift_of(vc.guest_page_size);
	ch->gpa = vc.gpa;
	vm__chain_host(c->vm, &vc);
	if (!vc.slot_size)
		return -EFAULT;
	ch->hva = vc.hva;
	ch->flags |= (vc.present ? EV_CHAIN_PRESENT : 0) | (vc.swapped ? EV_CHAIN_SWAPPED : 0) |
		     (vc.soft_dirty ? EV_CHAIN_SOFTDIRTY : 0) |
		     (vc.exclusive ? EV_CHAIN_EXCLUSIVE : 0);
	if (!vc.hpa_known)
		return 0; /* not touched yet, or PFNs hidden without CAP_SYS_ADMIN */
	ch->flags |= EV_CHAIN_HPA_KNOWN;
	ch->hpa = vc.hpa;
	ch->host_shift = shift_of(vc.host_page_size);
	return 0;
}

static void chan_sink(void *arg, const struct evring_event *ev)
{
	struct evchan *c = arg;
	struct ev_vmm_chain ch;

	if (c->w && ev_write(c->w, ev->type, 0, ev->tsc, &ev->body))
		c->write_errors++;
	if (!c->chains || ev->kind != MV_EV_FAULT)
		return;
	if (chain_resolve(c, &ev->body.fault, &ch))
		c->chain_failures++;
	c->nr_chains++;
	if (c->w && ev_write(c->w, &ev_type_vmm_chain, 0, now_ns(), &ch))
		c->write_errors++;
}

/* Drain with the lock held; lost records go to the file as EV_DROPPED. */
static void chan_drain_locked(struct evchan *c)
{
	const struct evring_stats *s;
	uint64_t lost;

	evring__drain(c->ring, chan_sink, c);
	s = evring__stats(c->ring);
	lost = s->guest_full + s->malformed;
	if (lost != c->reported_lost && c->w &&
	    ev_write_dropped(c->w, EV_SRC_GUEST, lost - c->reported_lost))
		c->write_errors++;
	c->reported_lost = lost;
}

static void *chan_thread(void *arg)
{
	struct evchan *c = arg;
	struct timespec ts;

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += DRAIN_PERIOD_NS;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->cond, &c->lock, &ts);
		if (!c->stop)
			chan_drain_locked(c);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int evchan_setup(struct vm *vm, char *err, size_t errlen)
{
	uint64_t slots = vm->cfg.ev_ring_bytes, total = slots + MV_EVRING_HDR;
	struct mv_boot_info *bi = vm__gpa_to_hva(vm, vm->boot_info_gpa, sizeof(*bi));
	struct evchan *c;
	pthread_condattr_t ca;

	if (!slots)
		return 0;
	if (slots < VM_EV_RING_MIN_BYTES || slots > VM_EV_RING_MAX_BYTES || (slots & (slots - 1))) {
		snprintf(err, errlen, "--ring-size must be a power of two between 4K and 256M");
		return -EINVAL;
	}
	if (!bi || total > vm->mem_size || vm->mem_size - total < bi->pool_start) {
		snprintf(err, errlen,
			 "guest memory %llu MiB has no room for a %llu KiB event ring: use a "
			 "smaller --ring-size or a larger --mem",
			 (unsigned long long)(vm->mem_size >> 20),
			 (unsigned long long)(slots >> 10));
		return -ENOMEM;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->vm = vm;
	c->gpa = vm->mem_size - total;
	c->slot_bytes = slots;
	c->w = vm->cfg.events;
	c->chains = vm->cfg.ev_chains;
	c->ring = evring__new(vm__gpa_to_hva(vm, c->gpa, total), slots, vm->mem_size);
	if (!c->ring) {
		free(c);
		snprintf(err, errlen, "cannot set up the event ring: %s", strerror(errno));
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	/* The ring is carved off the end of the frame pool. */
	bi->pool_end = c->gpa;
	bi->ev_ring = MV_DIRECT_BASE + c->gpa;
	bi->ev_mask = slots / MV_EV_SIZE - 1;
	vm->evchan = c;
	return 0;
}

/* Guest TSC against CLOCK_MONOTONIC, read while the vCPU is stopped. */
static void chan_clock(struct evchan *c)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = {.h.nmsrs = 1, .e.index = MSR_IA32_TSC};
	uint64_t t0 = now_ns(), t1;

	if (ioctl(c->vm->vcpu_fd, KVM_GET_MSRS, &m) != 1)
		return;
	t1 = now_ns();
	if (ev_write_clock(c->w, m.e.data, t0 + (t1 - t0) / 2, c->tsc_hz))
		c->write_errors++;
}

void evchan_start(struct vm *vm)
{
	struct evchan *c = vm->evchan;
	int khz;

	if (!c)
		return;
	khz = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
	c->tsc_hz = khz > 0 ? (uint64_t)khz * 1000 : 0;
	if (c->w) {
		struct ev_vmm_memslot ms = {
			.gpa = 0, .size = vm->mem_size, .hva = (uint64_t)(uintptr_t)vm->mem};

		if (ev_write(c->w, &ev_type_vmm_memslot, 0, now_ns(), &ms))
			c->write_errors++;
		chan_clock(c);
	}
	c->stop = false;
	c->thread_on = pthread_create(&c->thread, NULL, chan_thread, c) == 0;
}

void evchan_sync(struct vm *vm)
{
	struct evchan *c = vm->evchan;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	chan_drain_locked(c);
	pthread_mutex_unlock(&c->lock);
}

void evchan_stop(struct vm *vm, struct vm_result *res)
{
	struct evchan *c = vm->evchan;
	const struct evring_stats *s;
	struct vm_events *e = &res->ev;

	if (!c)
		return;
	if (c->thread_on) {
		pthread_mutex_lock(&c->lock);
		c->stop = true;
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->thread, NULL);
		c->thread_on = false;
	}
	evchan_sync(vm); /* what the guest published after the last periodic drain */
	if (c->w)
		chan_clock(c);
	s = evring__stats(c->ring);
	e->enabled = true;
	e->ring_gpa = c->gpa;
	e->ring_bytes = c->slot_bytes;
	memcpy(e->records, s->records, sizeof(e->records));
	e->accepted = s->accepted;
	e->guest_full = s->guest_full;
	e->malformed = s->malformed;
	e->resyncs = s->resyncs;
	e->drains = s->drains;
	e->chains = c->nr_chains;
	e->chain_failures = c->chain_failures;
	e->write_errors = c->write_errors;
}

void evchan_free(struct vm *vm)
{
	struct evchan *c = vm->evchan;

	if (!c)
		return;
	if (c->thread_on) {
		pthread_mutex_lock(&c->lock);
		c->stop = true;
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->thread, NULL);
	}
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	evring__free(c->ring);
	free(c);
	vm->evchan = NULL;
}
