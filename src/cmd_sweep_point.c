// SPDX-License-Identifier: GPL-2.0
/* memvirt sweep: each point's command line, the grid's values as the command's options. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "mmu/mmu.h"
#include "src/cmd_sweep.h"
#include "sweep/sweep.h"

/* @a and @b joined, kept in @pc for its argv. */
static const char *pc_cat(struct point_cmd *pc, const char *a, const char *b)
{
	char *s = pc->store[pc->nstore++];

	snprintf(s, sizeof(pc->store[0]), "%s%s", a, b);
	return s;
}

static void pc_push(struct point_cmd *pc, const char *arg)
{
	pc->argv[pc->argc++] = (char *)arg;
	pc->argv[pc->argc] = NULL;
}

/* The option name of grid key @key for @cmd: "--workloads" for validate's workload. */
static const char *key_option(struct point_cmd *pc, const char *cmd, const char *key)
{
	if (!strcmp(cmd, "validate") && !strcmp(key, "workload"))
		return "--workloads";
	return pc_cat(pc, "--", key);
}

/* A config key is SECTION.KEY: sim only. */
static bool is_conf_key(const char *key)
{
	return strchr(key, '.') != NULL;
}

static bool grid_has_conf(const struct sweep_grid *g)
{
	for (unsigned i = 0; i < g->nparams; i++)
		if (is_conf_key(g->p[i].key))
			return true;
	return false;
}

/*
 * sim with SECTION.KEY parameters: the base configuration (--config FILE, or --preset, the
 * grid's or the command's, else textbook) written out whole, then each key's section and
 * value, which override one value each (a file's first [tlbN] section would replace the
 * whole hierarchy, docs/sim-config.md: the base's sections come first).
 */
static int sim_conf(const struct sweep_opts *o, uint64_t k, const char *base, bool base_file,
		    struct point_cmd *pc, char *err, size_t errlen)
{
	static struct sim_config cfg;
	size_t at;
	int rc;

	rc = base_file ? sim_config__load(&cfg, base, err, errlen)
		       : sim_config__preset(&cfg, base, err, errlen);
	if (rc)
		return -EINVAL;
	if (sim_config__write(&cfg, pc->conf, sizeof(pc->conf)) < 0)
		goto full;
	at = strlen(pc->conf);
	for (unsigned i = 0; i < o->grid.nparams; i++) {
		const char *key = o->grid.p[i].key, *dot = strrchr(key, '.');

		if (!is_conf_key(key))
			continue;
		at += (size_t)snprintf(pc->conf + at,
				       at < sizeof(pc->conf) ? sizeof(pc->conf) - at : 0,
				       "[%.*s]\n%s = %s\n", (int)(dot - key), key, dot + 1,
				       sweep_grid__value(&o->grid, k, i));
	}
	if (at >= sizeof(pc->conf))
		goto full;
	pc->has_conf = true;
	return 0;
full:
	snprintf(err, errlen, "sweep: the configuration of a point is over %zu bytes",
		 sizeof(pc->conf));
	return -EINVAL;
}

/* sim: the grid's --preset and the command's --preset/--config go into the point's file. */
static int sim_point(const struct sweep_opts *o, uint64_t k, const char *dir, struct point_cmd *pc,
		     char *err, size_t errlen)
{
	const char *base = "textbook";
	bool base_file = false, conf = grid_has_conf(&o->grid);

	for (unsigned i = 0; i < o->grid.nparams; i++) {
		if (!strcmp(o->grid.p[i].key, "preset"))
			base = sweep_grid__value(&o->grid, k, i);
	}
	for (int i = 1; i < o->ncmd; i++) {
		bool pre = !strcmp(o->cmd[i], "--preset"), cf = !strcmp(o->cmd[i], "--config");

		if (conf && (pre || cf) && i + 1 < o->ncmd) {
			base = o->cmd[++i];
			base_file = cf;
			continue;
		}
		pc_push(pc, o->cmd[i]);
	}
	if (!conf)
		return 0;
	if (sim_conf(o, k, base, base_file, pc, err, errlen))
		return -EINVAL;
	pc_push(pc, "--config");
	pc_push(pc, pc_cat(pc, dir, "/sim.conf"));
	return 0;
}

