// SPDX-License-Identifier: GPL-2.0
/* Simulator configuration: defaults, the key = value file format, and validation of every field. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "mmu/config_internal.h"

#define CFG_MAX_LATENCY 1000000u
#define CFG_MAX_ENTRIES (1u << 24)

void sim_config__textbook(struct sim_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "textbook");
	c->levels = 4;
	c->host_levels = 4;
	c->maxphyaddr = 52;
	c->nxe = true;
	c->tlb.nlevels = 1;
	c->tlb.level[0].narrays = 1;
	c->tlb.level[0].array[0].geo = (struct assoc_config){64, 4, REPL_LRU};
	c->tlb.level[0].array[0].sizes = (1u << PAGE_SIZES) - 1;
	c->tlb.level[0].latency = 1;
	c->pwc.latency = 1;
	c->cache.line = 64;
	c->mem_latency = 100;
	c->seed = 1;
}

void cfg_error(struct cfg_parse *p, unsigned line, const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!p->err || !p->errlen)
		return;
	if (p->file && line)
		snprintf(p->err, p->errlen, "%s:%u: key '%s': %s", p->file, line, key, msg);
	else
		snprintf(p->err, p->errlen, "key '%s': %s", key, msg);
}

/* Geometry of one set-associative structure: ways divide entries, both non-zero and sane. */
void cfg_check_assoc(struct cfg_parse *p, const struct assoc_config *g, const char *what,
		     bool may_be_absent, unsigned line_entries, unsigned line_ways)
{
	char key[64];

	snprintf(key, sizeof(key), "%sentries", what);
	if (!g->entries) {
		if (!may_be_absent)
			cfg_error(p, line_entries, key, "must be at least 1");
		return;
	}
	if (g->entries > CFG_MAX_ENTRIES) {
		cfg_error(p, line_entries, key, "%u is more than %u", g->entries, CFG_MAX_ENTRIES);
		return;
	}
	snprintf(key, sizeof(key), "%sways", what);
	if (!g->ways) {
		cfg_error(p, line_ways, key,
			  "must be at least 1 (use ways = entries for fully associative)");
		return;
	}
	if (g->ways > CFG_MAX_WAYS) {
		cfg_error(p, line_ways, key,
			  "%u ways is more than the model's %u (a fill scans every way of its "
			  "set): use more sets of at most %u ways",
			  g->ways, CFG_MAX_WAYS, CFG_MAX_WAYS);
		return;
	}
	if (g->ways > g->entries) {
		cfg_error(p, line_ways, key, "%u ways is more than the %u entries", g->ways,
			  g->entries);
		return;
	}
	if (g->entries % g->ways)
		cfg_error(p, line_ways, key, "%u entries are not divisible by %u ways", g->entries,
			  g->ways);
	if ((unsigned)g->policy > REPL_RANDOM) {
		snprintf(key, sizeof(key), "%spolicy", what);
		cfg_error(p, line_ways, key, "unknown policy");
	}
}

static void cfg_check_latency(struct cfg_parse *p, unsigned v, const char *key, unsigned line)
{
	if (v > CFG_MAX_LATENCY)
		cfg_error(p, line, key, "%u cycles is more than %u", v, CFG_MAX_LATENCY);
}

static void cfg_check_paging(struct cfg_parse *p, const struct sim_config *c)
{
	if (c->levels != 4 && c->levels != 5)
		cfg_error(p, p->line_of[CFG_L_LEVELS], "levels", "%u: must be 4 or 5", c->levels);
	if (c->host_levels != 4 && c->host_levels != 5)
		cfg_error(p, p->line_of[CFG_L_HOST_LEVELS], "host_levels", "%u: must be 4 or 5",
			  c->host_levels);
	if (c->maxphyaddr < 32 || c->maxphyaddr > 52)
		cfg_error(p, p->line_of[CFG_L_MAXPHYADDR], "maxphyaddr", "%u: must be 32..52",
			  c->maxphyaddr);
}

