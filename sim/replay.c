// SPDX-License-Identifier: GPL-2.0
/*
 * A run replayed whole: the workload's generator (the traced build of workloads/gen.c) makes
 * every access the guest program made, and the run's event file supplies, in order, what the
 * guest kernel did between them: its mappings, the frames its faults chose, unmaps, flushes
 * and address-space switches. The two are kept in step: the generator's map and unmap wait for
 * the kernel's records of them, an access the current tables do not map waits for the guest
 * fault the kernel logged for it (same page, or the replay stops with the offset), a pingpong
 * process runs its round once the kernel has switched to its address space. A guest fault
 * outside the workload's data (its stack, say) is replayed where it falls: the mapping and the
 * faulting access.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim/internal.h"
#include "trace/evfile.h"
#include "workloads/abi.h"
#include "workloads/workload.h"

#define REPLAY_MAX_REGIONS 64

/* One of the workload's data mappings: the generator's host buffer and the guest's range. */
struct region {
	char *host;
	uint64_t len;
	gva_t gva;
	uint64_t cr3;
};

enum want { WANT_FAULT, WANT_MAP, WANT_UNMAP, WANT_SWITCH, WANT_END };

/*
 * The synthetic guest OS (no event file): what the memvirt guest kernel does for churn and
 * pingpong, made up as the workload goes: mappings at increasing addresses per address space,
 * demand faults taking freed frames first, munmap's stores, flushes and discards, and the
 * switches of pingpong's driver.
 */
struct synth {
	uint64_t cr3, driver_cr3;
	gva_t next_va[MV_MAX_PROCS];
	unsigned as; /* the current address space's index */
	gpa_t next_frame;
	gpa_t *free; /* freed frames, taken from free[head] on (oldest first) */
	unsigned head, nfree, cap;
};

struct replay {
	struct machine *m;
	bool synthetic; /* no file: the synthetic guest OS */
	struct synth os;
	struct ev_reader *r;
	const char *path;
	struct sim_input_stats *st;
	struct ev_update_type upd[UPD_N];
	struct ev_discards d;
	const struct ev_rtype *tfault, *tslot;
	int f_cr2, f_gpa, f_err, f_shift, f_cr3;
	int f_sgpa, f_ssize, f_shva;
	struct region reg[REPLAY_MAX_REGIONS];
	unsigned nreg, last;
	/* what the last record waited for held */
	uint64_t va, len, cr3, gpa, err_code;
	unsigned shift;
	uint64_t ring_records; /* guest records so far: the slot the next one was written to */
	/* the last page found mapped, valid while the machine's xgen is unchanged */
	gva_t mapped_page;
	uint64_t mapped_gen;
	int rc;
	char *err;
	size_t errlen;
};

