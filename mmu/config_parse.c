// SPDX-License-Identifier: GPL-2.0
/* The configuration file format: [section] headers, key = value lines, # comments
 * (docs/sim-config.md). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "mmu/config_internal.h"

#define CFG_LINE_MAX 512

enum cfg_section {
	SECT_NONE,
	SECT_SIM,
	SECT_PAGING,
	SECT_TLB_LEVEL,
	SECT_TLB_ARRAY,
	SECT_PWC,
	SECT_NTLB,
	SECT_CACHE,
	SECT_CACHE_LEVEL,
	SECT_MEMORY,
	SECT_SHADOW,
};

static int cfg_uint(struct cfg_parse *p, const char *key, const char *val, unsigned *out,
		    unsigned min, unsigned max)
{
	uint64_t v;

	if (parse_u64(val, &v)) {
		cfg_error(p, p->line, key, "'%s' is not a number", val);
		return -EINVAL;
	}
	if (v < min || v > max) {
		cfg_error(p, p->line, key, "%s is out of range %u..%u", val, min, max);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

static int cfg_u64(struct cfg_parse *p, const char *key, const char *val, uint64_t *out)
{
	if (parse_u64(val, out)) {
		cfg_error(p, p->line, key, "'%s' is not a number", val);
		return -EINVAL;
	}
	return 0;
}

static int cfg_bool(struct cfg_parse *p, const char *key, const char *val, bool *out)
{
	if (!strcasecmp(val, "yes") || !strcasecmp(val, "true") || !strcmp(val, "1")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(val, "no") || !strcasecmp(val, "false") || !strcmp(val, "0")) {
		*out = false;
		return 0;
	}
	cfg_error(p, p->line, key, "'%s' is not a boolean: use yes or no", val);
	return -EINVAL;
}

static int cfg_policy(struct cfg_parse *p, const char *key, const char *val, enum repl_policy *out)
{
	for (unsigned i = 0; i <= REPL_RANDOM; i++) {
		if (!strcasecmp(val, repl_policy_name((enum repl_policy)i))) {
			*out = (enum repl_policy)i;
			return 0;
		}
	}
	cfg_error(p, p->line, key, "unknown policy '%s': use lru, plru or random", val);
	return -EINVAL;
}

static int cfg_unknown(struct cfg_parse *p, const char *key, const char *known)
{
	cfg_error(p, p->line, key, "unknown key in this section (known: %s)", known);
	return -EINVAL;
}

/* entries / ways / policy, shared by TLB arrays, the nested TLB and PWC levels. */
static int cfg_assoc_key(struct cfg_parse *p, struct assoc_config *g, const char *key,
			 const char *suffix, const char *val, unsigned *ways_line)
{
	if (!strcmp(suffix, "entries"))
		return cfg_uint(p, key, val, &g->entries, 0, 1u << 24);
	if (!strcmp(suffix, "ways")) {
		*ways_line = p->line;
		return cfg_uint(p, key, val, &g->ways, 0, UINT_MAX);
	}
	if (!strcmp(suffix, "policy"))
		return cfg_policy(p, key, val, &g->policy);
	return 1;
}

static int cfg_sim(struct cfg_parse *p, struct sim_config *c, const char *key, const char *val)
{
	if (!strcmp(key, "preset")) {
		const char *text = preset_text(val);
		char file[64];

		if (p->any_key) {
			cfg_error(p, p->line, key, "must be the first setting of the file");
			return -EINVAL;
		}
		if (!text) {
			cfg_error(p, p->line, key, "unknown preset '%s'", val);
			return -EINVAL;
		}
		snprintf(file, sizeof(file), "preset:%s", val);
		sim_config__textbook(c);
		if (sim_config__parse(c, text, file, p->err, p->errlen)) {
			p->failed = true;
			return -EINVAL;
		}
		snprintf(p->preset, sizeof(p->preset), "%s", val);
		return 0;
	}
	if (!strcmp(key, "name")) {
		if (strlen(val) >= sizeof(c->name)) {
			cfg_error(p, p->line, key, "longer than %zu characters",
				  sizeof(c->name) - 1);
			return -EINVAL;
		}
		snprintf(c->name, sizeof(c->name), "%s", val);
		return 0;
	}
	if (!strcmp(key, "seed"))
		return cfg_u64(p, key, val, &c->seed);
	return cfg_unknown(p, key, "preset, name, seed");
}

