// SPDX-License-Identifier: GPL-2.0
/*
 * The join of guest faults with KVM walks, shadow entries and host faults.
 * Every candidate record is kept (compactly), sorted by (page, time), and
 * each guest fault looks its partners up by binary search, so the join does
 * not depend on the order in which the capture merged its sources. A guest
 * fault is kept as its record's fields only (56 bytes, not the 200 of a
 * struct ev_joined): its partners are looked up again when it is asked for,
 * so a file of millions of faults is joined in a fraction of the memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/join.h"
#include "x86/x86.h"

#define JOIN_MAX_SLOTS 512

struct jwalk {
	uint64_t key, t; /* key: GVA page (walk), GFN (set_spte), HVA page (host fault) */
	uint64_t addr, val;
	uint32_t levels, error;
	uint64_t pte[5];
};

struct jvec {
	struct jwalk *v;
	size_t n, cap;
};

struct jslot {
	uint64_t gpa, size, hva;
};

struct jchain {
	uint64_t gfn, hvpn;
};

/* A guest_fault record's fields. */
struct jfault {
	uint64_t cr2, rip, gpa, cr3, t;
	uint32_t error_code, page_shift;
	uint16_t cpu;
};

struct ev_join {
	struct jfault *f;
	size_t nf, capf;
	struct ev_joined *cur; /* ev_join_get's answer, rebuilt each call */
	struct jvec walks, sptes, hosts, reqs;
	struct jslot slot[JOIN_MAX_SLOTS];
	unsigned nslots;
	struct jchain *chain;
	size_t nchain, capchain;
	uint64_t with_walk, with_host, with_spte;
	uint64_t tdp_changes; /* kvm_tdp_mmu_spte_changed records */
};

