// SPDX-License-Identifier: GPL-2.0
/* The KVM shadow MMU model: configuration, construction, and what it shows of itself. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/internal.h"

void shadow_config__default(struct shadow_config *cfg)
{
	*cfg = (struct shadow_config){
		.levels = 4,
		.ram_pages = SZ_1G / X86_PAGE_SIZE,
		.max_mmu_pages = 0,
		.maxphyaddr = 46,
		.max_huge_level = 3,
		.gbpages = true,
		.spt_base = 0x100000000000ULL,
	};
}

/*
 * kvm_arch_commit_memory_region() (arch/x86/kvm/x86.c): unless userspace set a limit, the
 * memslot pages / KVM_MEMSLOT_PAGES_TO_MMU_PAGES_RATIO, at least KVM_MIN_ALLOC_MMU_PAGES.
 */
static uint64_t default_max_pages(const struct shadow_config *cfg)
{
	uint64_t n = cfg->ram_pages / SHADOW_PAGES_RATIO;

	if (cfg->max_mmu_pages)
		return cfg->max_mmu_pages;
	return n < SHADOW_MIN_ALLOC_PAGES ? SHADOW_MIN_ALLOC_PAGES : n;
}

static bool config_ok(const struct shadow_config *cfg, const struct shadow_guest_ops *ops)
{
	return ops && ops->read && ops->host_page && (cfg->levels == 4 || cfg->levels == 5) &&
	       cfg->maxphyaddr >= 32 && cfg->maxphyaddr <= 52 && cfg->max_huge_level >= 1 &&
	       cfg->max_huge_level <= 3 && !(cfg->spt_base & X86_PAGE_MASK);
}

struct shadow *shadow__new(const struct shadow_config *cfg, const struct shadow_guest_ops *ops,
			   void *ctx)
{
	struct shadow *s;

	if (!cfg || !config_ok(cfg, ops)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->hash_shift = SHADOW_HASH_SHIFT;
	s->hash = calloc((size_t)1 << s->hash_shift, sizeof(*s->hash));
	if (!s->hash) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	s->cfg = *cfg;
	s->ops = *ops;
	s->ctx = ctx;
	s->n_max = default_max_pages(cfg);
	walk_init_rsvd(s);
	/* kvm_init_shadow_mmu(): the guest's role with level 4/5, CR0.WP=1, EFER.NX forced on */
	s->root_role.level = cfg->levels;
	s->root_role.access = SHADOW_ACC_ALL;
	s->root_role.cr0_wp = 1;
	s->root_role.efer_nx = 1;
	return s;
}

void shadow__delete(struct shadow *s)
{
	if (!s)
		return;
	for (size_t b = 0; s->hash && b < ((size_t)1 << s->hash_shift); b++) {
		while (s->hash[b]) {
			struct shadow_page *sp = s->hash[b];

			s->hash[b] = sp->hash_next;
			free(sp->parents.v);
			spt_store_free(&sp->spt);
			free(sp);
		}
	}
	free(s->hash);
	meta_free(&s->meta);
	free(s->by_frame);
	free(s->free_frames);
	free(s);
}

uint64_t shadow__live_pages(const struct shadow *s)
{
	return s->n_used;
}

uint64_t shadow__max_pages(const struct shadow *s)
{
	return s->n_max;
}

hpa_t shadow__root_hpa(const struct shadow *s)
{
	return s->root.sp ? sp_hpa(s, s->root.sp) : 0;
}

/* Simplification: a frame no shadow page holds reads as zeros (not present). */
uint64_t shadow__read_spte(const struct shadow *s, hpa_t hpa)
{
	uint64_t frame = (hpa - s->cfg.spt_base) >> X86_PAGE_SHIFT;
	const struct shadow_page *sp;

	if (hpa < s->cfg.spt_base || frame >= s->nframes || !(sp = s->by_frame[frame]))
		return 0;
	return spt_get(sp, (unsigned)((hpa & X86_PAGE_MASK) >> 3));
}

void shadow__stats(const struct shadow *s, struct shadow_stats *out)
{
	*out = s->st;
}