static int cfg_paging(struct cfg_parse *p, struct sim_config *c, const char *key, const char *val)
{
	if (!strcmp(key, "levels")) {
		p->line_of[CFG_L_LEVELS] = p->line;
		return cfg_uint(p, key, val, &c->levels, 4, 5);
	}
	if (!strcmp(key, "host_levels")) {
		p->line_of[CFG_L_HOST_LEVELS] = p->line;
		return cfg_uint(p, key, val, &c->host_levels, 4, 5);
	}
	if (!strcmp(key, "maxphyaddr")) {
		p->line_of[CFG_L_MAXPHYADDR] = p->line;
		return cfg_uint(p, key, val, &c->maxphyaddr, 32, 52);
	}
	if (!strcmp(key, "nxe"))
		return cfg_bool(p, key, val, &c->nxe);
	if (!strcmp(key, "set_ad"))
		return cfg_bool(p, key, val, &c->set_ad);
	return cfg_unknown(p, key, "levels, host_levels, maxphyaddr, nxe, set_ad");
}

static int cfg_tlb(struct cfg_parse *p, struct sim_config *c, const char *key, const char *val)
{
	struct tlb_level_config *tl = &c->tlb.level[p->sect_level];
	int r;

	if (p->section == SECT_TLB_LEVEL) {
		if (!strcmp(key, "latency"))
			return cfg_uint(p, key, val, &tl->latency, 0, 1000000);
		return cfg_unknown(p, key, "latency");
	}
	r = cfg_assoc_key(p, &tl->array[p->sect_array].geo, key, key, val,
			  &p->tlb_line[p->sect_level][p->sect_array]);
	return r == 1 ? cfg_unknown(p, key, "entries, ways, policy") : r;
}

/*
 * [pwc] organisation = split|unified|path. A new organisation replaces the
 * caches of the one before (a preset's per-level caches), as a [tlbN] section
 * replaces the TLB hierarchy; so it must come before this text's cache keys.
 */
static int cfg_pwc_org(struct cfg_parse *p, struct sim_config *c, const char *key, const char *val)
{
	for (unsigned o = PWC_ORG_SPLIT; o <= PWC_ORG_PATH; o++) {
		if (strcmp(val, pwc_org_name((enum pwc_org)o)))
			continue;
		if (p->pwc_level_line || p->pwc_one_line) {
			cfg_error(p, p->line, key,
				  "must come before the cache sizes of [pwc] (line %u)",
				  p->pwc_level_line ? p->pwc_level_line : p->pwc_one_line);
			return -EINVAL;
		}
		c->pwc.org = (enum pwc_org)o;
		for (unsigned l = 2; l <= PT_MAX_LEVELS; l++)
			c->pwc.level[l].entries = c->pwc.level[l].ways = 0;
		c->pwc.one.entries = c->pwc.one.ways = 0;
		return 0;
	}
	cfg_error(p, p->line, key, "'%s': expected split, unified or path", val);
	return -EINVAL;
}

static int cfg_pwc(struct cfg_parse *p, struct sim_config *c, const char *key, const char *val)
{
	static const char *const prefix[] = {"", "", "pde_", "pdpte_", "pml4e_", "pml5e_"};
	unsigned unused;
	int r;

	p->line_of[CFG_L_PWC] = p->line;
	if (!strcmp(key, "latency"))
		return cfg_uint(p, key, val, &c->pwc.latency, 0, 1000000);
	if (!strcmp(key, "organisation"))
		return cfg_pwc_org(p, c, key, val);
	if (!strcmp(key, "host")) {
		bool on;

		if (cfg_bool(p, key, val, &on))
			return -EINVAL;
		c->pwc.host_off = !on;
		return 0;
	}
	if (!strcmp(key, "policy")) {
		enum repl_policy pol;

		if (cfg_policy(p, key, val, &pol))
			return -EINVAL;
		for (unsigned l = 2; l <= PT_MAX_LEVELS; l++)
			c->pwc.level[l].policy = pol;
		c->pwc.one.policy = pol;
		return 0;
	}
	r = cfg_assoc_key(p, &c->pwc.one, key, key, val, &unused);
	if (r != 1) {
		p->pwc_one_line = p->line;
		return r;
	}
	for (unsigned l = 2; l <= PT_MAX_LEVELS; l++) {
		size_t n = strlen(prefix[l]);

		if (!strncmp(key, prefix[l], n) && strcmp(key + n, "policy")) {
			r = cfg_assoc_key(p, &c->pwc.level[l], key, key + n, val, &unused);
			if (r != 1) {
				p->pwc_level_line = p->line;
				return r;
			}
		}
	}
	return cfg_unknown(p, key,
			   "latency, policy, organisation, host, entries, ways, "
			   "{pde,pdpte,pml4e,pml5e}_entries, {...}_ways");
}

