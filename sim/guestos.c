// SPDX-License-Identifier: GPL-2.0
/*
 * The guest OS's table updates on the simulated machine, in every paging mode: address spaces,
 * leaf rewrites (munmap, mprotect), INVLPG, CR3 loads and the mapping a guest fault makes, as
 * the memvirt guest kernel makes them (workloads/kernel/mm.c, main.c). In shadow mode each goes
 * through KVM's shadow MMU model (sim/spt.c); otherwise the hardware's own TLB rules apply.
 */
#include <errno.h>

#include "mmu/mmu.h"
#include "sim/internal.h"

unsigned machine__guest_walk(struct machine *m, gva_t va, gpa_t *entry, uint64_t *val)
{
	unsigned levels = m->c->cfg.levels, n = 0;
	gpa_t table = m->groot;

	for (unsigned level = levels; level >= 1; level--) {
		entry[n] = table + 8 * pt_index(va, level);
		if (ptmem__read64(m->guest, entry[n], &val[n]))
			return n;
		n++;
		if (!(val[n - 1] & PTE_P) || level == 1 || (val[n - 1] & PTE_PS))
			return n;
		table = val[n - 1] & PTE_ADDR_MASK;
	}
	return n;
}

/* The size a leaf read at walk step @n (1-based) maps. */
static uint64_t leaf_span(const struct machine *m, unsigned n)
{
	return 1ULL << (X86_PAGE_SHIFT + PT_INDEX_BITS * (m->c->cfg.levels - n));
}

bool machine__guest_mapped(struct machine *m, gva_t va, gpa_t *gpa)
{
	gpa_t entry[PT_MAX_LEVELS];
	uint64_t val[PT_MAX_LEVELS];
	unsigned n = machine__guest_walk(m, va, entry, val);
	uint64_t span;

	if (!n || !(val[n - 1] & PTE_P) || (n < m->c->cfg.levels && !(val[n - 1] & PTE_PS)))
		return false;
	span = leaf_span(m, n);
	if (gpa)
		*gpa = (val[n - 1] & PTE_ADDR_MASK & ~(span - 1)) + (va & (span - 1));
	return true;
}

int machine__set_leaf(struct machine *m, gva_t va, bool clear_all, uint64_t clear, uint64_t set,
		      gva_t *next, gpa_t *old_pa, uint64_t *old_size)
{
	gpa_t entry[PT_MAX_LEVELS];
	uint64_t val[PT_MAX_LEVELS], nv, span;
	unsigned n = machine__guest_walk(m, va, entry, val);
	int err;

	span = n ? leaf_span(m, n) : leaf_span(m, 1);
	*next = (va | (span - 1)) + 1;
	if (!machine__guest_mapped(m, va, NULL))
		return 0;
	*old_pa = val[n - 1] & PTE_ADDR_MASK & ~(span - 1);
	*old_size = span;
	nv = clear_all ? 0 : (val[n - 1] & ~clear) | set;
	machine__flush(m);
	if (ptmem__write64(m->guest, entry[n - 1], nv))
		return -EFAULT;
	m->xgen++;
	if (m->spt && (err = machine__spt_table_store(m, entry[n - 1])))
		return err;
	return 1;
}

/* INVLPG: an exit under shadow paging; else the processor's own invalidation of the page. */
int machine__invlpg(struct machine *m, gva_t va)
{
	if (m->spt)
		return machine__spt_invlpg(m, va);
	machine__flush(m);
	return sim__flush(m->sim, SIM_FLUSH_ADDR, va);
}

/* The guest flushes its whole TLB, global entries too. */
int machine__flush_guest(struct machine *m)
{
	if (m->spt)
		return machine__spt_flush_guest(m);
	machine__flush(m);
	return sim__flush(m->sim, SIM_FLUSH_ALL, 0);
}

/*
 * The first CR3 an event file names is the machine's first root; a new one gets a new root.
 * In shadow mode it shares the direct map's PML4 entry, as the guest's new address spaces share
 * the kernel half (one store through the direct map).
 */
int machine__as_root(struct machine *m, uint64_t cr3, gpa_t *root, bool *created)
{
	uint64_t slot = 8 * pt_index(SIM_DIRECT_MAP, m->c->cfg.levels), dm;
	int err;

	cr3 &= PTE_ADDR_MASK;
	*created = false;
	for (unsigned i = 0; i < m->nas; i++)
		if (m->as_cr3[i] == cr3) {
			*root = m->as_root[i];
			return 0;
		}
	if (m->nas == SIM_MAX_AS)
		return -ENOSPC;
	if (!m->nas) {
		*root = m->groot;
	} else {
		err = pt__new_root(m->guest, root);
		if (!err && m->spt) {
			err = ptmem__read64(m->guest, m->as_root[0] + slot, &dm);
			if (!err)
				err = ptmem__write64(m->guest, *root + slot, dm);
			if (!err)
				err = machine__spt_table_store(m, *root + slot);
		}
		if (err)
			return err < 0 ? err : -EFAULT;
		*created = true;
	}
	m->as_cr3[m->nas] = cr3;
	m->as_root[m->nas++] = *root;
	return 0;
}

int machine__as_seen(struct machine *m, uint64_t cr3)
{
	bool created;
	gpa_t root;

	return machine__as_root(m, cr3, &root, &created);
}

/*
 * MOV CR3 (PCIDs off): shadow paging exits to KVM; otherwise the walker moves to the new root
 * and the processor drops the non-global TLB entries.
 */
int machine__cr3_load(struct machine *m, uint64_t cr3)
{
	bool created;
	gpa_t root;
	int err;

	machine__flush(m);
	err = machine__as_root(m, cr3, &root, &created);
	if (err)
		return err;
	m->xgen++;
	if (m->spt)
		return machine__spt_cr3_load(m, root);
	m->groot = root;
	return sim__switch(m->sim, root, 0, 0, false);
}

bool machine__in_direct_map(const struct machine *m, gva_t va)
{
	return m->spt && va - SIM_DIRECT_MAP < m->dm_size;
}

int machine__kernel_write(struct machine *m, gpa_t gpa)
{
	if (gpa >= m->ram_end)
		return -ERANGE;
	if (m->spt)
		return gpa < m->dm_size ? machine__spt_kernel_write(m, gpa) : -ERANGE;
	if (m->mode == PAGING_NESTED)
		machine__tdp_access(m, gpa >> X86_PAGE_SHIFT, true);
	return 0;
}

/*
 * A guest fault's mapping of @va to @gpa: in shadow mode the reinjected fault first, then the
 * kernel's stores through its direct map.
 */
int machine__fault_map_at(struct machine *m, gva_t va, gpa_t gpa, enum page_size ps)
{
	uint64_t size = page_size_bytes(ps);
	int err;

	if (machine__in_direct_map(m, va))
		return -EADDRINUSE;
	if (gpa & (size - 1) || gpa >= m->ram_end || m->ram_end - gpa < size)
		return -ERANGE;
	machine__flush(m);
	if (m->spt && (err = machine__spt_guest_fault(m, va)))
		return err;
	va &= ~(size - 1);
	m->xgen++;
	if ((err = machine__host_cover(m, &m->host_data_end, gpa + size)))
		return err;
	if (m->spt)
		return machine__spt_map(m, va, gpa, ps);
	return machine_map(m->guest, m->groot, va, gpa, ps, m->c->cfg.levels);
}
