// SPDX-License-Identifier: GPL-2.0
/*
 * MV_MSG_POPULATE: the guest kernel asks for a range to be mapped at mmap
 * time and the VMM writes the page-table entries natively through guest
 * RAM, so the emulated kernel does one message per mapping instead of one
 * fault per page. The guest is untrusted: the whole request is checked in
 * a dry run that writes nothing, then applied.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "vmm/internal.h"

/* Intermediate entries as the guest kernel makes them (workloads/kernel/mm.c). */
#define POP_TABLE_FLAGS	  (PTE_P | PTE_RW | PTE_US)
#define POP_LEAF_ALLOWED  (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_NX)
#define POP_LEAF_REQUIRED (PTE_P | PTE_US)

struct pop_walk {
	const struct populate_ctx *ctx;
	const struct mv_populate *req;
	bool dry;
	uint64_t tables_taken; /* from the front of the offered run */
	uint64_t tables_needed;
	uint64_t counted[5]; /* dry run: 1 + id of the last new table counted at each level */
	char *why;
	size_t why_len;
};

static int refuse(struct pop_walk *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct pop_walk *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, w->why_len, fmt, ap);
	va_end(ap);
	return err;
}

/* [a, a + alen) and [b, b + blen) share a byte; neither wraps (checked before). */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* A run of frames the guest offers: non-empty, aligned, inside the frame pool, no wrap. */
static bool in_pool(const struct populate_ctx *ctx, gpa_t gpa, uint64_t len, uint64_t align)
{
	return len && !(gpa & (align - 1)) && gpa >= ctx->pool_start && gpa < ctx->pool_end &&
	       len <= ctx->pool_end - gpa;
}

/*
 * A table the VMM may write entries into: 4K-aligned guest RAM in the VMM's
 * table area or above the kernel image, below the event ring; not among the
 * frames the request offers, unless this request made it.
 */
static uint64_t *table_at(struct pop_walk *w, gpa_t gpa)
{
	const struct populate_ctx *ctx = w->ctx;
	const struct mv_populate *r = w->req;
	bool area = (gpa >= MV_GPA_PT && gpa < MV_GPA_PT_END) ||
		    (gpa >= MV_GPA_USER && gpa < ctx->pool_end);

	if ((gpa & (SZ_4K - 1)) || !area || gpa > ctx->mem_size - SZ_4K)
		return NULL;
	if (r->nr_tables && gpa >= r->table_gpa && gpa < r->table_gpa + w->tables_taken * SZ_4K)
		return (uint64_t *)(ctx->mem + gpa);
	if (overlaps(gpa, SZ_4K, r->data_gpa, r->len) ||
	    overlaps(gpa, SZ_4K, r->table_gpa, r->nr_tables * SZ_4K))
		return NULL;
	return (uint64_t *)(ctx->mem + gpa);
}

/* Everything but the tables themselves: sizes, alignment, ranges, flags, CR3. */
static int check_request(struct pop_walk *w)
{
	const struct populate_ctx *ctx = w->ctx;
	const struct mv_populate *r = w->req;
	uint64_t ps = r->page_size, pool = ctx->pool_end - ctx->pool_start;

	if (ps != SZ_4K && ps != SZ_2M && ps != SZ_1G)
		return refuse(w, -EINVAL, "page size 0x%llx is not 4K, 2M or 1G",
			      (unsigned long long)ps);
	if (!r->len || r->len % ps || r->va % ps)
		return refuse(w, -EINVAL,
			      "range 0x%llx+0x%llx is empty or not aligned to its page size 0x%llx",
			      (unsigned long long)r->va, (unsigned long long)r->len,
			      (unsigned long long)ps);
	if (r->va < MV_MMAP_BASE || r->va >= MV_MMAP_END || r->len > MV_MMAP_END - r->va)
		return refuse(w, -EINVAL,
			      "range 0x%llx+0x%llx is outside the mmap area [0x%llx, 0x%llx)",
			      (unsigned long long)r->va, (unsigned long long)r->len,
			      (unsigned long long)MV_MMAP_BASE, (unsigned long long)MV_MMAP_END);
	if ((r->leaf_flags & ~POP_LEAF_ALLOWED) ||
	    (r->leaf_flags & POP_LEAF_REQUIRED) != POP_LEAF_REQUIRED)
		return refuse(w, -EINVAL,
			      "leaf flags 0x%llx: P and US are required, only RW, A, D and NX may "
			      "be added",
			      (unsigned long long)r->leaf_flags);
	if ((r->cr3 & ~PTE_ADDR_MASK) || r->cr3 != (ctx->cr3 & PTE_ADDR_MASK))
		return refuse(w, -EINVAL, "CR3 0x%llx is not the vCPU's (0x%llx)",
			      (unsigned long long)r->cr3, (unsigned long long)ctx->cr3);
	if (!in_pool(ctx, r->data_gpa, r->len, ps))
		return refuse(w, -ERANGE,
			      "data frames 0x%llx+0x%llx are not %s-aligned inside the frame pool "
			      "[0x%llx, 0x%llx), which excludes the kernel image, the VMM's tables "
			      "and the event ring",
			      (unsigned long long)r->data_gpa, (unsigned long long)r->len,
			      ps == SZ_4K   ? "4K"
			      : ps == SZ_2M ? "2M"
					    : "1G",
			      (unsigned long long)ctx->pool_start,
			      (unsigned long long)ctx->pool_end);
	if (r->nr_tables > pool / SZ_4K)
		return refuse(w, -ERANGE, "%llu table frames offered, the frame pool holds %llu",
			      (unsigned long long)r->nr_tables, (unsigned long long)(pool / SZ_4K));
	if (r->nr_tables && !in_pool(ctx, r->table_gpa, r->nr_tables * SZ_4K, SZ_4K))
		return refuse(w, -ERANGE,
			      "table frames 0x%llx x %llu are not 4K-aligned inside the frame pool "
			      "[0x%llx, 0x%llx)",
			      (unsigned long long)r->table_gpa, (unsigned long long)r->nr_tables,
			      (unsigned long long)ctx->pool_start,
			      (unsigned long long)ctx->pool_end);
	if (overlaps(r->data_gpa, r->len, r->table_gpa, r->nr_tables * SZ_4K))
		return refuse(w, -EINVAL, "table frames 0x%llx x %llu overlap the data frames",
			      (unsigned long long)r->table_gpa, (unsigned long long)r->nr_tables);
	if (!table_at(w, r->cr3))
		return refuse(
			w, -EINVAL,
			"CR3 0x%llx is not a page table the VMM may write (outside guest RAM, "
			"in a reserved region or among the offered frames)",
			(unsigned long long)r->cr3);
	return 0;
}