static int cfg_ntlb(struct cfg_parse *p, struct sim_config *c, const char *key, const char *val)
{
	unsigned unused;
	int r;

	p->line_of[CFG_L_NTLB] = p->line;
	if (!strcmp(key, "latency"))
		return cfg_uint(p, key, val, &c->ntlb_latency, 0, 1000000);
	r = cfg_assoc_key(p, &c->ntlb, key, key, val, &unused);
	return r == 1 ? cfg_unknown(p, key, "entries, ways, policy, latency") : r;
}

static int cfg_cache(struct cfg_parse *p, struct sim_config *c, const char *key, const char *val)
{
	struct cache_level_config *cl = &c->cache.level[p->sect_level];

	if (p->section == SECT_CACHE) {
		p->line_of[CFG_L_CACHE] = p->line;
		if (!strcmp(key, "line"))
			return cfg_uint(p, key, val, &c->cache.line, 0, 1u << 20);
		if (!strcmp(key, "model_data"))
			return cfg_bool(p, key, val, &c->cache.model_data);
		return cfg_unknown(p, key, "line, model_data");
	}
	if (!strcmp(key, "size")) {
		uint64_t v;

		if (parse_size(val, &v) || !v || v > (1ULL << 34)) {
			cfg_error(p, p->line, key, "'%s' is not a size such as 48K or 2M", val);
			return -EINVAL;
		}
		p->cache_size[p->sect_level] = v;
		p->cache_size_line[p->sect_level] = p->line;
		return 0;
	}
	if (!strcmp(key, "ways")) {
		p->cache_line[p->sect_level] = p->line;
		return cfg_uint(p, key, val, &cl->geo.ways, 0, UINT_MAX);
	}
	if (!strcmp(key, "policy"))
		return cfg_policy(p, key, val, &cl->geo.policy);
	if (!strcmp(key, "latency"))
		return cfg_uint(p, key, val, &cl->latency, 0, 1000000);
	return cfg_unknown(p, key, "size, ways, policy, latency");
}

static int cfg_shadow(struct cfg_parse *p, struct sim_config *c, const char *key, const char *val)
{
	p->line_of[CFG_L_SHADOW] = p->line;
	for (unsigned e = 0; e < SIM_SHADOW_EVENTS; e++)
		if (!strcmp(key, sim_shadow_event_name((enum sim_shadow_event)e)))
			return cfg_u64(p, key, val, &c->shadow_cost[e]);
	return cfg_unknown(p, key, "pf_exit, wrprot_exit, cr3_exit, invlpg_exit, sync");
}

static int cfg_key(struct cfg_parse *p, struct sim_config *c, const char *key, const char *val)
{
	switch (p->section) {
	case SECT_SIM:
		return cfg_sim(p, c, key, val);
	case SECT_PAGING:
		return cfg_paging(p, c, key, val);
	case SECT_TLB_LEVEL:
	case SECT_TLB_ARRAY:
		return cfg_tlb(p, c, key, val);
	case SECT_PWC:
		return cfg_pwc(p, c, key, val);
	case SECT_NTLB:
		return cfg_ntlb(p, c, key, val);
	case SECT_CACHE:
	case SECT_CACHE_LEVEL:
		return cfg_cache(p, c, key, val);
	case SECT_MEMORY:
		p->line_of[CFG_L_MEMORY] = p->line;
		if (!strcmp(key, "latency"))
			return cfg_uint(p, key, val, &c->mem_latency, 0, 1000000);
		return cfg_unknown(p, key, "latency");
	case SECT_SHADOW:
		return cfg_shadow(p, c, key, val);
	default:
		cfg_error(p, p->line, key, "outside any [section]");
		return -EINVAL;
	}
}