/* @cmd's arguments with the grid's values of point @k; @inner: a lab's command. */
static int point_args(const struct sweep_opts *o, uint64_t k, const char *dir, char **cmd, int ncmd,
		      bool lab, struct point_cmd *pc, char *err, size_t errlen)
{
	bool sim = !strcmp(cmd[0], "sim"), run = !strcmp(cmd[0], "run");
	bool validate = !strcmp(cmd[0], "validate");

	pc_push(pc, cmd[0]);
	for (unsigned i = 0; i < o->grid.nparams; i++) {
		const char *key = o->grid.p[i].key, *v = sweep_grid__value(&o->grid, k, i);

		if (lab && !strcmp(key, "paging"))
			continue; /* the lab's own */
		if (is_conf_key(key) && !sim) {
			snprintf(err, errlen,
				 "sweep: '%s' is a configuration key (SECTION.KEY): sim only", key);
			return -EINVAL;
		}
		/* With SECTION.KEY parameters sim's preset is the file's base (sim_point). */
		if (is_conf_key(key) || (sim && !strcmp(key, "preset") && grid_has_conf(&o->grid)))
			continue;
		if ((run && !strcmp(key, "workload")) || (validate && !strcmp(key, "paging"))) {
			pc_push(pc, v); /* the positional argument */
			continue;
		}
		pc_push(pc, key_option(pc, cmd[0], key));
		pc_push(pc, v);
	}
	if (sim) {
		if (sim_point(o, k, dir, pc, err, errlen))
			return -EINVAL;
	} else {
		for (int i = 1; i < ncmd; i++)
			pc_push(pc, cmd[i]);
	}
	/* Inside the lab the command runs in the point's directory. */
	pc_push(pc, "--out");
	pc_push(pc, lab ? "." : dir);
	if (validate) {
		pc_push(pc, "--json");
		pc->stdout_file = "validate.json";
	}
	return 0;
}

int sweep_point_cmd(const struct sweep_opts *o, uint64_t k, const char *dir, struct point_cmd *pc,
		    char *err, size_t errlen)
{
	int sep = -1;

	memset(pc, 0, sizeof(*pc));
	pc_push(pc, o->self);
	if (strcmp(o->cmd[0], "lab"))
		return point_args(o, k, dir, o->cmd, o->ncmd, false, pc, err, errlen);
	/* lab [OPTIONS] -- COMMAND ...: the grid's paging is the lab's, the rest COMMAND's. */
	for (int i = 1; i < o->ncmd && sep < 0; i++)
		if (!strcmp(o->cmd[i], "--"))
			sep = i;
	if (sep < 0 || sep + 1 >= o->ncmd) {
		snprintf(err, errlen, "sweep: lab needs its command: -- lab [OPTIONS] -- COMMAND");
		return -EINVAL;
	}
	for (int i = 0; i < sep; i++)
		pc_push(pc, o->cmd[i]);
	for (unsigned i = 0; i < o->grid.nparams; i++)
		if (!strcmp(o->grid.p[i].key, "paging")) {
			pc_push(pc, "--paging");
			pc_push(pc, sweep_grid__value(&o->grid, k, i));
		}
	pc_push(pc, "--out");
	pc_push(pc, dir);
	pc_push(pc, "--");
	return point_args(o, k, dir, o->cmd + sep + 1, o->ncmd - sep - 1, true, pc, err, errlen);
}

void sweep_point_dir(const struct sweep_opts *o, uint64_t k, char *buf, size_t len)
{
	char name[SWEEP_NAME_MAX + 1];

	sweep_grid__point_name(&o->grid, k, name, sizeof(name));
	snprintf(buf, len, "%s/points/%s", o->out, name);
}
