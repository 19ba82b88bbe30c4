// SPDX-License-Identifier: GPL-2.0
/* The cost model: cycles per event from the configuration, summed into a breakdown by category. */
#include <string.h>

#include "mmu/mmu.h"

/*
 * Every translation probes TLB level 1; a miss at level l probes level l+1;
 * a miss at the last level walks. A walk costs the hit latency of each
 * page-walk cache or nested-TLB lookup that hit, plus, for each table load,
 * the latency of the cache level that held the entry or of memory.
 * Simplification: the costs add up serially: no overlap of loads, no
 * concurrent walks, no speculation; misses in the PWC or nested TLB and the
 * data access itself cost nothing here.
 */
void cost__breakdown(const struct sim_config *cfg, const struct sim_result *r, struct sim_cycles *c)
{
	uint64_t probes = r->accesses, pwc_hits = 0, hpwc_hits = 0;

	memset(c, 0, sizeof(*c));
	for (unsigned l = 0; l < cfg->tlb.nlevels && l < SIM_MAX_TLB_LEVELS; l++) {
		c->tlb[l] = probes * cfg->tlb.level[l].latency;
		probes = r->tlb_misses[l];
	}
	for (unsigned l = 0; l <= PT_MAX_LEVELS; l++) {
		pwc_hits += r->pwc_hits[l];
		hpwc_hits += r->host_pwc_hits[l];
	}
	c->pwc = pwc_hits * cfg->pwc.latency;
	c->host_pwc = hpwc_hits * cfg->pwc.latency;
	c->ntlb = r->ntlb_hits * cfg->ntlb_latency;
	for (unsigned k = 0; k < cfg->cache.nlevels && k < SIM_MAX_CACHE_LEVELS; k++)
		c->loads[k] = r->loads_at[k] * cfg->cache.level[k].latency;
	c->loads[SIM_MAX_CACHE_LEVELS] = r->loads_at[SIM_MAX_CACHE_LEVELS] * cfg->mem_latency;
	for (unsigned e = 0; e < SIM_SHADOW_EVENTS; e++)
		c->shadow[e] = r->shadow_cycles[e];

	for (unsigned l = 0; l < SIM_MAX_TLB_LEVELS; l++)
		c->total += c->tlb[l];
	c->total += c->pwc + c->host_pwc + c->ntlb;
	for (unsigned k = 0; k <= SIM_MAX_CACHE_LEVELS; k++)
		c->total += c->loads[k];
	for (unsigned e = 0; e < SIM_SHADOW_EVENTS; e++)
		c->total += c->shadow[e];
}