static int grow(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 256;
	p = realloc(*v, c * elem);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

static struct jwalk *jvec__add(struct jvec *v)
{
	if (grow((void **)&v->v, &v->cap, v->n, sizeof(*v->v)))
		return NULL;
	memset(&v->v[v->n], 0, sizeof(v->v[0]));
	return &v->v[v->n++];
}

static uint64_t fld(const struct ev_record *rec, const char *name, unsigned i)
{
	return ev_field_u64(rec, ev_field_index(rec->type, name), i);
}

/* The 4K guest frame the fault's address lies in. */
static uint64_t fault_gpa4k(const struct jfault *f)
{
	uint64_t mask;

	if (f->page_shift != pt_level_shift(2) && f->page_shift != pt_level_shift(3))
		return f->gpa & ~X86_PAGE_MASK;
	mask = (1ULL << f->page_shift) - 1;
	return (f->gpa & ~mask) | (f->cr2 & mask & ~X86_PAGE_MASK);
}

/* 4K frames in a mapping at @level (1: 4K, 2: 2M, 3: 1G; anything else taken as 4K). */
static uint64_t level_span(uint32_t level)
{
	return level == 2 || level == 3 ? gpa_to_gfn(pt_level_size(level)) : 1;
}

static int join__add(struct ev_join *j, const struct ev_record *rec, uint64_t t)
{
	const char *name = rec->type->name;
	struct jwalk *w;

	if (!strcmp(name, "guest_fault")) {
		struct jfault *f;

		if (grow((void **)&j->f, &j->capf, j->nf, sizeof(*j->f)))
			return -ENOMEM;
		f = &j->f[j->nf++];
		memset(f, 0, sizeof(*f));
		f->cr2 = fld(rec, "cr2", 0);
		f->rip = fld(rec, "rip", 0);
		f->gpa = fld(rec, "gpa", 0);
		f->cr3 = fld(rec, "cr3", 0);
		f->error_code = (uint32_t)fld(rec, "error_code", 0);
		f->page_shift = (uint32_t)fld(rec, "page_shift", 0);
		f->cpu = rec->cpu;
		f->t = t;
	} else if (!strcmp(name, "kvm_mmu_walk")) {
		w = jvec__add(&j->walks);
		if (!w)
			return -ENOMEM;
		w->addr = fld(rec, "addr", 0);
		w->key = w->addr >> X86_PAGE_SHIFT;
		w->t = t;
		w->levels = (uint32_t)fld(rec, "levels", 0);
		w->error = (uint32_t)fld(rec, "error", 0);
		for (unsigned i = 0; i < 5; i++)
			w->pte[i] = fld(rec, "pte", i);
	} else if (!strcmp(name, "kvm_mmu_set_spte")) {
		w = jvec__add(&j->sptes);
		if (!w)
			return -ENOMEM;
		w->key = fld(rec, "gfn", 0);
		w->t = t;
		w->val = fld(rec, "spte", 0);
		w->levels = (uint32_t)fld(rec, "level", 0);
	} else if (!strcmp(name, "kvm_mmu_spte_requested")) {
		uint64_t gfn = fld(rec, "gfn", 0);

		w = jvec__add(&j->reqs);
		if (!w)
			return -ENOMEM;
		/* Keyed like set_spte, by the first frame of the mapping; val its first pfn. */
		w->levels = (uint32_t)fld(rec, "level", 0);
		w->key = gfn & ~(level_span(w->levels) - 1);
		w->t = t;
		w->val = fld(rec, "pfn", 0) - (gfn - w->key);
	} else if (!strcmp(name, "kvm_tdp_mmu_spte_changed")) {
		j->tdp_changes++;
	} else if (!strcmp(name, "host_page_fault") || !strcmp(name, "host_gup_fault")) {
		bool gup = name[5] == 'g';

		w = jvec__add(&j->hosts);
		if (!w)
			return -ENOMEM;
		w->addr = fld(rec, gup ? "hva" : "address", 0);
		w->key = w->addr >> X86_PAGE_SHIFT;
		w->t = t;
		w->val = gup;
		if (gup)
			w->pte[0] = fld(rec, "pfn", 0); /* the frame KVM got */
	} else if (!strcmp(name, "vmm_memslot")) {
		if (j->nslots < JOIN_MAX_SLOTS)
			j->slot[j->nslots++] = (struct jslot){.gpa = fld(rec, "gpa", 0),
							      .size = fld(rec, "size", 0),
							      .hva = fld(rec, "hva", 0)};
	} else if (!strcmp(name, "vmm_chain")) {
		if (grow((void **)&j->chain, &j->capchain, j->nchain, sizeof(*j->chain)))
			return -ENOMEM;
		j->chain[j->nchain++] =
			(struct jchain){.gfn = gpa_to_gfn(fld(rec, "gpa", 0)),
					.hvpn = fld(rec, "hva", 0) >> X86_PAGE_SHIFT};
	}
	return 0;
}

static int cmp_walk(const void *a, const void *b)
{
	const struct jwalk *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->t < y->t ? -1 : x->t > y->t;
}

static int cmp_chain(const void *a, const void *b)
{
	const struct jchain *x = a, *y = b;

	return x->gfn < y->gfn ? -1 : x->gfn > y->gfn;
}

static int cmp_fault(const void *a, const void *b)
{
	const struct jfault *x = a, *y = b;

	return x->t < y->t ? -1 : x->t > y->t;
}

/* qsort, which must not be given a NULL array even when it is empty. */
static void sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n)
		qsort(v, n, size, cmp);
}

/* Index of the first entry >= (key, t), or v->n. */
static size_t lower_bound(const struct jvec *v, uint64_t key, uint64_t t)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct jwalk *w = &v->v[mid];

		if (w->key < key || (w->key == key && w->t < t))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first entry of @key at or after @t. */
static const struct jwalk *first_after(const struct jvec *v, uint64_t key, uint64_t t)
{
	size_t i = lower_bound(v, key, t);

	return i < v->n && v->v[i].key == key ? &v->v[i] : NULL;
}

/* The entry of @key nearest in time to @t. */
static const struct jwalk *nearest(const struct jvec *v, uint64_t key, uint64_t t)
{
	size_t i = lower_bound(v, key, t);
	const struct jwalk *after = i < v->n && v->v[i].key == key ? &v->v[i] : NULL;
	const struct jwalk *before = i > 0 && v->v[i - 1].key == key ? &v->v[i - 1] : NULL;

	if (!before)
		return after;
	if (!after)
		return before;
	return after->t - t < t - before->t ? after : before;
}