static void cfg_check_tlb(struct cfg_parse *p, const struct sim_config *c)
{
	char what[32];

	if (!c->tlb.nlevels || c->tlb.nlevels > SIM_MAX_TLB_LEVELS) {
		cfg_error(p, 0, "tlb", "%u levels: need 1..%u", c->tlb.nlevels, SIM_MAX_TLB_LEVELS);
		return;
	}
	for (unsigned l = 0; l < c->tlb.nlevels; l++) {
		const struct tlb_level_config *tl = &c->tlb.level[l];
		uint32_t seen = 0;

		unsigned line =
			p->tlb_line[l][PAGE_SIZES] ? p->tlb_line[l][PAGE_SIZES] : p->tlb_any_line;

		snprintf(what, sizeof(what), "tlb%u", l + 1);
		cfg_check_latency(p, tl->latency, what, line);
		if (!tl->narrays || tl->narrays > PAGE_SIZES) {
			cfg_error(p, line, what,
				  "level %u has no arrays: add a [tlb%u.4k] (or .all) section",
				  l + 1, l + 1);
			return;
		}
		for (unsigned i = 0; i < tl->narrays; i++) {
			const struct tlb_array_config *a = &tl->array[i];

			if (!a->sizes || (a->sizes & seen) || (a->sizes >> PAGE_SIZES))
				cfg_error(p, p->tlb_line[l][i], "sizes",
					  "page sizes overlap another array of level %u", l + 1);
			seen |= a->sizes;
			cfg_check_assoc(p, &a->geo, "", false, p->tlb_line[l][i],
					p->tlb_line[l][i]);
		}
	}
}

/* Each organisation uses its own sizes: split the per-level ones, the others one cache. */
static void cfg_check_pwc_org(struct cfg_parse *p, const struct pwc_config *pc)
{
	unsigned line = p->pwc_one_line ? p->pwc_one_line : p->line_of[CFG_L_PWC];

	if ((unsigned)pc->org > PWC_ORG_PATH) {
		cfg_error(p, p->line_of[CFG_L_PWC], "organisation",
			  "expected split, unified or path");
		return;
	}
	if (pc->org == PWC_ORG_SPLIT) {
		if (pc->one.entries)
			cfg_error(p, line, "entries",
				  "applies to organisation = unified or path (split caches take "
				  "pde_entries, pdpte_entries, ...)");
		return;
	}
	for (unsigned l = 2; l <= PT_MAX_LEVELS; l++)
		if (pc->level[l].entries) {
			cfg_error(p, p->pwc_level_line ? p->pwc_level_line : line,
				  l == 2 ? "pde_entries" : "pdpte_entries",
				  "per-level caches belong to organisation = split; the %s cache "
				  "takes entries and ways",
				  pwc_org_name(pc->org));
			return;
		}
	cfg_check_assoc(p, &pc->one, "", true, line, line);
	if (pc->org == PWC_ORG_PATH && pc->one.entries && pc->one.ways != pc->one.entries)
		cfg_error(p, line, "ways",
			  "%u: a path cache is fully associative, ways must equal entries (%u)",
			  pc->one.ways, pc->one.entries);
}

static void cfg_check_pwc(struct cfg_parse *p, const struct sim_config *c)
{
	static const char *const names[] = {"", "", "pde_", "pdpte_", "pml4e_", "pml5e_"};

	for (unsigned l = 2; l <= PT_MAX_LEVELS; l++)
		cfg_check_assoc(p, &c->pwc.level[l], names[l], true, p->line_of[CFG_L_PWC],
				p->line_of[CFG_L_PWC]);
	cfg_check_latency(p, c->pwc.latency, "latency", p->line_of[CFG_L_PWC]);
	cfg_check_pwc_org(p, &c->pwc);
	cfg_check_assoc(p, &c->ntlb, "", true, p->line_of[CFG_L_NTLB], p->line_of[CFG_L_NTLB]);
	cfg_check_latency(p, c->ntlb_latency, "latency", p->line_of[CFG_L_NTLB]);
}