/* "4k", "2m+1g", "all" into a page-size bit set; 0 if malformed. */
static uint32_t cfg_sizes(const char *s)
{
	char buf[32], *tok, *save = NULL;
	uint32_t set = 0;

	if (!strcasecmp(s, "all"))
		return (1u << PAGE_SIZES) - 1;
	if (strlen(s) >= sizeof(buf))
		return 0;
	strcpy(buf, s);
	for (tok = strtok_r(buf, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		unsigned i;

		for (i = 0; i < PAGE_SIZES; i++)
			if (!strcasecmp(tok, page_size_name((enum page_size)i)))
				break;
		if (i == PAGE_SIZES || (set & (1u << i)))
			return 0;
		set |= 1u << i;
	}
	return set;
}

__attribute__((format(printf, 2, 3))) static void cfg_warn(struct cfg_parse *p, const char *fmt,
							   ...)
{
	char msg[200];
	va_list ap;

	if (!p->warn || p->warn->n >= SIM_CONFIG_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->warn->text[p->warn->n++], sizeof(p->warn->text[0]), "%s:%u: %s", p->file,
		 p->line, msg);
}

/* "2 levels: tlb1 72 entries, tlb2 3072 entries" */
static void cfg_describe_tlb(const struct tlb_config *t, char *buf, size_t len)
{
	size_t n =
		(size_t)snprintf(buf, len, "%u level%s:", t->nlevels, t->nlevels == 1 ? "" : "s");

	for (unsigned l = 0; l < t->nlevels && l < SIM_MAX_TLB_LEVELS && n < len; l++) {
		unsigned entries = 0;

		for (unsigned i = 0; i < t->level[l].narrays && i < PAGE_SIZES; i++)
			entries += t->level[l].array[i].geo.entries;
		n += (size_t)snprintf(buf + n, len - n, "%s tlb%u %u entries", l ? "," : "", l + 1,
				      entries);
	}
}

/* [tlbN] or [tlbN.SIZES]: the first TLB section of a text replaces the whole TLB hierarchy. */
static int cfg_tlb_section(struct cfg_parse *p, struct sim_config *c, const char *name)
{
	char *end;
	unsigned long n = strtoul(name + 3, &end, 10);
	struct tlb_level_config *tl;
	uint32_t sizes;
	unsigned i;

	if (end == name + 3 || n < 1 || n > SIM_MAX_TLB_LEVELS || (*end && *end != '.')) {
		cfg_error(p, p->line, name, "TLB sections are [tlb1]..[tlb%u] or [tlbN.4k+2m]",
			  SIM_MAX_TLB_LEVELS);
		return -EINVAL;
	}
	if (!p->tlb_reset) {
		if (p->preset[0]) {
			char was[128];

			cfg_describe_tlb(&c->tlb, was, sizeof(was));
			cfg_warn(p,
				 "[%s] replaces preset %s's whole TLB hierarchy (%s): a file's "
				 "TLB sections define every level",
				 name, p->preset, was);
		}
		memset(&c->tlb, 0, sizeof(c->tlb));
		p->tlb_reset = true;
		p->tlb_any_line = p->line;
	}
	p->sect_level = (unsigned)n - 1;
	tl = &c->tlb.level[p->sect_level];
	if (c->tlb.nlevels < n)
		c->tlb.nlevels = (unsigned)n;
	if (!*end) {
		p->section = SECT_TLB_LEVEL;
		p->tlb_line[p->sect_level][PAGE_SIZES] = p->line;
		return 0;
	}
	sizes = cfg_sizes(end + 1);
	if (!sizes) {
		cfg_error(p, p->line, name, "page sizes must be 4k, 2m, 1g joined by '+', or all");
		return -EINVAL;
	}
	for (i = 0; i < tl->narrays && tl->array[i].sizes != sizes; i++)
		;
	if (i == tl->narrays) {
		if (tl->narrays == PAGE_SIZES) {
			cfg_error(p, p->line, name, "a level holds at most %u arrays", PAGE_SIZES);
			return -EINVAL;
		}
		tl->array[i].sizes = sizes;
		tl->array[i].geo.policy = REPL_LRU;
		tl->narrays++;
	}
	p->section = SECT_TLB_ARRAY;
	p->sect_array = i;
	p->tlb_line[p->sect_level][i] = p->line;
	return 0;
}

static int cfg_cache_section(struct cfg_parse *p, struct sim_config *c, const char *name)
{
	char *end;
	unsigned long n = strtoul(name + 5, &end, 10);

	if (end == name + 5 || *end || n < 1 || n > SIM_MAX_CACHE_LEVELS) {
		cfg_error(p, p->line, name, "cache sections are [cache], [cache1]..[cache%u]",
			  SIM_MAX_CACHE_LEVELS);
		return -EINVAL;
	}
	if (!p->cache_reset) {
		if (p->preset[0] && c->cache.nlevels)
			cfg_warn(p,
				 "[%s] replaces preset %s's %u cache levels: a file's cache "
				 "sections define every level",
				 name, p->preset, c->cache.nlevels);
		c->cache.nlevels = 0;
		memset(c->cache.level, 0, sizeof(c->cache.level));
		p->cache_reset = true;
	}
	p->section = SECT_CACHE_LEVEL;
	p->sect_level = (unsigned)n - 1;
	p->cache_line[p->sect_level] = p->line;
	p->cache_sect_line[p->sect_level] = p->line;
	if (c->cache.nlevels < n)
		c->cache.nlevels = (unsigned)n;
	return 0;
}

static int cfg_section(struct cfg_parse *p, struct sim_config *c, char *s)
{
	static const struct {
		const char *name;
		enum cfg_section sect;
	} plain[] = {
		{"sim", SECT_SIM},	   {"paging", SECT_PAGING}, {"pwc", SECT_PWC},
		{"nested_tlb", SECT_NTLB}, {"cache", SECT_CACHE},   {"memory", SECT_MEMORY},
		{"shadow", SECT_SHADOW},
	};
	char *name, *close = strchr(s, ']');

	if (!close || close[1]) {
		cfg_error(p, p->line, s, "a section header is '[name]' alone on its line");
		return -EINVAL;
	}
	*close = '\0';
	name = str_trim(s + 1);
	for (unsigned i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (!strcmp(name, plain[i].name)) {
			p->section = plain[i].sect;
			return 0;
		}
	}
	if (!strncmp(name, "tlb", 3))
		return cfg_tlb_section(p, c, name);
	if (!strncmp(name, "cache", 5))
		return cfg_cache_section(p, c, name);
	cfg_error(p, p->line, name,
		  "unknown section (known: sim, paging, tlbN, tlbN.SIZES, pwc, nested_tlb, cache, "
		  "cacheN, memory, shadow)");
	return -EINVAL;
}

static int cfg_line(struct cfg_parse *p, struct sim_config *c, char *s)
{
	char *eq, *key, *val, *hash = strchr(s, '#');

	if (hash)
		*hash = '\0';
	s = str_trim(s);
	if (!*s)
		return 0;
	if (*s == '[')
		return cfg_section(p, c, s);
	eq = strchr(s, '=');
	if (!eq) {
		cfg_error(p, p->line, s, "expected 'key = value'");
		return -EINVAL;
	}
	*eq = '\0';
	key = str_trim(s);
	val = str_trim(eq + 1);
	if (!*val) {
		cfg_error(p, p->line, key, "has no value");
		return -EINVAL;
	}
	if (cfg_key(p, c, key, val))
		return -EINVAL;
	p->any_key = true;
	return 0;
}

/* Cache sizes become line counts once the line size is known. */
static void cfg_cache_finish(struct cfg_parse *p, struct sim_config *c)
{
	for (unsigned k = 0; k < SIM_MAX_CACHE_LEVELS; k++) {
		uint64_t size = p->cache_size[k];

		if (!size || !c->cache.line || (c->cache.line & (c->cache.line - 1)))
			continue;
		if (size % c->cache.line) {
			cfg_error(p, p->cache_size_line[k], "size",
				  "%llu bytes is not a whole number of %u-byte lines",
				  (unsigned long long)size, c->cache.line);
			return;
		}
		c->cache.level[k].geo.entries = (unsigned)(size / c->cache.line);
	}
	for (unsigned k = 0; k < c->cache.nlevels; k++) {
		unsigned line = p->cache_sect_line[k];

		if (c->cache.level[k].geo.entries)
			continue;
		/* A level with no section of its own: blame the deeper one that implies it. */
		for (unsigned u = k + 1; !line && u < SIM_MAX_CACHE_LEVELS; u++)
			line = p->cache_sect_line[u];
		if (p->cache_sect_line[k])
			cfg_error(p, line, "size", "[cache%u] has no size", k + 1);
		else
			cfg_error(p, line, "size",
				  "[cache%u] is missing: levels go 1, 2, 3 in order", k + 1);
	}
}

int sim_config__parse(struct sim_config *c, const char *text, const char *file, char *err,
		      size_t errlen)
{
	return cfg_parse_text(c, text, file, NULL, err, errlen);
}

int cfg_parse_text(struct sim_config *c, const char *text, const char *file,
		   struct sim_config_warnings *w, char *err, size_t errlen)
{
	struct cfg_parse p = {
		.file = file ? file : "(config)", .err = err, .errlen = errlen, .warn = w};
	const char *s = text;
	char buf[CFG_LINE_MAX];

	if (err && errlen)
		err[0] = '\0';
	while (*s && !p.failed) {
		size_t n = strcspn(s, "\n");

		p.line++;
		if (n >= sizeof(buf)) {
			cfg_error(&p, p.line, "(line)", "longer than %zu characters",
				  sizeof(buf) - 1);
			break;
		}
		memcpy(buf, s, n);
		buf[n] = '\0';
		cfg_line(&p, c, buf);
		s += n + (s[n] == '\n');
	}
	if (!p.failed)
		cfg_cache_finish(&p, c);
	if (p.failed)
		return -EINVAL;
	return cfg_check(&p, c);
}
