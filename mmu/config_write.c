// SPDX-License-Identifier: GPL-2.0
/* A configuration written back in the file format, so a result can name exactly what produced it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mmu/mmu.h"

struct cfg_out {
	char *buf;
	size_t len, used;
	bool overflow;
};

__attribute__((format(printf, 2, 3))) static void out(struct cfg_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used)
		o->overflow = true;
	else
		o->used += (size_t)n;
}

static void out_sizes(struct cfg_out *o, uint32_t sizes)
{
	const char *sep = "";

	for (unsigned ps = 0; ps < PAGE_SIZES; ps++) {
		if (sizes & (1u << ps)) {
			out(o, "%s%s", sep, ps == PAGE_4K ? "4k" : ps == PAGE_2M ? "2m" : "1g");
			sep = "+";
		}
	}
}

static void out_tlb(struct cfg_out *o, const struct tlb_config *t)
{
	for (unsigned l = 0; l < t->nlevels; l++) {
		out(o, "[tlb%u]\nlatency = %u\n", l + 1, t->level[l].latency);
		for (unsigned i = 0; i < t->level[l].narrays; i++) {
			const struct tlb_array_config *a = &t->level[l].array[i];

			out(o, "[tlb%u.", l + 1);
			out_sizes(o, a->sizes);
			out(o, "]\nentries = %u\nways = %u\npolicy = %s\n", a->geo.entries,
			    a->geo.ways, repl_policy_name(a->geo.policy));
		}
	}
}

static void out_pwc(struct cfg_out *o, const struct sim_config *c)
{
	static const char *const prefix[] = {"", "", "pde_", "pdpte_", "pml4e_", "pml5e_"};

	out(o, "[pwc]\nlatency = %u\n", c->pwc.latency);
	if (c->pwc.org != PWC_ORG_SPLIT)
		out(o, "organisation = %s\nentries = %u\nways = %u\npolicy = %s\n",
		    pwc_org_name(c->pwc.org), c->pwc.one.entries, c->pwc.one.ways,
		    repl_policy_name(c->pwc.one.policy));
	if (c->pwc.host_off)
		out(o, "host = no\n");
	for (unsigned l = 2; l <= PT_MAX_LEVELS; l++) {
		if (!c->pwc.level[l].entries)
			continue;
		out(o, "%sentries = %u\n%sways = %u\n", prefix[l], c->pwc.level[l].entries,
		    prefix[l], c->pwc.level[l].ways);
	}
	if (c->ntlb.entries)
		out(o, "[nested_tlb]\nentries = %u\nways = %u\npolicy = %s\nlatency = %u\n",
		    c->ntlb.entries, c->ntlb.ways, repl_policy_name(c->ntlb.policy),
		    c->ntlb_latency);
}

static void out_cache(struct cfg_out *o, const struct sim_config *c)
{
	out(o, "[cache]\nline = %u\nmodel_data = %s\n", c->cache.line,
	    c->cache.model_data ? "yes" : "no");
	for (unsigned k = 0; k < c->cache.nlevels; k++) {
		const struct cache_level_config *cl = &c->cache.level[k];

		out(o, "[cache%u]\nsize = %llu\nways = %u\npolicy = %s\nlatency = %u\n", k + 1,
		    (unsigned long long)cl->geo.entries * c->cache.line, cl->geo.ways,
		    repl_policy_name(cl->geo.policy), cl->latency);
	}
	out(o, "[memory]\nlatency = %u\n[shadow]\n", c->mem_latency);
	for (unsigned e = 0; e < SIM_SHADOW_EVENTS; e++)
		out(o, "%s = %llu\n", sim_shadow_event_name((enum sim_shadow_event)e),
		    (unsigned long long)c->shadow_cost[e]);
}

int sim_config__write(const struct sim_config *c, char *buf, size_t len)
{
	struct cfg_out o = {.buf = buf, .len = len};

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	out(&o, "[sim]\nname = %s\nseed = %llu\n", c->name, (unsigned long long)c->seed);
	out(&o, "[paging]\nlevels = %u\nhost_levels = %u\nmaxphyaddr = %u\nnxe = %s\nset_ad = %s\n",
	    c->levels, c->host_levels, c->maxphyaddr, c->nxe ? "yes" : "no",
	    c->set_ad ? "yes" : "no");
	out_tlb(&o, &c->tlb);
	out_pwc(&o, c);
	out_cache(&o, c);
	return o.overflow ? -ENOSPC : 0;
}