static void cfg_check_cache(struct cfg_parse *p, const struct sim_config *c)
{
	const struct cache_config *cc = &c->cache;

	if (!cc->line || (cc->line & (cc->line - 1)) || cc->line < 8 || cc->line > 4096)
		cfg_error(p, p->line_of[CFG_L_CACHE], "line", "%u: must be a power of two, 8..4096",
			  cc->line);
	if (cc->nlevels > SIM_MAX_CACHE_LEVELS)
		cfg_error(p, 0, "cache", "%u levels: at most %u", cc->nlevels,
			  SIM_MAX_CACHE_LEVELS);
	for (unsigned k = 0; k < cc->nlevels && k < SIM_MAX_CACHE_LEVELS; k++) {
		cfg_check_assoc(p, &cc->level[k].geo, "", false, p->cache_line[k],
				p->cache_line[k]);
		cfg_check_latency(p, cc->level[k].latency, "latency", p->cache_line[k]);
	}
	cfg_check_latency(p, c->mem_latency, "latency", p->line_of[CFG_L_MEMORY]);
	for (unsigned e = 0; e < SIM_SHADOW_EVENTS; e++)
		if (c->shadow_cost[e] > 100u * CFG_MAX_LATENCY)
			cfg_error(p, p->line_of[CFG_L_SHADOW], sim_shadow_event_name(e),
				  "%llu cycles is implausible",
				  (unsigned long long)c->shadow_cost[e]);
}

int cfg_check(struct cfg_parse *p, const struct sim_config *c)
{
	cfg_check_paging(p, c);
	cfg_check_tlb(p, c);
	cfg_check_pwc(p, c);
	cfg_check_cache(p, c);
	return p->failed ? -EINVAL : 0;
}

int sim_config__validate(const struct sim_config *c, char *err, size_t errlen)
{
	struct cfg_parse p = {.err = err, .errlen = errlen};

	if (err && errlen)
		err[0] = '\0';
	return cfg_check(&p, c);
}

/* Read all of @f, at most SIM_CONFIG_MAX_BYTES, into *@text (NUL-terminated). */
static int config_read(FILE *f, const char *path, char **text, char *err, size_t errlen)
{
	size_t cap = 0, len = 0, n;
	char *buf = NULL;

	do {
		if (len == cap) {
			char *t;

			cap = cap ? cap * 2 : 8192;
			t = realloc(buf, cap + 1);
			if (!t) {
				snprintf(err, errlen, "%s: no memory to read it", path);
				free(buf);
				return -ENOMEM;
			}
			buf = t;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0 && len <= SIM_CONFIG_MAX_BYTES);
	if (len > SIM_CONFIG_MAX_BYTES) {
		snprintf(err, errlen,
			 "%s: larger than %u MiB, the most a configuration file may be: is it "
			 "the right file?",
			 path, SIM_CONFIG_MAX_BYTES >> 20);
		free(buf);
		return -EFBIG;
	}
	if (ferror(f)) {
		int e = errno ? errno : EIO;

		snprintf(err, errlen, "%s: read error: %s", path, strerror(e));
		free(buf);
		return -e;
	}
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "%s: a NUL byte: not a configuration text file", path);
		free(buf);
		return -EINVAL;
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}

int sim_config__load(struct sim_config *c, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	FILE *f = fopen(path, "r");
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return ret;
	}
	errno = 0;
	ret = config_read(f, path, &text, err, errlen);
	fclose(f);
	if (ret)
		return ret;
	sim_config__textbook(c);
	ret = sim_config__parse(c, text, path, err, errlen);
	free(text);
	return ret;
}

int sim_config__preset(struct sim_config *c, const char *name, char *err, size_t errlen)
{
	const char *text = preset_text(name);
	char file[64];

	if (!text) {
		snprintf(err, errlen,
			 "unknown preset '%s': use textbook, golden-cove, zen4 or zen5", name);
		return -ENOENT;
	}
	snprintf(file, sizeof(file), "preset:%s", name);
	sim_config__textbook(c);
	return sim_config__parse(c, text, file, err, errlen);
}