/* Dry run: a table for level @level covering @va would be made; count it once. */
static void count_new_table(struct pop_walk *w, int level, gva_t va)
{
	uint64_t id = (va >> pt_level_shift(level + 1)) + 1;

	if (w->counted[level] != id) {
		w->counted[level] = id;
		w->tables_needed++;
	}
}

/*
 * The table holding @va's leaf entry at level @leaf, walking from CR3 and
 * making missing tables from the offered frames (zeroed first: the guest's
 * word that they are zero is not needed). In a dry run *out is NULL where
 * the table would be new: all its entries are absent.
 */
static int walk_to_leaf(struct pop_walk *w, gva_t va, int leaf, uint64_t **out)
{
	const struct mv_populate *r = w->req;
	uint64_t *t = table_at(w, r->cr3);

	for (int l = 4; l > leaf; l--) {
		uint64_t *e, gpa;

		if (!t) {
			count_new_table(w, l - 1, va);
			continue;
		}
		e = &t[pt_index(va, l)];
		if (!(*e & PTE_P)) {
			if (w->dry) {
				count_new_table(w, l - 1, va);
				t = NULL;
				continue;
			}
			if (w->tables_taken >= r->nr_tables)
				return refuse(w, -ENOSPC, "the offered table frames ran out");
			gpa = r->table_gpa + w->tables_taken++ * SZ_4K;
			t = (uint64_t *)(w->ctx->mem + gpa);
			memset(t, 0, SZ_4K);
			*e = gpa | POP_TABLE_FLAGS;
			continue;
		}
		if (*e & PTE_PS)
			return refuse(w, -EEXIST,
				      "GVA 0x%llx lies in a large page already mapped at level %d",
				      (unsigned long long)va, l);
		t = table_at(w, *e & PTE_ADDR_MASK);
		if (!t)
			return refuse(
				w, -EINVAL,
				"the level-%d entry for GVA 0x%llx points at GPA 0x%llx, which "
				"is not a page table the VMM may write",
				l, (unsigned long long)va,
				(unsigned long long)(*e & PTE_ADDR_MASK));
	}
	*out = t;
	return 0;
}

/* One pass over the range: checks only (dry), or writes the entries. */
static int fill(struct pop_walk *w)
{
	const struct mv_populate *r = w->req;
	uint64_t ps = r->page_size, span = ps * 512, end = r->va + r->len;
	int leaf = ps == SZ_1G ? 3 : ps == SZ_2M ? 2 : 1;
	uint64_t leaf_bits = r->leaf_flags | (leaf > 1 ? PTE_PS : 0);
	gpa_t gpa = r->data_gpa;

	for (gva_t va = r->va; va < end;) {
		gva_t stop = (va & ~(span - 1)) + span;
		uint64_t *t = NULL;
		int ret;

		if (stop > end || stop < va)
			stop = end;
		ret = walk_to_leaf(w, va, leaf, &t);
		if (ret)
			return ret;
		if (!t) {
			gpa += stop - va;
			va = stop;
			continue;
		}
		for (; va < stop; va += ps, gpa += ps) {
			uint64_t *e = &t[pt_index(va, leaf)];

			/* Only non-present -> present: nothing cached needs a flush
			 * (docs/guest.md). */
			if (*e & PTE_P)
				return refuse(
					w, -EEXIST,
					"GVA 0x%llx is already mapped (entry 0x%llx); populate "
					"only fills entries that are not present",
					(unsigned long long)va, (unsigned long long)*e);
			if (!w->dry)
				*e = gpa | leaf_bits;
		}
	}
	return 0;
}

int populate_apply(const struct populate_ctx *ctx, const struct mv_populate *req,
		   uint64_t *tables_used, char *why, size_t why_len)
{
	struct pop_walk w = {.ctx = ctx, .req = req, .dry = true, .why = why, .why_len = why_len};
	int ret;

	*tables_used = 0;
	if (!ctx->mem || ctx->pool_start > ctx->pool_end || ctx->pool_end > ctx->mem_size ||
	    ctx->mem_size < SZ_4K)
		return refuse(&w, -EINVAL, "the VMM has no frame pool to check against");
	ret = check_request(&w);
	if (!ret)
		ret = fill(&w);
	if (ret)
		return ret;
	if (w.tables_needed > req->nr_tables)
		return refuse(&w, -ENOSPC, "the range needs %llu new page tables, %llu are offered",
			      (unsigned long long)w.tables_needed,
			      (unsigned long long)req->nr_tables);
	w.dry = false;
	ret = fill(&w);
	*tables_used = w.tables_taken;
	return ret;
}