static void replay_fail(struct replay *rp, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void replay_fail(struct replay *rp, int rc, const char *fmt, ...)
{
	va_list ap;

	if (rp->rc)
		return;
	rp->rc = rc;
	va_start(ap, fmt);
	vsnprintf(rp->err, rp->errlen, fmt, ap);
	va_end(ap);
}

static const char *want_name(enum want w)
{
	static const char *const n[] = {"a guest fault", "a mapping", "an unmap",
					"a switch of address space", "the end"};

	return n[w];
}

static struct region *region_of_gva(struct replay *rp, uint64_t cr3, gva_t va)
{
	for (unsigned i = 0; i < rp->nreg; i++) {
		struct region *g = &rp->reg[i];

		if (g->cr3 == cr3 && va - g->gva < g->len)
			return g;
	}
	return NULL;
}

/*
 * A guest fault outside the workload's data: the kernel's mapping at the frame it chose
 * and the access that faulted.
 */
static int replay_other_fault(struct replay *rp)
{
	struct machine *m = rp->m;
	enum page_size ps = rp->shift == 30 ? PAGE_1G : rp->shift == 21 ? PAGE_2M : PAGE_4K;
	int rc = 0;

	if (!machine__guest_mapped(m, rp->va, NULL))
		rc = machine__fault_map_at(m, rp->va, SIM_DATA_BASE + rp->gpa, ps);
	if (!rc)
		machine__access(m, rp->va, rp->err_code & PF_ERR_W);
	return rc;
}

/*
 * The kernel's write of one record into the event ring (workloads/abi.h): its slot, then the
 * header's producer index, through the kernel's direct map.
 */
static int replay_ring_write(struct replay *rp)
{
	const struct sim_machine_config *c = rp->m->c;
	uint64_t slots = c->ev_ring_bytes / MV_EV_SIZE;
	gpa_t ring = SIM_DATA_BASE + c->ev_ring_gpa;
	int rc;

	if (!c->ev_ring_bytes || slots & (slots - 1))
		return 0;
	rc = machine__kernel_write(rp->m, ring + MV_EVRING_HDR +
						  (rp->ring_records++ & (slots - 1)) * MV_EV_SIZE);
	return rc ? rc : machine__kernel_write(rp->m, ring + offsetof(struct mv_evring, prod));
}

/*
 * Read records, replaying each, up to the one @w waits for (a switch to @cr3 for
 * WANT_SWITCH); its fields are left in rp. 0, or -errno with the message set.
 */
static int replay_until(struct replay *rp, enum want w, uint64_t cr3)
{
	struct ev_record rec;
	int rc;

	if (rp->rc)
		return rp->rc;
	while ((rc = ev_read(rp->r, &rec)) > 0) {
		enum ev_update k;

		rp->st->records++;
		if (rec.source == EV_SRC_GUEST && (rc = replay_ring_write(rp))) {
			replay_fail(rp, rc, "%s: offset %" PRIu64 ": the event ring's write: %s",
				    rp->path, rec.offset, strerror(-rc));
			return rp->rc;
		}
		if (!rp->tfault && (rp->tfault = ev_reader_type(rp->r, "guest_fault"))) {
			rp->f_cr2 = ev_field_index(rp->tfault, "cr2");
			rp->f_gpa = ev_field_index(rp->tfault, "gpa");
			rp->f_err = ev_field_index(rp->tfault, "error_code");
			rp->f_shift = ev_field_index(rp->tfault, "page_shift");
			rp->f_cr3 = ev_field_index(rp->tfault, "cr3");
			if (rp->f_cr2 < 0 || rp->f_gpa < 0 || rp->f_err < 0 || rp->f_cr3 < 0) {
				replay_fail(rp, -EINVAL, "%s: guest_fault records lack fields",
					    rp->path);
				return rp->rc;
			}
		}
		if (rp->tfault && rec.type == rp->tfault) {
			rp->st->guest_faults++;
			rp->va = ev_field_u64(&rec, rp->f_cr2, 0);
			rp->gpa = ev_field_u64(&rec, rp->f_gpa, 0);
			rp->err_code = ev_field_u64(&rec, rp->f_err, 0);
			rp->cr3 = ev_field_u64(&rec, rp->f_cr3, 0) & PTE_ADDR_MASK;
			rp->shift = rp->f_shift >= 0 ? (unsigned)ev_field_u64(&rec, rp->f_shift, 0)
						     : X86_PAGE_SHIFT;
			if (rp->shift != 12 && rp->shift != 21 && rp->shift != 30) {
				replay_fail(rp, -EINVAL, "%s: offset %" PRIu64 ": page_shift %u",
					    rp->path, rec.offset, rp->shift);
				return rp->rc;
			}
			rc = ev_discard_apply(rp->m, &rp->d);
			if (rc) {
				replay_fail(rp, rc, "%s: offset %" PRIu64 ": discards: %s",
					    rp->path, rec.offset, strerror(-rc));
				return rp->rc;
			}
			if (region_of_gva(rp, rp->cr3, rp->va)) {
				if (w == WANT_FAULT)
					return 0;
				replay_fail(rp, -EINVAL,
					    "%s: offset %" PRIu64 ": a guest fault at 0x%" PRIx64
					    " in the workload's data where the workload makes %s",
					    rp->path, rec.offset, rp->va, want_name(w));
				return rp->rc;
			}
			rc = replay_other_fault(rp);
			if (rc) {
				replay_fail(rp, rc,
					    "%s: offset %" PRIu64 ": guest fault at 0x%" PRIx64
					    ": %s",
					    rp->path, rec.offset, rp->va, strerror(-rc));
				return rp->rc;
			}
			continue;
		}
		if (!rp->tslot && (rp->tslot = ev_reader_type(rp->r, "vmm_memslot"))) {
			rp->f_sgpa = ev_field_index(rp->tslot, "gpa");
			rp->f_ssize = ev_field_index(rp->tslot, "size");
			rp->f_shva = ev_field_index(rp->tslot, "hva");
		}
		if (rp->tslot && rec.type == rp->tslot && !rp->m->slot_known && rp->f_sgpa >= 0 &&
		    rp->f_ssize >= 0 && rp->f_shva >= 0) {
			/* the memslot: where guest RAM lies in the VMM (host_thp's alignment) */
			rp->m->slot_known = true;
			rp->m->slot_gpa = ev_field_u64(&rec, rp->f_sgpa, 0);
			rp->m->slot_size = ev_field_u64(&rec, rp->f_ssize, 0);
			rp->m->slot_hva = ev_field_u64(&rec, rp->f_shva, 0);
		}
		k = ev_update_of(rp->r, &rec, rp->upd);
		if (k == UPD_N) {
			rp->st->other++;
			continue;
		}
		rp->st->replayed++;
		rc = ev_replay(rp->m, &rec, &rp->upd[k], k, &rp->d);
		if (rc) {
			replay_fail(rp, rc, "%s: offset %" PRIu64 ": replaying %s: %s", rp->path,
				    rec.offset, rp->upd[k].type, strerror(-rc));
			return rp->rc;
		}
		if ((k == UPD_MAP && w == WANT_MAP) || (k == UPD_UNMAP && w == WANT_UNMAP)) {
			const struct ev_update_type *u = &rp->upd[k];

			rp->va = u->fva >= 0 ? ev_field_u64(&rec, u->fva, 0) : 0;
			rp->len = u->flen >= 0 ? ev_field_u64(&rec, u->flen, 0) : 0;
			rp->cr3 = u->fcr3 >= 0 ? ev_field_u64(&rec, u->fcr3, 0) & PTE_ADDR_MASK : 0;
			return 0;
		}
		if (k == UPD_AS_SWITCH && w == WANT_SWITCH && rp->upd[k].fcr3 >= 0 &&
		    (ev_field_u64(&rec, rp->upd[k].fcr3, 0) & PTE_ADDR_MASK) == cr3)
			return 0;
	}
	if (rc < 0) {
		replay_fail(rp, -EINVAL, "%s: %s", rp->path, ev_reader_error(rp->r));
		return rp->rc;
	}
	rc = ev_discard_apply(rp->m, &rp->d);
	if (rc) {
		replay_fail(rp, rc, "%s: the last discards: %s", rp->path, strerror(-rc));
		return rp->rc;
	}
	if (w != WANT_END)
		replay_fail(rp, -EINVAL,
			    "%s: the file ends where the workload makes %s: not this workload's "
			    "run, or not with these parameters",
			    rp->path, want_name(w));
	return rp->rc;
}

/* A new region of @len bytes at the guest's mapping just read: the generator's host buffer. */
static char *region_new(struct replay *rp, uint64_t len)
{
	void *host;

	if (rp->nreg == REPLAY_MAX_REGIONS) {
		replay_fail(rp, -EINVAL, "%s: more than %d mappings live at once", rp->path,
			    REPLAY_MAX_REGIONS);
		return NULL;
	}
	host = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (host == MAP_FAILED) {
		replay_fail(rp, -ENOMEM, "workload buffer of %" PRIu64 " bytes: %s", len,
			    strerror(errno));
		return NULL;
	}
	rp->reg[rp->nreg++] = (struct region){host, len, rp->va, rp->cr3};
	return host;
}

/* The generator's mapping of @len bytes: the kernel's next mapping, of that size. */
static void *replay_map(void *ctx, uint64_t len, uint64_t page_size)
{
	struct replay *rp = ctx;

	(void)page_size;
	if (rp->synthetic) {
		uint64_t gsz = page_size_bytes(rp->m->c->gps);

		rp->va = rp->os.next_va[rp->os.as];
		rp->len = len;
		rp->cr3 = rp->os.cr3;
		rp->os.next_va[rp->os.as] += (len + gsz - 1) & ~(gsz - 1);
		return region_new(rp, len);
	}
	if (replay_until(rp, WANT_MAP, 0))
		return NULL;
	if (rp->len != len) {
		replay_fail(rp, -EINVAL,
			    "%s: the guest mapped %" PRIu64
			    " bytes where the workload maps %" PRIu64,
			    rp->path, rp->len, len);
		return NULL;
	}
	return region_new(rp, len);
}

static int synth_unmap(struct replay *rp, const struct region *g);

static int replay_unmap(void *ctx, void *addr, uint64_t len)
{
	struct replay *rp = ctx;

	for (unsigned i = 0; rp->synthetic && i < rp->nreg; i++)
		if (rp->reg[i].host == addr) {
			rp->va = rp->reg[i].gva;
			if (synth_unmap(rp, &rp->reg[i]))
				return -1;
		}
	if (!rp->synthetic && replay_until(rp, WANT_UNMAP, 0))
		return -1;
	for (unsigned i = 0; i < rp->nreg; i++) {
		struct region *g = &rp->reg[i];

		if (g->host != addr)
			continue;
		if (g->gva != rp->va || g->len != len) {
			replay_fail(rp, -EINVAL,
				    "%s: the guest unmapped 0x%" PRIx64
				    " where the workload unmaps "
				    "0x%" PRIx64,
				    rp->path, rp->va, g->gva);
			return -1;
		}
		munmap(g->host, g->len);
		*g = rp->reg[--rp->nreg];
		rp->last = 0;
		return 0;
	}
	replay_fail(rp, -EINVAL, "workload unmapped a buffer it did not map");
	return -1;
}

/* The synthetic kernel's frame for a fault: a freed one first, else the next never used. */
static int synth_fault(struct replay *rp, gva_t va)
{
	struct machine *m = rp->m;
	enum page_size ps = m->c->gps;
	uint64_t gsz = page_size_bytes(ps);
	gpa_t frame;
	int rc;

	if (rp->os.head < rp->os.nfree) {
		frame = rp->os.free[rp->os.head++];
		if (rp->os.head == rp->os.nfree)
			rp->os.head = rp->os.nfree = 0;
	} else {
		frame = rp->os.next_frame;
		rp->os.next_frame += gsz;
	}
	rp->st->guest_faults++;
	rc = machine__fault_map_at(m, va, SIM_DATA_BASE + frame, ps);
	if (rc)
		replay_fail(rp, rc, "guest fault at 0x%" PRIx64 ": %s", va, strerror(-rc));
	return rc;
}

/*
 * The synthetic kernel's munmap (workloads/kernel/mm.c): each present leaf cleared and its
 * frame freed; one INVLPG a page up to FLUSH_CEILING pages, else a CR3 reload; then the
 * frames discarded.
 */
static int synth_unmap(struct replay *rp, const struct region *g)
{
	struct machine *m = rp->m;
	uint64_t gsz = page_size_bytes(m->c->gps), size;
	gva_t next;
	gpa_t pa;
	int rc = 0;

	for (gva_t va = g->gva; va < g->gva + g->len && !rc; va = next) {
		rc = machine__set_leaf(m, va, true, 0, 0, &next, &pa, &size);
		if (rc == 1) {
			rc = ev_discard_add(&rp->d, pa, size);
			if (!rc && rp->os.nfree == rp->os.cap && rp->os.head) {
				/* the taken ones leave room at the front: close the gap once */
				rp->os.nfree -= rp->os.head;
				memmove(rp->os.free, rp->os.free + rp->os.head,
					rp->os.nfree * sizeof(*rp->os.free));
				rp->os.head = 0;
			}
			if (!rc && rp->os.nfree == rp->os.cap) {
				unsigned cap = rp->os.cap ? 2 * rp->os.cap : 256;
				gpa_t *v = realloc(rp->os.free, cap * sizeof(*v));

				rc = v ? 0 : -ENOMEM;
				if (v) {
					rp->os.free = v;
					rp->os.cap = cap;
				}
			}
			if (!rc)
				rp->os.free[rp->os.nfree++] = pa - SIM_DATA_BASE;
		}
		if (next <= va)
			break;
	}
	rp->st->replayed++;
	if (!rc && (g->len + gsz - 1) / gsz > SIM_GUEST_FLUSH_CEILING) {
		rc = machine__cr3_load(m, rp->os.cr3);
	} else {
		for (gva_t va = g->gva; va < g->gva + g->len && !rc; va += gsz)
			rc = machine__invlpg(m, va);
	}
	if (!rc)
		rc = ev_discard_apply(m, &rp->d);
	if (rc)
		replay_fail(rp, rc, "unmapping 0x%" PRIx64 ": %s", g->gva, strerror(-rc));
	return rc;
}

/* The synthetic kernel switches to address space @as (a CR3 load). */
static int synth_switch(struct replay *rp, unsigned as)
{
	int rc;

	rp->os.as = as;
	rp->os.cr3 = SIM_SYNTH_CR3(as);
	rp->st->replayed++;
	rc = machine__cr3_load(rp->m, rp->os.cr3);
	if (rc)
		replay_fail(rp, rc, "switching address space: %s", strerror(-rc));
	return rc;
}

/*
 * One access of the generator: a page the current tables do not map waits for the guest's
 * fault on it, mapped at the frame the kernel chose; then the access.
 */
static void replay_trace(void *ctx, const void *addr, int is_write)
{
	struct replay *rp = ctx;
	struct machine *m = rp->m;
	struct region *g = rp->nreg ? &rp->reg[rp->last < rp->nreg ? rp->last : 0] : NULL;
	enum page_size ps;
	gva_t va;
	int rc;

	if (rp->rc)
		return;
	if (!g || (const char *)addr - g->host >= (ptrdiff_t)g->len ||
	    (const char *)addr < g->host) {
		g = NULL;
		for (unsigned i = 0; i < rp->nreg && !g; i++)
			if ((const char *)addr >= rp->reg[i].host &&
			    (const char *)addr - rp->reg[i].host < (ptrdiff_t)rp->reg[i].len) {
				g = &rp->reg[i];
				rp->last = i;
			}
		if (!g) {
			replay_fail(rp, -EINVAL, "workload accessed memory it did not map");
			return;
		}
	}
	va = g->gva + (uint64_t)((const char *)addr - g->host);
	rp->st->accesses++;
	if (!(rp->mapped_gen == m->xgen && rp->mapped_page == (va >> X86_PAGE_SHIFT))) {
		if (!machine__guest_mapped(m, va, NULL) && rp->synthetic) {
			if (synth_fault(rp, va))
				return;
		} else if (!machine__guest_mapped(m, va, NULL)) {
			if (replay_until(rp, WANT_FAULT, 0))
				return;
			if ((rp->va ^ va) >> rp->shift) {
				replay_fail(rp, -EINVAL,
					    "%s: the guest faulted at 0x%" PRIx64
					    " where the workload accesses 0x%" PRIx64,
					    rp->path, rp->va, va);
				return;
			}
			ps = rp->shift == 30 ? PAGE_1G : rp->shift == 21 ? PAGE_2M : PAGE_4K;
			rc = machine__fault_map_at(m, va, SIM_DATA_BASE + rp->gpa, ps);
			if (rc) {
				replay_fail(rp, rc,
					    "mapping 0x%" PRIx64 " at GPA 0x%" PRIx64 ": %s", va,
					    rp->gpa, strerror(-rc));
				return;
			}
		}
		rp->mapped_page = va >> X86_PAGE_SHIFT;
		rp->mapped_gen = m->xgen;
	}
	machine__access(m, va, is_write != 0);
}

/* The data buffer of every workload but churn and pingpong: as wl_map_data maps it. */
static char *replay_map_data(struct replay *rp, const struct wl_params *p)
{
	uint64_t big = wl_mixed_2m_bytes(p->footprint);
	gva_t first;

	if (p->page_size != WL_PAGE_MIXED || big == p->footprint)
		return replay_map(rp, p->footprint, p->page_size);
	/* a 2M mapping, then the 4K tail right after it */
	if (replay_until(rp, WANT_MAP, 0))
		return NULL;
	first = rp->va;
	if (rp->len != big || replay_until(rp, WANT_MAP, 0))
		goto bad;
	if (rp->va != first + big || rp->len != p->footprint - big)
		goto bad;
	rp->va = first;
	return region_new(rp, p->footprint);
bad:
	replay_fail(rp, -EINVAL, "%s: the guest's mappings are not a mixed footprint of %" PRIu64,
		    rp->path, p->footprint);
	return NULL;
}

/* Pingpong as its driver runs it: each process's round once the kernel switched to it. */
static int replay_pingpong(struct replay *rp, const struct wl_params *p, struct wl_env *env)
{
	struct {
		char *buf;
		uint64_t cr3;
	} proc[MV_MAX_PROCS] = {{0}};

	if (p->nproc < 1 || p->nproc >= MV_MAX_PROCS)
		return -EINVAL;
	/* the synthetic kernel: the driver spawns the processes, then switches to each in turn */
	for (uint32_t i = 1; rp->synthetic && i <= p->nproc && !rp->rc; i++) {
		int rc = machine__as_seen(rp->m, SIM_SYNTH_CR3(i));

		if (rc)
			replay_fail(rp, rc, "creating address space %u: %s", i, strerror(-rc));
	}
	for (uint64_t round = 0; round < p->iters && !rp->rc; round++) {
		for (uint32_t i = 1; i <= p->nproc && !rp->rc; i++) {
			if (rp->synthetic) {
				if (synth_switch(rp, i))
					break;
				if (!proc[i].buf)
					proc[i].buf = replay_map_data(rp, p);
				if (!rp->rc)
					wl_pingpong_round_traced(p, i, round, proc[i].buf, env);
				if (!rp->rc)
					synth_switch(rp, 0);
				continue;
			}
			if (!proc[i].buf) {
				proc[i].buf = replay_map_data(rp, p);
				proc[i].cr3 = rp->cr3;
			} else {
				replay_until(rp, WANT_SWITCH, proc[i].cr3);
			}
			if (!rp->rc)
				wl_pingpong_round_traced(p, i, round, proc[i].buf, env);
		}
	}
	return rp->rc;
}

/* Run churn or pingpong on the synthetic guest OS. */
int sim_input_guest_os(struct machine *m, struct sim_input_stats *st, char *err, size_t errlen)
{
	const struct wl_params *p = &m->c->wl;
	struct replay rp = {
		.m = m, .synthetic = true, .path = "", .st = st, .err = err, .errlen = errlen};
	struct wl_env env = {
		.ctx = &rp, .map = replay_map, .unmap = replay_unmap, .trace = replay_trace};
	struct wl_result res;
	int rc;

	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < MV_MAX_PROCS; i++)
		rp.os.next_va[i] = SIM_GUEST_BASE;
	rp.os.cr3 = rp.os.driver_cr3 = SIM_SYNTH_CR3(0);
	rc = machine__as_seen(m, rp.os.cr3); /* the first address space: the machine's root */
	if (rc) {
		snprintf(err, errlen, "the first address space: %s", strerror(-rc));
		return rc;
	}
	if (p->kind == WL_PINGPONG)
		replay_pingpong(&rp, p, &env);
	else if (wl_run_traced(p, NULL, &env, &res) && !rp.rc)
		replay_fail(&rp, -EINVAL, "workload %s failed", wl_name(p->kind));
	for (unsigned i = 0; i < rp.nreg; i++)
		munmap(rp.reg[i].host, rp.reg[i].len);
	free(rp.d.v);
	free(rp.os.free);
	return rp.rc;
}

