// SPDX-License-Identifier: GPL-2.0
/* The x86-64 page-table walker: 4/5 levels, 4K/2M/1G leaves, permission and reserved-bit checks, 1D
 * and 2D. */
#include <errno.h>
#include <string.h>

#include "mmu/mmu_internal.h"

const char *page_size_name(enum page_size ps)
{
	static const char *const names[] = {"4K", "2M", "1G"};

	return (unsigned)ps < PAGE_SIZES ? names[ps] : "?";
}

const char *walk_fault_name(enum walk_fault_kind k)
{
	static const char *const names[] = {
		[WALK_OK] = "ok",
		[WALK_FAULT_NOT_PRESENT] = "not-present",
		[WALK_FAULT_RESERVED] = "reserved-bit",
		[WALK_FAULT_PROTECTION] = "protection",
		[WALK_FAULT_NONCANONICAL] = "non-canonical",
		[WALK_FAULT_MEMORY] = "memory",
		[WALK_FAULT_HOST] = "host",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

int walk_cpu__check(const struct walk_cpu *cpu)
{
	if (cpu->levels != 4 && cpu->levels != 5)
		return -EINVAL;
	if (cpu->maxphyaddr < 32 || cpu->maxphyaddr > 52)
		return -EINVAL;
	if (cpu->root & (X86_PAGE_SIZE - 1))
		return -EINVAL;
	return 0;
}

uint32_t walk_decode_flags(uint64_t e, unsigned level)
{
	bool leaf = level == 1 || (level <= 3 && (e & PTE_PS));
	uint32_t f = 0;

	f |= (e & PTE_P) ? WALK_F_P : 0;
	f |= (e & PTE_RW) ? WALK_F_RW : 0;
	f |= (e & PTE_US) ? WALK_F_US : 0;
	f |= (e & PTE_PWT) ? WALK_F_PWT : 0;
	f |= (e & PTE_PCD) ? WALK_F_PCD : 0;
	f |= (e & PTE_A) ? WALK_F_A : 0;
	f |= (e & PTE_NX) ? WALK_F_NX : 0;
	if (level > 1 && (e & PTE_PS))
		f |= WALK_F_PS;
	if (leaf) {
		f |= (e & PTE_D) ? WALK_F_D : 0;
		f |= (e & PTE_G) ? WALK_F_G : 0;
		f |= (e & (level == 1 ? PTE_PAT_4K : PTE_PAT_LARGE)) ? WALK_F_PAT : 0;
	}
	return f;
}

/*
 * Reserved bits of a present entry (SDM Vol. 3A §4.5.4, Tables 4-15 to 4-20):
 * address bits 51:MAXPHYADDR everywhere; XD (63) when EFER.NXE = 0; PS (7) in
 * a PML5E or PML4E; bits 29:13 of a 1G PDPTE and 20:13 of a 2M PDE (between
 * the PAT bit and the address).
 * Simplification: 1G pages are always supported and protection keys are off,
 * so bits 62:59 are ignored.
 */
static uint64_t rsvd_mask(const struct walk_cpu *cpu, unsigned level, uint64_t e)
{
	uint64_t m = PTE_ADDR_MASK & ~((1ULL << cpu->maxphyaddr) - 1);

	if (!cpu->nxe)
		m |= PTE_NX;
	if (level >= 4)
		m |= PTE_PS;
	else if (level == 3 && (e & PTE_PS))
		m |= 0x3fffe000ULL; /* 29:13 */
	else if (level == 2 && (e & PTE_PS))
		m |= 0x1fe000ULL; /* 20:13 */
	return m;
}

/* Accumulate RW/US/XD down the levels (SDM Vol. 3A §4.6.1). */
static uint32_t perms_step(uint32_t perms, uint64_t e, const struct walk_cpu *cpu)
{
	if (!(e & PTE_RW))
		perms &= ~WALK_PERM_W;
	if (!(e & PTE_US))
		perms &= ~WALK_PERM_U;
	if (cpu->nxe && (e & PTE_NX))
		perms |= WALK_PERM_NX;
	return perms;
}

/*
 * Access rights (SDM Vol. 3A §4.6.1). User accesses need a user page (US=1 at
 * every level), writes need RW=1 everywhere, fetches need XD=0 everywhere.
 * Supervisor writes need RW only with CR0.WP; supervisor fetches from user
 * pages fault with CR4.SMEP; supervisor data accesses to user pages fault with
 * CR4.SMAP unless EFLAGS.AC = 1.
 */
static bool access_allowed(const struct walk_cpu *cpu, uint32_t perms, unsigned acc)
{
	bool user_page = perms & WALK_PERM_U, writable = perms & WALK_PERM_W;

	if (acc & WALK_ACC_FETCH) {
		if (perms & WALK_PERM_NX)
			return false;
		if (acc & WALK_ACC_USER)
			return user_page;
		return !(user_page && cpu->smep);
	}
	if (acc & WALK_ACC_USER) {
		if (!user_page)
			return false;
		return !(acc & WALK_ACC_WRITE) || writable;
	}
	if (user_page && cpu->smap && !(acc & WALK_ACC_AC))
		return false;
	return !(acc & WALK_ACC_WRITE) || writable || !cpu->wp;
}

/*
 * #PF error code (SDM Vol. 3A §4.7): P = 0 for a not-present entry, 1 for a
 * protection or reserved-bit violation; W/R and U/S from the access; RSVD for
 * reserved bits; I/D for an instruction fetch when SMEP or NXE is enabled.
 */
static uint32_t pf_error_code(const struct walk_cpu *cpu, unsigned acc, bool present, bool rsvd)
{
	uint32_t ec = 0;

	ec |= present ? PF_ERR_P : 0;
	ec |= (acc & WALK_ACC_WRITE) ? PF_ERR_W : 0;
	ec |= (acc & WALK_ACC_USER) ? PF_ERR_U : 0;
	ec |= rsvd ? PF_ERR_RSVD : 0;
	if ((acc & WALK_ACC_FETCH) && (cpu->smep || cpu->nxe))
		ec |= PF_ERR_I;
	return ec;
}

static int walk_fail(struct walk *w, const struct walk_cpu *cpu, unsigned acc,
		     enum walk_fault_kind kind, unsigned level)
{
	w->fault.kind = kind;
	w->fault.level = level;
	w->leaf_level = level;
	if (kind == WALK_FAULT_NOT_PRESENT || kind == WALK_FAULT_RESERVED ||
	    kind == WALK_FAULT_PROTECTION)
		w->fault.error_code = pf_error_code(cpu, acc, kind != WALK_FAULT_NOT_PRESENT,
						    kind == WALK_FAULT_RESERVED);
	return -EFAULT;
}

/*
 * Accessed and dirty flags (SDM Vol. 3A §4.8): A in every entry used, D in the
 * leaf on a write.
 * Simplification: set only after a successful translation, and not atomically.
 */
static void walk_set_ad(const struct walk_env *env, struct walk *w, unsigned acc)
{
	for (unsigned l = w->first_level; l >= w->leaf_level && l >= 1; l--) {
		struct walk_level *wl = &w->lvl[l];
		uint64_t e = wl->entry | PTE_A;

		if (l == w->leaf_level && (acc & WALK_ACC_WRITE))
			e |= PTE_D;
		if (e != wl->entry && !env->mem->ops->write64(env->mem->ctx, wl->entry_addr, e)) {
			wl->entry = e;
			wl->flags = walk_decode_flags(e, l);
		}
	}
}

static void walk_init(struct walk *w, const struct walk_cpu *cpu, uint64_t va)
{
	w->va = va;
	w->pa = 0;
	w->size = PAGE_4K;
	w->levels = cpu->levels;
	w->first_level = cpu->levels;
	w->leaf_level = 0;
	w->perms = 0;
	w->leaf_flags = 0;
	w->refs = 0;
	memset(&w->fault, 0, sizeof(w->fault));
}

static int walk_load(const struct walk_env *env, unsigned level, uint64_t ea, uint64_t *e,
		     struct walk *w)
{
	int err;

	if (env->load)
		err = env->load(env->ctx, level, ea, e, &w->fault);
	else
		err = env->mem->ops->read64(env->mem->ctx, ea, e);
	if (err && w->fault.kind == WALK_OK) {
		w->fault.kind = WALK_FAULT_MEMORY;
		w->fault.addr = ea;
	}
	return err;
}

int walk__run(const struct walk_env *env, const struct walk_cpu *cpu, uint64_t va, unsigned acc,
	      const struct pwc_hit *start, struct walk *w)
{
	uint64_t table = start ? start->table : cpu->root, e = 0;
	uint32_t perms = start ? start->perms : WALK_PERM_W | WALK_PERM_U;
	unsigned level = start ? start->level : cpu->levels;

	walk_init(w, cpu, va);
	w->first_level = level;
	if (!va_canonical(va, cpu->levels))
		return walk_fail(w, cpu, acc, WALK_FAULT_NONCANONICAL, cpu->levels);
	for (;; level--) {
		struct walk_level *wl = &w->lvl[level];
		uint64_t ea = table + pt_index(va, level) * 8;

		wl->table = table;
		wl->entry_addr = ea;
		if (walk_load(env, level, ea, &e, w)) {
			w->fault.level = w->fault.kind == WALK_FAULT_HOST ? w->fault.level : level;
			w->leaf_level = level;
			return -EFAULT;
		}
		w->refs++;
		wl->entry = e;
		wl->flags = walk_decode_flags(e, level);
		if (!(e & PTE_P))
			return walk_fail(w, cpu, acc, WALK_FAULT_NOT_PRESENT, level);
		if (e & rsvd_mask(cpu, level, e))
			return walk_fail(w, cpu, acc, WALK_FAULT_RESERVED, level);
		perms = perms_step(perms, e, cpu);
		wl->perms = perms;
		if (level == 1 || (level <= 3 && (e & PTE_PS)))
			break;
		table = e & PTE_ADDR_MASK;
	}
	w->leaf_level = level;
	w->size = walk_level_size(level);
	w->perms = perms;
	w->leaf_flags = w->lvl[level].flags;
	if (!access_allowed(cpu, perms, acc))
		return walk_fail(w, cpu, acc, WALK_FAULT_PROTECTION, level);
	/* The leaf's address bits above the page offset (bits 51:12, 51:21 or 51:30). */
	w->pa = (e & PTE_ADDR_MASK & ~(page_size_bytes(w->size) - 1)) |
		(va & (page_size_bytes(w->size) - 1));
	if (cpu->set_ad)
		walk_set_ad(env, w, acc);
	return 0;
}

/* A 2D walk failed in the host walk of @gpa, made for guest level @slot (0 = final). */
void walk_fault__host(struct walk_fault *f, const struct walk *hw, unsigned slot, gpa_t gpa)
{
	f->kind = WALK_FAULT_HOST;
	f->host_kind = hw->fault.kind;
	f->error_code = hw->fault.error_code;
	f->level = slot;
	f->addr = gpa;
}

int walk__1d(const struct pt_mem *mem, const struct walk_cpu *cpu, gva_t va, unsigned acc,
	     struct walk *w)
{
	struct walk_env env = {.mem = mem};

	if (!mem || !cpu || !w || walk_cpu__check(cpu))
		return -EINVAL;
	return walk__run(&env, cpu, va, acc, NULL, w);
}

/* 2D walk: guest table loads go through this hook, which walks the host tables first. */
struct walk2d_ctx {
	const struct pt_mem *gmem, *hmem;
	const struct walk_cpu *host;
	unsigned acc;
	struct walk2d *w;
};

/* Translate @gpa through the host tables into w->host[slot]; host refs counted by host level. */
static int walk2d_host(struct walk2d_ctx *c, unsigned slot, gpa_t gpa, unsigned acc, hpa_t *hpa,
		       struct walk_fault *f)
{
	struct walk_env env = {.mem = c->hmem};
	struct walk *hw = &c->w->host[slot];
	int err;

	err = walk__run(&env, c->host, gpa, acc | WALK_ACC_USER, NULL, hw);
	c->w->host_done |= 1u << slot;
	for (unsigned i = 0; i < hw->refs; i++)
		c->w->refs_host[hw->first_level - i]++;
	c->w->refs += hw->refs;
	if (err) {
		walk_fault__host(f, hw, slot, gpa);
		return err;
	}
	*hpa = hw->pa;
	return 0;
}

static int walk2d_load(void *ctx, unsigned level, uint64_t entry_gpa, uint64_t *val,
		       struct walk_fault *f)
{
	struct walk2d_ctx *c = ctx;
	hpa_t hpa;
	int err;

	/* Simplification: guest table loads are host reads even when they will set guest A/D bits.
	 */
	err = walk2d_host(c, level, entry_gpa, 0, &hpa, f);
	if (err)
		return err;
	c->w->refs_guest[level]++;
	c->w->refs++;
	return c->gmem->ops->read64(c->gmem->ctx, entry_gpa, val);
}

int walk__2d(const struct pt_mem *gmem, const struct walk_cpu *guest, const struct pt_mem *hmem,
	     const struct walk_cpu *host, gva_t va, unsigned acc, struct walk2d *w)
{
	struct walk2d_ctx c = {.gmem = gmem, .hmem = hmem, .host = host, .acc = acc, .w = w};
	struct walk_env env = {.mem = gmem, .load = walk2d_load, .ctx = &c};
	int err;

	if (!gmem || !hmem || !guest || !host || !w || walk_cpu__check(guest) ||
	    walk_cpu__check(host))
		return -EINVAL;
	memset(w->refs_guest, 0, sizeof(w->refs_guest));
	memset(w->refs_host, 0, sizeof(w->refs_host));
	w->host_done = 0;
	w->refs = 0;
	w->gpa = w->hpa = 0;
	err = walk__run(&env, guest, va, acc, NULL, &w->guest);
	if (err)
		return err;
	w->gpa = w->guest.pa;
	err = walk2d_host(&c, 0, w->gpa, acc & (WALK_ACC_WRITE | WALK_ACC_FETCH), &w->hpa,
			  &w->guest.fault);
	if (err)
		return err;
	w->size = w->host[0].size < w->guest.size ? w->host[0].size : w->guest.size;
	return 0;
}
