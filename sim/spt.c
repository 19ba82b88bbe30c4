// SPDX-License-Identifier: GPL-2.0
/* Shadow mode of the simulated machine: KVM's shadow MMU model (shadow/) over the guest tables. */
#include <errno.h>
#include <stdlib.h>

#include "mmu/mmu.h"
#include "shadow/shadow.h"
#include "sim/internal.h"
#include "sim/sim.h"

#define SPT_MEMO      65536 /* pages the shadow tables were last seen to allow (direct mapped) */
#define SPT_MAX_TRIES 8	    /* faults one access may take before it is left to fault */

/* A page (and whether a write) the shadow tables allowed, valid while gen is current. */
struct spt_memo {
	uint64_t key; /* (GVA >> 12) << 1 | write, + 1; 0 = empty */
	uint64_t gen;
};

struct machine_spt {
	struct shadow *s;
	struct pt_mem mem; /* the model's shadow pages, as the simulator's walker reads them */
	hpa_t root;	   /* the root the simulator walks from */
	uint64_t gen;	   /* bumped by every call that may change SPTEs */
	struct shadow_stats last;
	struct sim_shadow_result r;
	struct spt_memo memo[SPT_MEMO];
};

static int spt_read64(void *ctx, uint64_t pa, uint64_t *val)
{
	*val = shadow__read_spte(ctx, pa);
	return 0;
}

/* Shadow mode never sets A/D in walks (sim__new turns set_ad off): the model owns the SPTEs. */
static int spt_write64(void *ctx, uint64_t pa, uint64_t val)
{
	(void)ctx, (void)pa, (void)val;
	return -EROFS;
}

static const struct pt_mem_ops spt_mem_ops = {.read64 = spt_read64, .write64 = spt_write64};

/* Guest memory for the model: the machine's guest tables, by GPA. */
static int guest_read(void *ctx, gpa_t gpa, uint64_t *val)
{
	struct machine *m = ctx;

	if (gpa >= m->ram_end)
		return -EFAULT;
	return ptmem__read64(m->guest, gpa, val) ? -EFAULT : 0;
}

static int guest_cmpxchg(void *ctx, gpa_t gpa, uint64_t old, uint64_t new)
{
	struct machine *m = ctx;
	uint64_t cur;

	if (guest_read(ctx, gpa, &cur))
		return -EFAULT;
	if (cur != old)
		return -EAGAIN;
	return ptmem__write64(m->guest, gpa, new) ? -EFAULT : 0;
}

/*
 * Every guest frame is RAM, backed at HPA = GPA + SIM_HOST_OFFSET with the host page size;
 * with host_anon, faulted in as anonymous memory (sim/hostmem.c).
 */
static int guest_host_page(void *ctx, gfn_t gfn, enum shadow_host_access acc, pfn_t *pfn,
			   unsigned *level, bool *writable)
{
	struct machine *m = ctx;

	*level = (unsigned)m->c->hps + 1;
	return machine__host_fault(m, gfn, acc, pfn, writable);
}

static const struct shadow_guest_ops spt_guest_ops = {
	.read = guest_read, .cmpxchg = guest_cmpxchg, .host_page = guest_host_page};

/*
 * After each call into the model, the hardware follows it: the TLB and paging-structure
 * caches are flushed when KVM flushed them (tlb_flush), the walker moves to a new root, and
 * the shadow pages synced are charged.
 */
static int spt_follow(struct machine *m)
{
	struct machine_spt *p = m->spt;
	struct shadow_stats now;
	hpa_t root = shadow__root_hpa(p->s);
	uint64_t synced;
	int err = 0;

	p->gen++;
	shadow__stats(p->s, &now);
	if (now.tlb_flush != p->last.tlb_flush)
		err = sim__flush(m->sim, SIM_FLUSH_ALL, 0);
	if (!err && root && root != p->root) {
		p->root = root;
		err = sim__switch(m->sim, root, 0, 0, true);
	}
	synced = now.kvm_mmu_sync_page - p->last.kvm_mmu_sync_page;
	if (!err && synced) {
		p->r.syncs += synced;
		err = sim__shadow_events(m->sim, SIM_SHADOW_SYNC, synced, 0);
	}
	p->last = now;
	return err;
}

