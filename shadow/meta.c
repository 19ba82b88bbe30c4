// SPDX-License-Identifier: GPL-2.0
/* Per-frame metadata of the shadow MMU model (rmaps, huge-page disallow counts, write tracking)
 * in an open-addressing hash map, and the small SPTE-pointer lists the model keeps. */
#include <errno.h>
#include <stdlib.h>

#include "shadow/internal.h"

#define META_EMPTY UINT64_MAX

static size_t meta_slot(uint64_t key, size_t cap)
{
	/* Fibonacci hashing; cap is a power of two. */
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
}

static int meta_grow(struct meta_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024;
	uint64_t *keys = malloc(cap * sizeof(*keys));
	struct frame_meta **vals = calloc(cap, sizeof(*vals));

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cap; i++)
		keys[i] = META_EMPTY;
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (m->keys[i] == META_EMPTY)
			continue;
		for (j = meta_slot(m->keys[i], cap); keys[j] != META_EMPTY; j = (j + 1) & (cap - 1))
			;
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

/* The metadata of the @level frame number @frame; created (zeroed) when @create. NULL when
 * absent and not created, or out of memory. */
struct frame_meta *meta_get(struct meta_map *m, unsigned level, uint64_t frame, bool create)
{
	uint64_t key = frame << 2 | (level & 3);
	size_t j;

	if (m->cap) {
		for (j = meta_slot(key, m->cap); m->keys[j] != META_EMPTY;
		     j = (j + 1) & (m->cap - 1))
			if (m->keys[j] == key)
				return m->vals[j];
	}
	if (!create)
		return NULL;
	if ((m->n + 1) * 2 > m->cap && meta_grow(m))
		return NULL;
	for (j = meta_slot(key, m->cap); m->keys[j] != META_EMPTY; j = (j + 1) & (m->cap - 1))
		;
	m->vals[j] = calloc(1, sizeof(struct frame_meta));
	if (!m->vals[j])
		return NULL;
	m->keys[j] = key;
	m->n++;
	return m->vals[j];
}

void meta_free(struct meta_map *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] == META_EMPTY)
			continue;
		free(m->vals[i]->rmap.v);
		free(m->vals[i]);
	}
	free(m->keys);
	free(m->vals);
	*m = (struct meta_map){0};
}

int sptep_list_add(struct sptep_list *l, struct shadow_page *sp, unsigned idx)
{
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 2;
		struct sptep *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct sptep){sp, idx};
	return 0;
}

void sptep_list_del(struct sptep_list *l, struct shadow_page *sp, unsigned idx)
{
	for (uint32_t i = 0; i < l->n; i++) {
		if (l->v[i].sp == sp && l->v[i].idx == idx) {
			l->v[i] = l->v[--l->n];
			return;
		}
	}
}
