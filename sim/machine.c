// SPDX-License-Identifier: GPL-2.0
/* The simulated machine: guest, host and shadow tables built on demand around mmu/'s simulator. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "common/instream.h"
#include "common/log.h"
#include "mmu/mmu.h"
#include "sim/internal.h"
#include "sim/sim.h"
#include "workloads/workload.h"

#define SIM_HOST_LIMIT (1ULL << 40)

/* A strong 64-bit mix (the murmur3 finalizer): region numbers differ in their low bits. */
static inline uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static struct page_region *page_set__slot(struct page_set *s, uint64_t key)
{
	size_t i = hash64(key) & (s->cap - 1);

	while (s->slot[i].key && s->slot[i].key != key)
		i = (i + 1) & (s->cap - 1);
	return &s->slot[i];
}

static int page_set__grow(struct page_set *s)
{
	struct page_set n = {.cap = s->cap ? s->cap * 2 : 256, .n = s->n};

	n.slot = calloc(n.cap, sizeof(*n.slot));
	if (!n.slot)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i].key)
			*page_set__slot(&n, s->slot[i].key) = s->slot[i];
	free(s->slot);
	*s = n;
	return 0;
}

/*
 * Add page @pn: 1 new, 0 present, -ENOMEM. The set is a hash of regions of PAGE_SET_BITS
 * pages, each a bitmap: a random trace over a large footprint looks up a table 500 times
 * smaller than one of pages (it stays in the caches), and a run of accesses in one region
 * finds it again without hashing.
 */
static int page_set__add(struct page_set *s, uint64_t pn)
{
	uint64_t key = (pn / PAGE_SET_BITS) + 1, bit = pn % PAGE_SET_BITS;
	struct page_region *r = s->last;

	if (!r || r->key != key) {
		if ((s->n + 1) * 2 > s->cap && page_set__grow(s))
			return -ENOMEM;
		r = page_set__slot(s, key);
		if (!r->key) {
			r->key = key;
			s->n++;
		}
		s->last = r;
	}
	if (r->bits[bit / 64] & (1ULL << (bit % 64)))
		return 0;
	r->bits[bit / 64] |= 1ULL << (bit % 64);
	return 1;
}

