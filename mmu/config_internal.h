/* SPDX-License-Identifier: GPL-2.0 */
/* Private to mmu/config*.c: parser state, line bookkeeping for errors, preset texts. */
#ifndef MEMVIRT_MMU_CONFIG_INTERNAL_H
#define MEMVIRT_MMU_CONFIG_INTERNAL_H

/*
 * The widest set the model takes: an LRU fill scans every way of its set for
 * the oldest stamp, so wider sets cost time per miss; no hardware TLB or cache
 * comes near it. Checked in cfg_check_assoc (files and code alike).
 */
#define CFG_MAX_WAYS 1024u

#include "mmu/mmu.h"

/* Lines of single keys, so checks made after parsing still point at the right line. */
enum cfg_line {
	CFG_L_LEVELS,
	CFG_L_HOST_LEVELS,
	CFG_L_MAXPHYADDR,
	CFG_L_PWC,
	CFG_L_NTLB,
	CFG_L_CACHE,
	CFG_L_MEMORY,
	CFG_L_SHADOW,
	CFG_L_COUNT,
};

struct cfg_parse {
	const char *file;
	char *err;
	size_t errlen;
	bool failed;
	unsigned line;
	unsigned line_of[CFG_L_COUNT];
	/* [l][i]: line of array i's ways key (or its section); [l][PAGE_SIZES]: the [tlbN] section
	 */
	unsigned tlb_line[SIM_MAX_TLB_LEVELS][PAGE_SIZES + 1];
	unsigned tlb_any_line; /* the first TLB section, for errors about missing levels */
	unsigned cache_line[SIM_MAX_CACHE_LEVELS];
	unsigned cache_sect_line[SIM_MAX_CACHE_LEVELS];
	uint64_t cache_size[SIM_MAX_CACHE_LEVELS]; /* bytes, when set by this text */
	unsigned cache_size_line[SIM_MAX_CACHE_LEVELS];
	unsigned pwc_level_line; /* the last per-level [pwc] key of this text */
	unsigned pwc_one_line;	 /* the last [pwc] entries or ways key of this text */
	bool tlb_reset, cache_reset, any_key;
	int section; /* enum cfg_section */
	unsigned sect_level, sect_array;
};

__attribute__((format(printf, 4, 5))) void cfg_error(struct cfg_parse *p, unsigned line,
						     const char *key, const char *fmt, ...);
void cfg_check_assoc(struct cfg_parse *p, const struct assoc_config *g, const char *what,
		     bool may_be_absent, unsigned line_entries, unsigned line_ways);
/* Every cross-field rule; returns 0 or -EINVAL with the first error in p->err. */
int cfg_check(struct cfg_parse *p, const struct sim_config *c);

/* The text of a compiled-in preset, or NULL. */
const char *preset_text(const char *name);

#endif
