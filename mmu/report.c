// SPDX-License-Identifier: GPL-2.0
/* Simulation results as JSON (docs/sim-model.md names every field's unit and counting rule). */
#include <stdio.h>

#include "common/json.h"
#include "mmu/mmu.h"

static const char *const level_names[] = {"data", "pte", "pde", "pdpte", "pml4e", "pml5e"};

static void json_tlb(const struct sim_result *r, struct json *j)
{
	char key[16];

	json_arr_begin(j, "tlb");
	for (unsigned l = 0; l < r->tlb_levels; l++) {
		json_obj_begin(j, NULL);
		json_u64(j, "level", l + 1);
		json_obj_begin(j, "hits");
		for (unsigned ps = 0; ps < PAGE_SIZES; ps++)
			json_u64(j, page_size_name((enum page_size)ps), r->tlb_hits[l][ps]);
		json_obj_end(j);
		json_u64(j, "misses", r->tlb_misses[l]);
		json_double(j, "misses_per_1000_accesses", r->tlb_mpka[l]);
		snprintf(key, sizeof(key), "cycles");
		json_u64(j, key, r->cycles.tlb[l]);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* Per-level counts, keyed by the entry name (pte .. pml5e). */
static void json_levels(struct json *j, const char *key, const uint64_t *v)
{
	json_obj_begin(j, key);
	for (unsigned l = 1; l <= PT_MAX_LEVELS; l++)
		json_u64(j, level_names[l], v[l]);
	json_obj_end(j);
}

static void json_walks(const struct sim_result *r, struct json *j)
{
	unsigned last = 0;

	json_obj_begin(j, "walks");
	json_u64(j, "count", r->walks);
	json_obj_begin(j, "by_page_size");
	for (unsigned ps = 0; ps < PAGE_SIZES; ps++)
		json_u64(j, page_size_name((enum page_size)ps), r->walk_sizes[ps]);
	json_obj_end(j);
	json_u64(j, "table_refs", r->refs_walk);
	json_double(j, "refs_per_walk", r->refs_per_walk);
	json_levels(j, "guest_refs_by_level", r->refs_guest);
	json_levels(j, "host_refs_by_level", r->refs_host);
	for (unsigned b = 0; b < SIM_HIST_BUCKETS; b++)
		if (r->refs_hist[b])
			last = b;
	json_arr_begin(j, "refs_histogram"); /* index = table loads in one walk; last bucket open */
	for (unsigned b = 0; b <= last; b++)
		json_u64(j, NULL, r->refs_hist[b]);
	json_arr_end(j);
	json_obj_end(j);
}

static void json_caches(const struct sim_result *r, struct json *j)
{
	char key[16];

	json_obj_begin(j, "pwc");
	json_u64(j, "lookups", r->pwc_lookups);
	json_levels(j, "hits", r->pwc_hits);
	json_double(j, "hit_rate", r->pwc_hit_rate);
	json_obj_end(j);
	json_obj_begin(j, "host_pwc");
	json_u64(j, "lookups", r->host_pwc_lookups);
	json_levels(j, "hits", r->host_pwc_hits);
	json_double(j, "hit_rate", r->host_pwc_hit_rate);
	json_obj_end(j);
	json_obj_begin(j, "nested_tlb");
	json_u64(j, "lookups", r->ntlb_lookups);
	json_u64(j, "hits", r->ntlb_hits);
	json_double(j, "hit_rate", r->ntlb_hit_rate);
	json_obj_end(j);
	json_obj_begin(j, "table_loads_found_in");
	for (unsigned k = 0; k < r->cache_levels; k++) {
		snprintf(key, sizeof(key), "cache%u", k + 1);
		json_u64(j, key, r->loads_at[k]);
	}
	json_u64(j, "memory", r->loads_at[SIM_MAX_CACHE_LEVELS]);
	json_obj_end(j);
}

static void json_cycles(const struct sim_result *r, struct json *j)
{
	const struct sim_cycles *c = &r->cycles;
	char key[24];

	json_obj_begin(j, "cycles");
	for (unsigned l = 0; l < r->tlb_levels; l++) {
		snprintf(key, sizeof(key), "tlb%u", l + 1);
		json_u64(j, key, c->tlb[l]);
	}
	json_u64(j, "pwc", c->pwc);
	json_u64(j, "host_pwc", c->host_pwc);
	json_u64(j, "nested_tlb", c->ntlb);
	for (unsigned k = 0; k < r->cache_levels; k++) {
		snprintf(key, sizeof(key), "loads_cache%u", k + 1);
		json_u64(j, key, c->loads[k]);
	}
	json_u64(j, "loads_memory", c->loads[SIM_MAX_CACHE_LEVELS]);
	for (unsigned e = 0; e < SIM_SHADOW_EVENTS; e++) {
		snprintf(key, sizeof(key), "shadow_%s",
			 sim_shadow_event_name((enum sim_shadow_event)e));
		json_u64(j, key, c->shadow[e]);
	}
	json_u64(j, "total", c->total);
	json_double(j, "per_access", r->cycles_per_access);
	json_obj_end(j);
}

/*
 * The one-pass sweep: which level and array, then one row per size. Sets 0
 * (fully associative) has ways = entries.
 */
static void json_sweep(const struct tlb_sweep_result *sw, struct json *j)
{
	json_obj_begin(j, "tlb_sweep");
	json_u64(j, "level", sw->level + 1);
	json_str(j, "associativity", sw->sets ? "fixed sets" : "full");
	json_arr_begin(j, "array_page_sizes");
	for (unsigned ps = 0; ps < PAGE_SIZES; ps++)
		if (sw->array_sizes & (1u << ps))
			json_str(j, NULL, page_size_name((enum page_size)ps));
	json_arr_end(j);
	json_u64(j, "lookups", sw->lookups);
	json_obj_end(j);
	json_arr_begin(j, "tlb_sizes");
	for (unsigned i = 0; i < sw->nsizes; i++) {
		unsigned sets = sw->sets ? sw->sets : 1;

		json_obj_begin(j, NULL);
		json_u64(j, "entries", sw->entries[i]);
		json_u64(j, "sets", sets);
		json_u64(j, "ways", sw->entries[i] / sets);
		json_u64(j, "misses", sw->misses[i]);
		json_double(j, "misses_per_1000_accesses", sw->mpka[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
}

void sim_result_json(const struct sim_result *r, struct json *j)
{
	json_str(j, "config", r->config);
	json_str(j, "mode", paging_mode_name(r->mode));
	json_u64(j, "accesses", r->accesses);
	json_u64(j, "writes", r->writes);
	json_u64(j, "faults", r->faults);
	json_u64(j, "noncanonical", r->noncanonical);
	json_u64(j, "data_refs", r->refs_data);
	json_tlb(r, j);
	json_walks(r, j);
	json_caches(r, j);
	json_obj_begin(j, "shadow_events");
	for (unsigned e = 0; e < SIM_SHADOW_EVENTS; e++)
		json_u64(j, sim_shadow_event_name((enum sim_shadow_event)e), r->shadow_events[e]);
	json_obj_end(j);
	json_cycles(r, j);
	if (r->sweep.on)
		json_sweep(&r->sweep, j);
}