/* One #PF exit: the model's fault handler, charged by what it came to. */
static int spt_fault(struct machine *m, gva_t gva, unsigned access)
{
	struct machine_spt *p = m->spt;
	enum sim_shadow_event ev = SIM_SHADOW_PF_EXIT;
	int r, err;

	machine__flush(m);
	r = shadow__fault(p->s, gva, access, NULL);
	if (r < 0)
		return r;
	if (r == SHADOW_PF_EMULATE) {
		ev = SIM_SHADOW_WRPROT_EXIT;
		p->r.emulate_exits++;
	} else if (r == SHADOW_PF_GUEST) {
		p->r.guest_fault_exits++;
	} else {
		p->r.fault_exits++;
	}
	err = sim__shadow_events(m->sim, ev, 1, 0);
	if (!err)
		err = spt_follow(m);
	return err ? err : r;
}

/*
 * Make the shadow tables allow @access at @gva as the hardware would: while the shadow walk
 * refuses it, take the #PF exit. Returns the last fault's result, SHADOW_PF_FIXED when no
 * fault was needed, or -errno.
 */
static int spt_resolve(struct machine *m, gva_t gva, unsigned access, unsigned *faults)
{
	struct shadow_xlate x;
	int r = SHADOW_PF_FIXED;

	for (unsigned i = 0; i < SPT_MAX_TRIES; i++) {
		if (shadow__translate(m->spt->s, gva, access, 0, &x))
			return -EINVAL;
		if (x.ok)
			return r;
		(*faults)++;
		r = spt_fault(m, gva, access);
		if (r < 0 || r == SHADOW_PF_GUEST || r == SHADOW_PF_EMULATE)
			return r;
	}
	return r;
}

int machine__spt_access(struct machine *m, gva_t va, bool write)
{
	struct machine_spt *p = m->spt;
	uint64_t key = ((va >> X86_PAGE_SHIFT) << 1 | write) + 1;
	struct spt_memo *e = &p->memo[key & (SPT_MEMO - 1)];
	unsigned faults = 0;
	int r, err;

	if (e->key == key && e->gen == p->gen)
		return 0;
	r = spt_resolve(m, va, PF_ERR_U | (write ? PF_ERR_W : 0), &faults);
	if (r < 0)
		return r;
	/*
	 * A #PF invalidates the TLB entries and paging-structure-cache entries used for its
	 * address (SDM Vol. 3A §4.10.4.1), so the retried access walks the shadow tables again.
	 * Simplification: the walk that faulted is not simulated (the exit's cost covers it),
	 * and the address flush drops every PWC entry, as the simulator's INVLPG does.
	 */
	if (faults && (err = sim__flush(m->sim, SIM_FLUSH_ADDR, va)))
		return err;
	/* A guest fault or an emulated access is left to the walk, which counts the fault. */
	if (r == SHADOW_PF_FIXED || r == SHADOW_PF_SPURIOUS)
		*e = (struct spt_memo){key, p->gen};
	return 0;
}

/*
 * The access that finds @va unmapped in the guest's tables: a #PF exit the model reinjects
 * into the guest (pf_guest), whose handler then maps the page. Simplification: taken as a
 * read; a write faults the same way.
 */
int machine__spt_guest_fault(struct machine *m, gva_t va)
{
	unsigned faults = 0;
	int r = spt_resolve(m, va, PF_ERR_U, &faults);

	return r < 0 ? r : 0;
}