/*
 * The entry of @v (keyed by the first frame of its mapping, levels its
 * level) that maps 4K frame @gfn: the first at or after @t at any of 4K, 2M
 * and 1G; else the last before @t, with *before set.
 */
static const struct jwalk *covering(const struct jvec *v, uint64_t gfn, uint64_t t, bool *before)
{
	const struct jwalk *after = NULL, *last = NULL;

	for (uint32_t level = 1; level <= 3; level++) {
		uint64_t key = gfn & ~(level_span(level) - 1);
		size_t i = lower_bound(v, key, t);

		for (size_t k = i; k < v->n && v->v[k].key == key; k++) {
			if (level_span(v->v[k].levels) == level_span(level)) {
				if (!after || v->v[k].t < after->t)
					after = &v->v[k];
				break;
			}
		}
		for (size_t k = i; k-- > 0 && v->v[k].key == key;) {
			if (level_span(v->v[k].levels) == level_span(level)) {
				if (!last || v->v[k].t > last->t)
					last = &v->v[k];
				break;
			}
		}
	}
	*before = !after && last;
	return after ? after : last;
}

static bool join__hva(const struct ev_join *j, uint64_t gpa, uint64_t *hva)
{
	size_t lo = 0, hi = j->nchain;

	for (unsigned i = 0; i < j->nslots; i++)
		if (gpa >= j->slot[i].gpa && gpa - j->slot[i].gpa < j->slot[i].size) {
			*hva = j->slot[i].hva + (gpa - j->slot[i].gpa);
			return true;
		}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (j->chain[mid].gfn < gpa_to_gfn(gpa))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < j->nchain && j->chain[lo].gfn == gpa_to_gfn(gpa)) {
		*hva = (j->chain[lo].hvpn << X86_PAGE_SHIFT) | (gpa & X86_PAGE_MASK);
		return true;
	}
	return false;
}

/* Guest fault @g and its partners into @f. */
static void join__match(const struct ev_join *j, const struct jfault *g, struct ev_joined *f)
{
	const struct jwalk *w = first_after(&j->walks, g->cr2 >> X86_PAGE_SHIFT, g->t);
	uint64_t gpa = fault_gpa4k(g);
	bool before;

	*f = (struct ev_joined){.cr2 = g->cr2,
				.rip = g->rip,
				.gpa = g->gpa,
				.cr3 = g->cr3,
				.error_code = g->error_code,
				.page_shift = g->page_shift,
				.cpu = g->cpu,
				.t_fault = g->t};
	if (w) {
		f->has_walk = true;
		f->t_walk = w->t;
		f->walk_addr = w->addr;
		f->walk_levels = w->levels;
		f->walk_error = w->error;
		memcpy(f->walk_pte, w->pte, sizeof(f->walk_pte));
	}
	if (f->gpa == ~0ULL)
		return; /* a fatal fault mapped nothing */
	w = covering(&j->sptes, gpa_to_gfn(gpa), f->t_fault, &before);
	if (w) {
		f->has_spte = true;
		f->spte_before = before;
		f->t_spte = w->t;
		f->spte = w->val;
		f->spte_level = w->levels;
	}
	w = covering(&j->reqs, gpa_to_gfn(gpa), f->t_fault, &before);
	if (w) {
		f->has_hpa = true;
		f->hpa = pfn_to_hpa(w->val + (gpa_to_gfn(gpa) - w->key)) | (gpa & X86_PAGE_MASK);
	}
	f->hva_known = join__hva(j, gpa, &f->hva);
	if (!f->hva_known)
		return;
	w = nearest(&j->hosts, f->hva >> X86_PAGE_SHIFT, f->t_fault);
	if (w) {
		f->has_host = true;
		f->t_host = w->t;
		f->host_addr = w->addr;
		f->host_gup = w->val != 0;
		/*
		 * The frame KVM got from get_user_pages is the page's final one; the
		 * first SPTE request may have mapped the host zero page for a read.
		 */
		if (f->host_gup && w->pte[0]) {
			f->has_hpa = true;
			f->hpa = pfn_to_hpa(w->pte[0]) | (gpa & X86_PAGE_MASK);
		}
	}
}

