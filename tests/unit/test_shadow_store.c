// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow model's private storage: a shadow page's SPTEs and translations read back as
 * written (whether inline or in 4 KiB arrays), against a plain 512-entry reference; and the
 * hash of shadow pages, past KVM's 4096 buckets, still giving the pages of a gfn newest first
 * (kvm_mmu_alloc_shadow_page() adds to the head of the gfn's hlist).
 */
#include <errno.h>
#include <stdlib.h>

#include "test.h"

#include "shadow/internal.h"

static int no_read(void *ctx, gpa_t gpa, uint64_t *val)
{
	(void)ctx;
	(void)gpa;
	*val = 0;
	return 0;
}

static int no_host(void *ctx, gfn_t gfn, enum shadow_host_access acc, pfn_t *pfn, unsigned *level,
		   bool *writable)
{
	(void)ctx;
	(void)acc;
	(void)level;
	(void)writable;
	*pfn = gfn;
	return 0;
}

static struct shadow *new_shadow(void)
{
	static const struct shadow_guest_ops ops = {.read = no_read, .host_page = no_host};
	struct shadow_config cfg;

	shadow_config__default(&cfg);
	return shadow__new(&cfg, &ops, NULL);
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Every entry of @sp against the reference; the translation only where the SPTE is non-zero
 * (the only place the model reads it). spt_next() must visit exactly the non-zero entries. */
static void check_page(const struct shadow_page *sp, const uint64_t *spte, const uint64_t *xlat)
{
	unsigned want = 0, got;

	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		CHECK_EQ_U64(spt_get(sp, i), spte[i]);
		if (spte[i])
			CHECK_EQ_U64(sp_xlat(sp, i), xlat[i]);
	}
	for (got = spt_next(sp, 0);; got = spt_next(sp, got + 1)) {
		while (want < PT_ENTRIES && !spte[want])
			want++;
		CHECK_EQ_U64(got, want);
		if (got >= PT_ENTRIES || want >= PT_ENTRIES)
			break;
		want++;
	}
}

/* Up to SPT_SMALL non-zero entries stay inline, in any order of indices; one more moves
 * them to arrays; an entry set to zero leaves the inline list (room for another). */
static void test_inline_then_arrays(void)
{
	struct shadow *s = new_shadow();
	struct shadow_page sp = {.role.level = 1};
	uint64_t spte[PT_ENTRIES] = {0}, xlat[PT_ENTRIES] = {0};
	const unsigned idx[] = {300, 7, 511, 0};

	CHECK(s != NULL);
	if (!s)
		return;
	check_page(&sp, spte, xlat);
	spt_set(s, &sp, 9, 0); /* a zero into an absent entry takes no slot */
	for (unsigned k = 0; k < 4; k++) {
		spte[idx[k]] = 0x1000ULL * (k + 1) | 1;
		xlat[idx[k]] = 0x5000ULL * (k + 1) | 7;
		spt_set(s, &sp, idx[k], spte[idx[k]]);
		sp_xlat_set(s, &sp, idx[k], xlat[idx[k]]);
	}
	CHECK(!sp.spt.full);
	check_page(&sp, spte, xlat);
	spte[7] = 0;
	spt_set(s, &sp, 7, 0);
	spte[100] = 0xabc001;
	spt_set(s, &sp, 100, spte[100]);
	xlat[100] = 0x42;
	sp_xlat_set(s, &sp, 100, xlat[100]);
	CHECK(!sp.spt.full);
	check_page(&sp, spte, xlat);
	spte[200] = 0xdef001;
	spt_set(s, &sp, 200, spte[200]);
	CHECK(sp.spt.full);
	CHECK(!s->oom);
	check_page(&sp, spte, xlat);
	spt_store_free(&sp.spt);
	shadow__delete(s);
}

/*
 * Random stores against the reference, on pages that stay sparse and pages that fill up. As
 * the model does (rmap_add() after an SPTE becomes present), a translation is written when
 * an SPTE goes from zero to non-zero, and may be rewritten while it is non-zero.
 */
static void test_random(void)
{
	struct shadow *s = new_shadow();

	CHECK(s != NULL);
	for (unsigned round = 0; s && round < 200; round++) {
		struct shadow_page sp = {.role.level = 1};
		uint64_t spte[PT_ENTRIES] = {0}, xlat[PT_ENTRIES] = {0};
		unsigned span = round % 2 ? 6 : PT_ENTRIES; /* few indices: stays inline longer */

		for (unsigned op = 0; op < 400; op++) {
			unsigned i = (unsigned)(next_rand() % span) * (PT_ENTRIES / span);
			uint64_t r = next_rand();

			if (r % 4 == 0) {
				spte[i] = 0;
				spt_set(s, &sp, i, 0);
			} else if (r % 4 == 1 && spte[i]) {
				xlat[i] = r >> 8;
				sp_xlat_set(s, &sp, i, xlat[i]);
			} else {
				bool was_zero = !spte[i];

				spte[i] = (r >> 4) | 1;
				spt_set(s, &sp, i, spte[i]);
				if (was_zero) {
					xlat[i] = r >> 12;
					sp_xlat_set(s, &sp, i, xlat[i]);
				}
			}
		}
		check_page(&sp, spte, xlat);
		spt_store_free(&sp.spt);
	}
	CHECK(s && !s->oom);
	shadow__delete(s);
}

/* 20,000 direct shadow pages over 5,000 gfns, 4 roles each (access 0..3): the buckets grow
 * past 4096, and each gfn's chain still lists its 4 pages newest first. */
static void test_hash_order(void)
{
	enum { GFNS = 5000, ROLES = 4 };
	struct shadow *s = new_shadow();
	static struct shadow_page *made[GFNS][ROLES];

	CHECK(s != NULL);
	if (!s)
		return;
	for (unsigned a = 0; a < ROLES; a++) {
		for (unsigned g = 0; g < GFNS; g++) {
			union sp_role role = {.word = 0};

			role.level = 1;
			role.direct = 1;
			role.access = a;
			made[g][a] = get_shadow_page(s, (gfn_t)g * 977, role);
			CHECK(made[g][a] != NULL);
		}
	}
	CHECK((1ULL << s->hash_shift) >= GFNS * ROLES);
	for (unsigned g = 0; g < GFNS; g++) {
		unsigned a = ROLES;

		for (struct shadow_page *sp = hash_first(s, (gfn_t)g * 977); sp;
		     sp = sp->hash_next) {
			if (sp->gfn != (gfn_t)g * 977)
				continue;
			CHECK(a > 0);
			if (a == 0)
				break;
			CHECK(sp == made[g][--a]);
		}
		CHECK_EQ_U64(a, 0);
	}
	shadow__delete(s);
}

int main(void)
{
	test_inline_then_arrays();
	test_random();
	test_hash_order();
	TEST_DONE();
}