/*
 * The guest kernel stores a table entry at @gpa through its direct map: a write the shadow
 * tables refuse is a #PF exit; the model either makes the page writable (a last-level table
 * goes unsync) or emulates the store (kvm_mmu_pte_write). Guest memory already holds the
 * new entry: the model's emulated store reads it from there.
 */
int machine__spt_table_store(struct machine *m, gpa_t gpa)
{
	struct machine_spt *p = m->spt;
	unsigned faults = 0;
	uint64_t val;
	int r;

	p->r.table_stores++;
	r = spt_resolve(m, SIM_DIRECT_MAP + gpa, PF_ERR_W, &faults);
	if (r < 0)
		return r;
	if (r == SHADOW_PF_GUEST)
		return -EFAULT; /* the direct map covers every table */
	if (r != SHADOW_PF_EMULATE)
		return 0;
	if (ptmem__read64(m->guest, gpa, &val))
		return -EFAULT;
	shadow__guest_write(p->s, gpa, val, 8);
	return spt_follow(m);
}

/* The guest kernel stores to @gpa through its direct map: faults as the shadow tables need. */
int machine__spt_kernel_write(struct machine *m, gpa_t gpa)
{
	unsigned faults = 0;
	int r;

	machine__flush(m);
	r = spt_resolve(m, SIM_DIRECT_MAP + gpa, PF_ERR_W, &faults);
	if (r < 0)
		return r;
	if (r == SHADOW_PF_GUEST)
		return -EFAULT;
	if (r == SHADOW_PF_EMULATE) /* a store to one of its tables: emulated */
		return machine__spt_table_store(m, gpa);
	return 0;
}

/*
 * The guest maps @va to @pa: the builder writes the entries, and each entry it wrote is a
 * store through the direct map, top-down (the entry in an existing table first, then one in
 * each new table). Simplification: a new table's zeroing is not a separate store; its first
 * store is the entry written into it.
 */
int machine__spt_map(struct machine *m, gva_t va, gpa_t pa, enum page_size ps)
{
	gpa_t before[PT_MAX_LEVELS], after[PT_MAX_LEVELS];
	uint64_t vb[PT_MAX_LEVELS], vafter[PT_MAX_LEVELS];
	unsigned nb = machine__guest_walk(m, va, before, vb), na;
	int err;

	err = machine_map(m->guest, m->groot, va, pa, ps, m->c->cfg.levels);
	if (err)
		return err;
	na = machine__guest_walk(m, va, after, vafter);
	for (unsigned i = 0; i < na; i++) {
		if (i < nb && before[i] == after[i] && vb[i] == vafter[i])
			continue;
		err = machine__spt_table_store(m, after[i]);
		if (err)
			return err;
	}
	return 0;
}

/* INVLPG @va: an exit, kvm_mmu_invlpg, and the processor's own invalidation of the page. */
int machine__spt_invlpg(struct machine *m, gva_t va)
{
	struct machine_spt *p = m->spt;
	int err;

	machine__flush(m);
	shadow__invlpg(p->s, va);
	p->r.invlpg_exits++;
	err = sim__shadow_events(m->sim, SIM_SHADOW_INVLPG_EXIT, 1, 0);
	if (!err)
		err = sim__flush(m->sim, SIM_FLUSH_ADDR, va);
	return err ? err : spt_follow(m);
}

/* The guest flushes its whole TLB, global entries too (KVM_REQ_TLB_FLUSH_GUEST). */
int machine__spt_flush_guest(struct machine *m)
{
	machine__flush(m);
	shadow__flush_guest_tlb(m->spt->s);
	return spt_follow(m);
}

/* MOV CR3 to the machine's @root: an exit, KVM's CR3 load (sync, flush), the walker follows. */
int machine__spt_cr3_load(struct machine *m, gpa_t root)
{
	struct machine_spt *p = m->spt;
	int err;

	machine__flush(m);
	m->groot = root;
	err = shadow__cr3_load(p->s, root);
	if (err)
		return err;
	p->r.cr3_exits++;
	err = sim__shadow_events(m->sim, SIM_SHADOW_CR3_EXIT, 1, 0);
	return err ? err : spt_follow(m);
}