int sim_input_replay(struct machine *m, const char *path, struct sim_input_stats *st, char *err,
		     size_t errlen)
{
	const struct wl_params *p = &m->c->wl;
	struct replay rp = {.m = m, .path = path, .st = st, .err = err, .errlen = errlen};
	struct wl_env env = {
		.ctx = &rp, .map = replay_map, .unmap = replay_unmap, .trace = replay_trace};
	struct wl_result res;
	int rc;

	memset(st, 0, sizeof(*st));
	ev_update_types_init(rp.upd);
	rc = ev_reader_open(&rp.r, path);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path,
			 rc == -EINVAL && rp.r ? ev_reader_error(rp.r) : strerror(-rc));
		ev_reader_close(rp.r);
		return rc == -EINVAL ? -EINVAL : rc;
	}
	if (p->kind == WL_NOP) {
		/* no data: the guest's own faults and records only */
	} else if (p->kind == WL_CRASH || p->kind >= WL__COUNT || p->populate) {
		replay_fail(&rp, -EINVAL, "workload %s%s is not replayable access by access",
			    wl_name(p->kind), p->populate ? " with --populate" : "");
	} else if (p->kind == WL_PINGPONG) {
		replay_pingpong(&rp, p, &env);
	} else {
		char *buf = p->kind == WL_CHURN ? NULL : replay_map_data(&rp, p);

		if (!rp.rc && wl_run_traced(p, buf, &env, &res) && !rp.rc)
			replay_fail(&rp, -EINVAL, "workload %s failed", wl_name(p->kind));
	}
	replay_until(&rp, WANT_END, 0);
	for (unsigned i = 0; i < rp.nreg; i++)
		munmap(rp.reg[i].host, rp.reg[i].len);
	free(rp.d.v);
	ev_reader_close(rp.r);
	return rp.rc;
}