int ev_join_read(struct ev_reader *r, struct ev_join **jp)
{
	struct ev_join *j = calloc(1, sizeof(*j));
	struct ev_joined f;
	struct ev_record rec;
	struct ev_clock clock;
	int ret;

	*jp = NULL;
	if (!j)
		return -ENOMEM;
	j->cur = malloc(sizeof(*j->cur));
	if (!j->cur) {
		free(j);
		return -ENOMEM;
	}
	ev_clock_init(&clock, ev_reader_header(r));
	while ((ret = ev_read(r, &rec)) == 1) {
		ev_clock_see(&clock, &rec);
		if (rec.type->id > EV_NOTE && join__add(j, &rec, ev_clock_ns(&clock, &rec))) {
			ev_join_free(j);
			return -ENOMEM;
		}
	}
	sort(j->walks.v, j->walks.n, sizeof(*j->walks.v), cmp_walk);
	sort(j->sptes.v, j->sptes.n, sizeof(*j->sptes.v), cmp_walk);
	sort(j->hosts.v, j->hosts.n, sizeof(*j->hosts.v), cmp_walk);
	sort(j->reqs.v, j->reqs.n, sizeof(*j->reqs.v), cmp_walk);
	sort(j->chain, j->nchain, sizeof(*j->chain), cmp_chain);
	sort(j->f, j->nf, sizeof(*j->f), cmp_fault);
	for (size_t i = 0; i < j->nf; i++) {
		join__match(j, &j->f[i], &f);
		j->with_walk += f.has_walk;
		j->with_spte += f.has_spte;
		j->with_host += f.has_host;
	}
	*jp = j;
	return ret < 0 ? -1 : 0;
}

void ev_join_free(struct ev_join *j)
{
	if (!j)
		return;
	free(j->f);
	free(j->cur);
	free(j->walks.v);
	free(j->sptes.v);
	free(j->hosts.v);
	free(j->reqs.v);
	free(j->chain);
	free(j);
}

size_t ev_join_count(const struct ev_join *j)
{
	return j->nf;
}

const struct ev_joined *ev_join_get(const struct ev_join *j, size_t i)
{
	if (i >= j->nf)
		return NULL;
	join__match(j, &j->f[i], j->cur);
	return j->cur;
}

void ev_join_totals(const struct ev_join *j, uint64_t *faults, uint64_t *with_walk,
		    uint64_t *with_host)
{
	*faults = j->nf;
	*with_walk = j->with_walk;
	*with_host = j->with_host;
}

uint64_t ev_join_with_spte(const struct ev_join *j)
{
	return j->with_spte;
}

bool ev_join_tdp(const struct ev_join *j)
{
	return j->tdp_changes && !j->with_walk;
}

void ev_join_print(const struct ev_join *j, FILE *out)
{
	bool tdp = ev_join_tdp(j);

	for (size_t i = 0; i < j->nf; i++) {
		const struct ev_joined *f = ev_join_get(j, i);

		fprintf(out,
			"%" PRIu64 " cpu %u  GVA 0x%" PRIx64 " -> GPA 0x%" PRIx64
			" (guest, err 0x%x) | ",
			f->t_fault, f->cpu, f->cr2, f->gpa, f->error_code);
		if (f->has_walk)
			fprintf(out, "KVM walk %u levels%s", f->walk_levels,
				f->walk_error ? " (error)" : "");
		else
			fprintf(out, "no KVM walk%s", tdp ? " (TDP)" : "");
		if (f->has_spte)
			fprintf(out, ", %s level %u%s", tdp ? "NPT/EPT fault, SPTE" : "SPTE",
				f->spte_level, f->spte_before ? " (mapped before)" : "");
		else
			fprintf(out, ", no SPTE");
		if (f->has_hpa)
			fprintf(out, ", HPA 0x%" PRIx64, f->hpa);
		if (f->has_host)
			fprintf(out, " | host fault (%s) HVA 0x%" PRIx64 "\n",
				f->host_gup ? "gup" : "exception", f->host_addr);
		else if (f->hva_known)
			fprintf(out, " | no host fault (HVA 0x%" PRIx64 ")\n", f->hva);
		else
			fprintf(out, " | no host fault (HVA unknown)\n");
	}
}