/* The host invalidated guest frames during an exit: KVM drops their SPTEs. */
void machine__spt_host_unmap(struct machine *m, gfn_t gfn, uint64_t n)
{
	machine__flush(m);
	shadow__host_unmap(m->spt->s, gfn, n);
}

/* The vCPU enters again after the VMM's exit: the flush its invalidations asked for. */
int machine__spt_vcpu_enter(struct machine *m)
{
	shadow__vcpu_enter(m->spt->s);
	return spt_follow(m);
}

/*
 * The model over the machine's guest RAM, the guest's direct map of its tables (built
 * before the model runs, except for a run directory, whose tables never change), and the
 * first CR3 load. The simulator walks the model's shadow pages from its root.
 */
int machine__spt_new(struct machine *m, struct sim_tables *t)
{
	struct shadow_config cfg;
	struct machine_spt *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	m->spt = p;
	for (uint64_t off = 0; m->c->input != SIM_IN_RUN && off < m->dm_size; off += 1ULL << 30) {
		err = machine_map(m->guest, m->groot, SIM_DIRECT_MAP + off, off, PAGE_1G,
				  m->c->cfg.levels);
		if (err)
			return err;
	}
	shadow_config__default(&cfg);
	cfg.levels = m->c->cfg.levels;
	cfg.ram_pages =
		(m->c->shadow_ram_bytes ? m->c->shadow_ram_bytes : m->ram_end) >> X86_PAGE_SHIFT;
	cfg.maxphyaddr = m->c->cfg.maxphyaddr;
	cfg.spt_base = SIM_TABLE_BASE;
	p->s = shadow__new(&cfg, &spt_guest_ops, m);
	if (!p->s)
		return -errno;
	err = shadow__cr3_load(p->s, m->groot);
	if (err)
		return err;
	p->r.cr3_exits++;
	shadow__stats(p->s, &p->last);
	p->root = shadow__root_hpa(p->s);
	p->mem = (struct pt_mem){&spt_mem_ops, p->s};
	t->mem = &p->mem;
	t->root = p->root;
	return 0;
}

/* The CR3 load of machine__spt_new is charged once the simulator exists. */
int machine__spt_start(struct machine *m)
{
	return sim__shadow_events(m->sim, SIM_SHADOW_CR3_EXIT, 1, 0);
}

void machine__spt_free(struct machine *m)
{
	if (!m->spt)
		return;
	shadow__delete(m->spt->s);
	free(m->spt);
	m->spt = NULL;
}

void machine__spt_result(struct machine *m, struct sim_shadow_result *out)
{
	struct machine_spt *p = m->spt;
	const uint64_t *cost = m->c->cfg.shadow_cost;

	*out = p->r;
	shadow__stats(p->s, &out->st);
	out->live_pages = shadow__live_pages(p->s);
	out->max_pages = shadow__max_pages(p->s);
	out->fault_cycles = out->fault_exits * cost[SIM_SHADOW_PF_EXIT];
	out->guest_fault_cycles = out->guest_fault_exits * cost[SIM_SHADOW_PF_EXIT];
	out->emulate_cycles = out->emulate_exits * cost[SIM_SHADOW_WRPROT_EXIT];
	out->cr3_cycles = out->cr3_exits * cost[SIM_SHADOW_CR3_EXIT];
	out->invlpg_cycles = out->invlpg_exits * cost[SIM_SHADOW_INVLPG_EXIT];
	out->sync_cycles = out->syncs * cost[SIM_SHADOW_SYNC];
	out->total_cycles = out->fault_cycles + out->guest_fault_cycles + out->emulate_cycles +
			    out->cr3_cycles + out->invlpg_cycles + out->sync_cycles;
}