/* Simulate the pending accesses; done before any table changes, so the order is kept. */
void machine__flush(struct machine *m)
{
	if (m->nbatch)
		sim__access_batch(m->sim, m->batch, m->nbatch);
	m->nbatch = 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/*
 * Every entry the machine adds to a table: a user, writable leaf of @ps
 * from @va to @pa, tables created on the way. The one place that calls the
 * table builder.
 */
int machine_map(struct ptmem *mem, uint64_t root, uint64_t va, uint64_t pa, enum page_size ps,
		unsigned levels)
{
	return pt__map(mem, root, va, pa, ps, PTE_RW | PTE_US, levels);
}

/* Nested mode: back GPAs [*end, gpa_end) with host pages. */
int machine__host_cover(struct machine *m, gpa_t *end, gpa_t gpa_end)
{
	uint64_t hsz = page_size_bytes(m->c->hps);
	int err;

	if (m->mode != PAGING_NESTED)
		return 0;
	while (*end < gpa_end) {
		err = machine_map(m->host, m->hroot, *end, *end + SIM_HOST_OFFSET, m->c->hps,
				  m->c->cfg.host_levels);
		if (err)
			return err;
		*end += hsz;
	}
	return 0;
}

/* What -ENOSPC from mapping means: the shadow-mode table limit once it is reached, else the
 * limits of the guest-physical space. */
const char *machine__full_msg(const struct machine *m)
{
	if (m->mode == PAGING_SHADOW && m->next_table + X86_PAGE_SIZE > SIM_DATA_BASE)
		return SIM_FULL_SHADOW_MSG;
	return SIM_FULL_MSG;
}

/* Guest table frames: bump allocated, and backed by the host in nested mode. */
static int machine_alloc_table(void *ctx, uint64_t *pa)
{
	struct machine *m = ctx;
	gpa_t *covered = &m->host_table_end;

	/*
	 * [SIM_TABLE_BASE, SIM_DATA_BASE) full (a trace scattered over ~250,000 pages and more):
	 * go on at SIM_TABLE_HIGH_BASE, which data frames must not reach. Not in shadow mode,
	 * whose guest direct map (the way its kernel writes tables) covers the first GiB.
	 */
	if (m->next_table + X86_PAGE_SIZE > SIM_DATA_BASE && m->next_table < SIM_TABLE_HIGH_BASE) {
		if (m->mode == PAGING_SHADOW || m->next_data > SIM_TABLE_HIGH_BASE)
			return -ENOSPC;
		m->next_table = m->host_table_hi_end = SIM_TABLE_HIGH_BASE;
	}
	if (m->next_table >= SIM_TABLE_HIGH_BASE) {
		if (m->next_table + X86_PAGE_SIZE > SIM_GUEST_LIMIT)
			return -ENOSPC;
		covered = &m->host_table_hi_end;
	}
	*pa = m->next_table;
	m->next_table += X86_PAGE_SIZE;
	/* the guest kernel writes its new table: its host page, and a TDP fault when nested */
	machine__host_written(m, *pa >> X86_PAGE_SHIFT);
	if (m->mode == PAGING_NESTED)
		machine__tdp_access(m, *pa >> X86_PAGE_SHIFT, true);
	return machine__host_cover(m, covered, *pa + X86_PAGE_SIZE);
}

/*
 * Map guest pages [gva, gva + len) to the next data frames. In shadow mode each entry the
 * guest writes goes through the shadow MMU model (machine__spt_map).
 */
static int machine__map_guest(struct machine *m, gva_t gva, uint64_t len)
{
	uint64_t gsz = page_size_bytes(m->c->gps);
	gpa_t gpa = m->next_data;
	int err;

	len = align_up(len, gsz);
	if (m->next_table >= SIM_TABLE_HIGH_BASE && gpa + len > SIM_TABLE_HIGH_BASE)
		return -ENOSPC; /* data frames would reach the second table area */
	for (uint64_t off = 0; off < len; off += gsz) {
		if (m->spt)
			err = machine__spt_map(m, gva + off, gpa + off, m->c->gps);
		else
			err = machine_map(m->guest, m->groot, gva + off, gpa + off, m->c->gps,
					  m->c->cfg.levels);
		if (err)
			return err;
	}
	m->next_data += len;
	return machine__host_cover(m, &m->host_data_end, m->next_data);
}

/*
 * A run: the guest's tables from the snapshot (at their GPAs, root from CR3),
 * and in nested mode host pages over all of guest RAM, as for synthetic runs.
 */
static int machine__load_run(struct machine *m)
{
	uint64_t mem_end;
	char err[512];
	int rc = sim_run_load(m->c->in_path, m->guest, &m->snap, &mem_end, err, sizeof(err));

	if (rc) {
		pr_err("%s\n", err);
		return rc;
	}
	m->groot = m->snap.cr3 & PTE_ADDR_MASK & ((1ULL << m->snap.maxphyaddr) - 1);
	m->data_gva = m->snap.data_gva;
	m->ram_end = mem_end;
	m->host_data_end = 0;
	return machine__host_cover(m, &m->host_data_end, mem_end);
}

static int machine__init(struct machine *m, const struct sim_machine_config *c,
			 enum paging_mode mode)
{
	struct sim_tables t = {0};
	int err;

	m->c = c;
	m->mode = mode;
	m->phase = WL_PHASE_MEASURED; /* an input without phases is measured whole */
	m->warm_left = c->warmup;
	m->next_table = SIM_TABLE_BASE;
	m->next_data = SIM_DATA_BASE;
	m->host_data_end = SIM_DATA_BASE;
	m->ram_end = SIM_GUEST_LIMIT;
	m->dm_size = 1ULL << 30;
	/* replay: the kernel's direct map reaches the run's frames, at SIM_DATA_BASE and up */
	if (c->input == SIM_IN_REPLAY && c->shadow_ram_bytes < (256ULL << 30))
		m->dm_size = (SIM_DATA_BASE + c->shadow_ram_bytes + (1ULL << 30) - 1) &
			     ~((1ULL << 30) - 1);
	m->guest = ptmem__new(SIM_GUEST_LIMIT, SIM_TABLE_BASE);
	m->host = ptmem__new(SIM_HOST_LIMIT, SIM_TABLE_BASE);
	if (!m->guest || !m->host)
		return -ENOMEM;
	if ((err = pt__new_root(m->host, &m->hroot)))
		return err;
	m->data_gva = SIM_GUEST_BASE;
	if (c->input == SIM_IN_RUN) {
		err = machine__load_run(m);
		if (err)
			return err;
	} else {
		if ((err = machine__host_init(m)))
			return err;
		/* the VMM wrote the event ring's header at set-up */
		if (c->ev_ring_bytes)
			machine__host_written(m,
					      (SIM_DATA_BASE + c->ev_ring_gpa) >> X86_PAGE_SHIFT);
		ptmem__set_alloc(m->guest, machine_alloc_table, m);
		if ((err = pt__new_root(m->guest, &m->groot)))
			return err;
	}

	t.mem = ptmem__mem(m->guest);
	t.root = m->groot;
	if (mode == PAGING_NESTED) {
		t.host_mem = ptmem__mem(m->host);
		t.host_root = m->hroot;
	} else if (mode == PAGING_SHADOW && (err = machine__spt_new(m, &t))) {
		return err;
	}
	m->sim = sim__new(&c->cfg, mode, &t);
	if (!m->sim)
		return -errno;
	if (c->sweep && (err = sim__set_sweep(m->sim, c->sweep)))
		return err;
	if (m->tdp_exits_pending &&
	    (err = sim__shadow_events(m->sim, SIM_SHADOW_PF_EXIT, m->tdp_exits_pending, 0)))
		return err;
	return m->spt ? machine__spt_start(m) : 0;
}

void machine__free(struct machine *m)
{
	if (!m)
		return;
	sim__free(m->sim);
	machine__spt_free(m);
	machine__host_free(m);
	ptmem__free(m->guest);
	ptmem__free(m->host);
	free(m->gpages.slot);
	free(m);
}

struct machine *machine__new(const struct sim_machine_config *c, enum paging_mode mode)
{
	struct machine *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return NULL;
	err = machine__init(m, c, mode);
	if (err) {
		machine__free(m);
		errno = -err;
		return NULL;
	}
	return m;
}

static void machine__progress(struct machine *m)
{
	struct sim_progress p = {.mode = m->mode};

	if (!m->c->progress || (++m->accesses & 0xffff))
		return;
	p.accesses = m->accesses;
	p.total = m->total;
	p.in_pos = m->in ? in_stream__raw_pos(m->in) : 0;
	p.in_size = m->in ? in_stream__raw_size(m->in) : 0;
	m->c->progress(m->c->progress_ctx, &p);
}

void machine__set_input(struct machine *m, const struct in_stream *s)
{
	m->in = s;
}

const char *machine__input_name(const struct machine *m, const char *path)
{
	return m->c->in_name ? m->c->in_name : path;
}

/*
 * The counters start again here; the machine keeps its state. Shadow mode's model keeps its
 * own counters: their values now are subtracted at the end (machine__finish).
 */
static void machine__counters_reset(struct machine *m)
{
	machine__flush(m);
	sim__reset_stats(m->sim);
	m->tdp = (struct sim_tdp_result){.pages_4k = m->tdp.pages_4k, .pages_2m = m->tdp.pages_2m};
	if (m->spt)
		machine__spt_result(m, &m->spt_base);
	m->roi.reset = true;
}

/* The shadow model's counters since the last reset; gauges as they are. */
static void machine__spt_since(struct machine *m, struct sim_shadow_result *r)
{
	const struct sim_shadow_result *b = &m->spt_base;
	const struct shadow_stat_desc *d;
	size_t n;

	if (!m->roi.reset)
		return;
	d = shadow_stat_table(&n);
	for (size_t i = 0; i < n; i++)
		if (!d[i].gauge)
			*(uint64_t *)((char *)&r->st + d[i].offset) -=
				*(const uint64_t *)((const char *)&b->st + d[i].offset);
	r->fault_exits -= b->fault_exits;
	r->guest_fault_exits -= b->guest_fault_exits;
	r->emulate_exits -= b->emulate_exits;
	r->cr3_exits -= b->cr3_exits;
	r->invlpg_exits -= b->invlpg_exits;
	r->syncs -= b->syncs;
	r->table_stores -= b->table_stores;
	r->fault_cycles -= b->fault_cycles;
	r->guest_fault_cycles -= b->guest_fault_cycles;
	r->emulate_cycles -= b->emulate_cycles;
	r->cr3_cycles -= b->cr3_cycles;
	r->invlpg_cycles -= b->invlpg_cycles;
	r->sync_cycles -= b->sync_cycles;
	r->total_cycles -= b->total_cycles;
}

/* A synthetic workload's phase changes (wl_env.phase): its measured region restarts the count. */
static void phase_cb(void *ctx, int phase)
{
	struct machine *m = ctx;

	if (phase == WL_PHASE_MEASURED && m->phase != WL_PHASE_MEASURED &&
	    m->c->roi == SIM_ROI_MEASURED)
		machine__counters_reset(m);
	m->phase = phase;
}

/*
 * Where an access falls: false when it is not simulated at all (a check after the region).
 * *warmed: it is the last warm-up access, after which the counters restart.
 */
static bool machine__roi_access(struct machine *m, bool *warmed)
{
	bool measured = m->c->roi == SIM_ROI_ALL || m->phase == WL_PHASE_MEASURED;

	*warmed = false;
	if (m->phase == WL_PHASE_SETUP)
		m->roi.setup++;
	if (m->phase == WL_PHASE_CHECK) {
		m->roi.check++;
		if (m->c->roi == SIM_ROI_MEASURED)
			return false;
	}
	if (measured && m->warm_left) {
		m->roi.warmup++;
		*warmed = --m->warm_left == 0;
	}
	return true;
}

void machine__access(struct machine *m, gva_t va, bool write)
{
	bool warmed;
	int err;

	machine__progress(m); /* every access, as wl_accesses counts them: even a check's */
	if (m->err || !machine__roi_access(m, &warmed))
		return;
	/* A non-canonical access faults (#GP) before any table is read: straight to the count. */
	if (!va_canonical(va, m->c->cfg.levels))
		goto queue;
	if (m->spt && (err = machine__spt_access(m, va, write))) {
		m->err = err;
		return;
	}
	/* nested, host_anon: the TDP entry of the page (the last page's, while nothing changed) */
	if (m->hstate && m->mode == PAGING_NESTED &&
	    !(m->tdp_memo_gen == m->xgen && m->tdp_memo_page == (va >> X86_PAGE_SHIFT) &&
	      (m->tdp_memo_write || !write))) {
		gpa_t gpa;

		if (va - m->lin_gva < m->lin_len)
			machine__tdp_access(m, (m->lin_gpa + (va - m->lin_gva)) >> X86_PAGE_SHIFT,
					    write);
		else if (machine__guest_mapped(m, va, &gpa))
			machine__tdp_access(m, gpa >> X86_PAGE_SHIFT, write);
		m->tdp_memo_page = va >> X86_PAGE_SHIFT;
		m->tdp_memo_gen = m->xgen;
		m->tdp_memo_write = write;
	}
queue:
	/* A fault is counted in the result. */
	m->batch[m->nbatch++] = (struct sim_req){va, WALK_ACC_USER | (write ? WALK_ACC_WRITE : 0)};
	if (m->nbatch == SIM_BATCH)
		machine__flush(m);
	if (warmed)
		machine__counters_reset(m);
}

static void trace_cb(void *ctx, const void *addr, int is_write)
{
	struct machine *m = ctx;

	machine__access(m, m->data_gva + (uint64_t)((const char *)addr - m->buf), is_write != 0);
}

/* Map the guest page of @va on its first touch (file inputs). */
int machine__demand_map(struct machine *m, gva_t va)
{
	uint64_t gsz = page_size_bytes(m->c->gps);
	int rc;

	/* No page to map: the access is a #GP, which the simulator counts (noncanonical). */
	if (!va_canonical(va, m->c->cfg.levels))
		return 0;
	rc = page_set__add(&m->gpages, va / gsz);
	if (rc <= 0)
		return rc;
	if (machine__in_direct_map(m, va))
		return -EADDRINUSE;
	machine__flush(m);
	if (m->spt && (rc = machine__spt_guest_fault(m, va)))
		return rc;
	return machine__map_guest(m, va & ~(gsz - 1), gsz);
}

/*
 * Event-file replay in shadow mode: the page of @va is mapped when the current address
 * space's tables do not map it (first touch, or touched again after an unmap).
 */
int machine__fault_map(struct machine *m, gva_t va)
{
	uint64_t gsz = page_size_bytes(m->c->gps);
	int rc;

	if (!va_canonical(va, m->c->cfg.levels))
		return 0;
	if (machine__in_direct_map(m, va))
		return -EADDRINUSE;
	if (machine__guest_mapped(m, va, NULL))
		return 0;
	machine__flush(m);
	rc = machine__spt_guest_fault(m, va);
	return rc ? rc : machine__map_guest(m, va & ~(gsz - 1), gsz);
}

/* Synthetic input: the workload's buffer mapped at SIM_GUEST_BASE, traced access by access. */
static int machine__run_workload(struct machine *m, struct sim_input_stats *st, char *err,
				 size_t errlen)
{
	const struct wl_params *p = &m->c->wl;
	uint64_t len =
		align_up(p->footprint ? p->footprint : X86_PAGE_SIZE, page_size_bytes(m->c->gps));
	struct wl_env env = {.ctx = m, .trace = trace_cb, .phase = phase_cb};
	struct wl_result r;
	void *buf;
	int rc;

	if (p->kind == WL_CHURN || p->kind == WL_PINGPONG)
		return sim_input_guest_os(m, st, err, errlen);
	if (m->c->input != SIM_IN_RUN) {
		m->lin_gva = SIM_GUEST_BASE;
		m->lin_gpa = m->next_data;
		m->lin_len = len;
	}
	rc = m->c->input == SIM_IN_RUN ? 0 : machine__map_guest(m, SIM_GUEST_BASE, len);
	if (rc) {
		snprintf(err, errlen, "building guest tables for %" PRIu64 " bytes: %s", len,
			 rc == -ENOSPC ? machine__full_msg(m) : strerror(-rc));
		return rc;
	}
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (buf == MAP_FAILED) {
		snprintf(err, errlen, "workload buffer of %" PRIu64 " bytes: %s", len,
			 strerror(errno));
		return -ENOMEM;
	}
	m->buf = buf;
	/* the machine's own set-up (tables, first CR3 load) is set-up until the region starts */
	m->phase = WL_PHASE_SETUP;
	rc = wl_run_traced(p, buf, &env, &r);
	munmap(buf, len);
	if (rc)
		snprintf(err, errlen, "workload %s failed (%d)", wl_name(p->kind), rc);
	return rc;
}

int machine__run_input(struct machine *m, struct sim_input_stats *st, char *err, size_t errlen)
{
	/* the inputs that run a workload's generator: its every access, known from its params */
	if (m->c->input == SIM_IN_WORKLOAD || m->c->input == SIM_IN_RUN ||
	    m->c->input == SIM_IN_REPLAY)
		m->total = wl_accesses(&m->c->wl);
	switch (m->c->input) {
	case SIM_IN_LACKEY:
		return sim_input_lackey(m, m->c->in_path, st, err, errlen);
	case SIM_IN_ATRACE:
		return sim_input_atrace(m, m->c->in_path, st, err, errlen);
	case SIM_IN_EVENTS:
		return sim_input_events(m, m->c->in_path, st, err, errlen);
	case SIM_IN_REPLAY:
		return sim_input_replay(m, m->c->in_path, st, err, errlen);
	case SIM_IN_RUN:
		st->table_pages = m->snap.npages;
		st->data_leaf_tables = sim_run_leaf_tables(
			m->guest, m->groot, m->snap.levels, m->c->cfg.maxphyaddr, m->data_gva,
			m->c->wl.footprint, &st->data_large_leaves);
		break;
	case SIM_IN_WORKLOAD:
		break;
	}
	return machine__run_workload(m, st, err, errlen);
}

int machine__finish(struct machine *m, struct sim_mode_result *out)
{
	machine__flush(m);
	sim__result(m->sim, &out->res);
	out->guest_frames = ptmem__frames(m->guest);
	out->host_frames = m->mode == PAGING_NESTED ? ptmem__frames(m->host) : 0;
	out->shadow_frames = 0;
	out->guest_pages_used =
		out->guest_frames + ((m->next_data - SIM_DATA_BASE) >> X86_PAGE_SHIFT);
	memset(&out->shadow, 0, sizeof(out->shadow));
	out->tdp_valid = m->hstate && m->mode == PAGING_NESTED;
	out->tdp = out->tdp_valid ? m->tdp : (struct sim_tdp_result){0};
	if (m->spt) {
		machine__spt_result(m, &out->shadow);
		machine__spt_since(m, &out->shadow);
		out->shadow_frames = out->shadow.live_pages;
	}
	out->roi = m->roi;
	return m->err;
}

int sim_machine_run(const struct sim_machine_config *c, enum paging_mode mode,
		    struct sim_mode_result *out, struct sim_input_stats *st, char *err,
		    size_t errlen)
{
	struct machine *m = machine__new(c, mode);
	int rc, table_err;

	if (!m) {
		rc = -errno;
		snprintf(err, errlen, "setting up %s mode: %s", paging_mode_name(mode),
			 strerror(-rc));
		return rc;
	}
	rc = machine__run_input(m, st, err, errlen);
	table_err = machine__finish(m, out);
	if (!rc && table_err) {
		snprintf(err, errlen, "building %s tables: %s", paging_mode_name(mode),
			 table_err == -ENOSPC ? machine__full_msg(m) : strerror(-table_err));
		rc = table_err;
	}
	machine__free(m);
	return rc;
}
