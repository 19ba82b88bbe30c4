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

/*
 * Leaf bits the guest may ask for. Intermediate entries are the builder's
 * P|RW|US, as the guest kernel makes them (workloads/kernel/mm.c).
 */
#define POP_LEAF_ALLOWED  (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_NX)
#define POP_LEAF_REQUIRED (PTE_P | PTE_US)

struct pop_walk {
	const struct populate_ctx *ctx;
	const struct mv_populate *req;
	uint64_t tables_taken; /* from the front of the offered run */
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
 * A table the VMM may read and write entries in: 4K-aligned guest RAM in the
 * VMM's table area or above the kernel image, below the event ring; not among
 * the frames the request offers, unless this request made it. The checked
 * guest memory asks this for every entry the builder touches.
 */
static bool table_ok(void *arg, gpa_t gpa)
{
	const struct pop_walk *w = arg;
	const struct populate_ctx *ctx = w->ctx;
	const struct mv_populate *r = w->req;
	bool area = (gpa >= MV_GPA_PT && gpa < MV_GPA_PT_END) ||
		    (gpa >= MV_GPA_USER && gpa < ctx->pool_end);

	if ((gpa & (SZ_4K - 1)) || !area || gpa > ctx->mem_size - SZ_4K)
		return false;
	if (r->nr_tables && gpa >= r->table_gpa && gpa < r->table_gpa + w->tables_taken * SZ_4K)
		return true;
	return !overlaps(gpa, SZ_4K, r->data_gpa, r->len) &&
	       !overlaps(gpa, SZ_4K, r->table_gpa, r->nr_tables * SZ_4K);
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
	if (!table_ok(w, r->cr3))
		return refuse(
			w, -EINVAL,
			"CR3 0x%llx is not a page table the VMM may write (outside guest RAM, "
			"in a reserved region or among the offered frames)",
			(unsigned long long)r->cr3);
	return 0;
}

/* The next offered table frame, zeroed: the guest's word that it is zero is not needed. */
static int offered_table(void *arg, uint64_t *gpa)
{
	struct pop_walk *w = arg;
	const struct mv_populate *r = w->req;

	if (w->tables_taken >= r->nr_tables)
		return -ENOSPC;
	*gpa = r->table_gpa + w->tables_taken++ * SZ_4K;
	memset(w->ctx->mem + *gpa, 0, SZ_4K);
	return 0;
}

/* Why the builder stopped, as one line. */
static int refuse_build(struct pop_walk *w, int err, const struct pt_slot *at)
{
	unsigned long long va = at->va;

	switch (at->stop) {
	case PT_STOP_HUGE:
		return refuse(w, -EEXIST,
			      "GVA 0x%llx lies in a large page already mapped at level %u", va,
			      at->level);
	case PT_STOP_TABLE:
	case PT_STOP_MAPPED:
		/* Only non-present -> present: nothing cached needs a flush (docs/guest.md). */
		return refuse(w, -EEXIST,
			      "GVA 0x%llx is already mapped (entry 0x%llx); populate only fills "
			      "entries that are not present",
			      va, (unsigned long long)at->entry);
	case PT_STOP_FAULT:
		return refuse(
			w, -EINVAL,
			"the level-%u entry for GVA 0x%llx points at GPA 0x%llx, which is not "
			"a page table the VMM may write",
			at->level + 1, va, (unsigned long long)at->table);
	case PT_STOP_ALLOC:
		return refuse(w, err, "the offered table frames ran out");
	default:
		return refuse(w, err, "GVA 0x%llx: the page-table builder failed (%s)", va,
			      strerror(-err));
	}
}

int populate_apply(const struct populate_ctx *ctx, const struct mv_populate *req,
		   uint64_t *tables_used, char *why, size_t why_len)
{
	struct pop_walk w = {.ctx = ctx, .req = req, .why = why, .why_len = why_len};
	struct pt_builder b;
	struct pt_ram ram;
	struct pt_slot at;
	enum page_size ps;
	uint64_t needed;
	int ret;

	*tables_used = 0;
	if (!ctx->mem || ctx->pool_start > ctx->pool_end || ctx->pool_end > ctx->mem_size ||
	    ctx->mem_size < SZ_4K)
		return refuse(&w, -EINVAL, "the VMM has no frame pool to check against");
	ret = check_request(&w);
	if (ret)
		return ret;
	ps = req->page_size == SZ_1G ? PAGE_1G : req->page_size == SZ_2M ? PAGE_2M : PAGE_4K;
	pt_ram__init(&ram, ctx->mem, ctx->mem_size, table_ok, &w);
	b = (struct pt_builder){
		.mem = pt_ram__mem(&ram),
		.alloc = {.alloc = offered_table, .ctx = &w},
		.root = req->cr3,
		.levels = 4,
	};
	/* A dry run checks the whole request and writes nothing; then it is applied. */
	ret = pt_build__plan(&b, req->va, req->len, ps, &needed, &at);
	if (ret)
		return refuse_build(&w, ret, &at);
	if (needed > req->nr_tables)
		return refuse(&w, -ENOSPC, "the range needs %llu new page tables, %llu are offered",
			      (unsigned long long)needed, (unsigned long long)req->nr_tables);
	ret = pt_build__map(&b, req->va, req->data_gpa, req->len, ps, req->leaf_flags, &at);
	*tables_used = w.tables_taken;
	return ret ? refuse_build(&w, ret, &at) : 0;
}
