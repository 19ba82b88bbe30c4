// SPDX-License-Identifier: GPL-2.0
/* The pages a simulation has translated so far: a first translation is a compulsory miss. */
#include <errno.h>
#include <stdlib.h>

#include "mmu/mmu_internal.h"

static size_t seen_hash(uint64_t a, uint64_t b)
{
	uint64_t x = a * 0x9E3779B97F4A7C15ULL ^ b * 0xC2B2AE3D27D4EB4FULL;

	x ^= x >> 31;
	return (size_t)(x * 0xff51afd7ed558ccdULL >> 17);
}

/* Place a key known not to be present (no growth). */
static void seen_place(struct seen_set *s, uint64_t a, uint64_t b)
{
	size_t i = seen_hash(a, b) & (s->cap - 1);

	while (s->key[i].a1)
		i = (i + 1) & (s->cap - 1);
	s->key[i] = (struct seen_key){a + 1, b};
	s->n++;
}

static int seen_grow(struct seen_set *s)
{
	struct seen_set n = {.cap = s->cap ? s->cap * 2 : 4096};

	n.key = calloc(n.cap, sizeof(*n.key));
	if (!n.key)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->key[i].a1)
			seen_place(&n, s->key[i].a1 - 1, s->key[i].b);
	free(s->key);
	*s = n;
	return 0;
}

int seen__add(struct seen_set *s, uint64_t a, uint64_t b)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap && seen_grow(s))
		return -ENOMEM;
	for (i = seen_hash(a, b) & (s->cap - 1); s->key[i].a1; i = (i + 1) & (s->cap - 1))
		if (s->key[i].a1 == a + 1 && s->key[i].b == b)
			return 0;
	s->key[i] = (struct seen_key){a + 1, b};
	s->n++;
	return 1;
}

void seen__fini(struct seen_set *s)
{
	free(s->key);
	*s = (struct seen_set){0};
}
