// SPDX-License-Identifier: GPL-2.0
/* memvirt sweep: its state (sweep.json, grid.txt), the summary, the emitted job lists. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/jsonval.h"
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "src/cmd_sweep.h"
#include "sweep/sweep.h"

#define DOC_MAX (64u << 20) /* the largest point document read */

void sweep_shell_quote(const char *arg, char *buf, size_t len)
{
	size_t at = strlen(buf);

	/* Plain words stay as they are; anything else in single quotes, ' as '\''. */
	if (*arg && strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				"_-+=.,/:@%") == strlen(arg)) {
		snprintf(buf + at, len - at, "%s", arg);
		return;
	}
	at += (size_t)snprintf(buf + at, at < len ? len - at : 0, "'");
	for (const char *c = arg; *c && at < len; c++)
		at += (size_t)snprintf(buf + at, len - at, *c == '\'' ? "'\\''" : "%c", *c);
	if (at < len)
		snprintf(buf + at, len - at, "'");
}

/* ------------------------------------------------------------------------------------------ */
/* sweep.json and grid.txt. */

static int fill_state(FILE *f, void *arg)
{
	const struct sweep_opts *o = arg;
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "schema", "memvirt-sweep-grid/1");
	memvirt_provenance_json(&j);
	json_str(&j, "grid_id", o->grid_id);
	json_str(&j, "memvirt", o->self);
	json_arr_begin(&j, "command");
	for (int i = 0; i < o->ncmd; i++)
		json_str(&j, NULL, o->cmd[i]);
	json_arr_end(&j);
	json_obj_begin(&j, "grid");
	for (unsigned i = 0; i < o->grid.nparams; i++) {
		json_arr_begin(&j, o->grid.p[i].key);
		for (unsigned v = 0; v < o->grid.p[i].n; v++)
			json_str(&j, NULL, o->grid.p[i].values[v]);
		json_arr_end(&j);
	}
	json_obj_end(&j);
	json_u64(&j, "points", sweep_grid__points(&o->grid));
	json_obj_end(&j);
	return json_finish(&j);
}

static int fill_grid(FILE *f, void *arg)
{
	const struct sweep_opts *o = arg;
	static char text[1 << 20];

	if (sweep_grid__text(&o->grid, text, sizeof(text)))
		return -ENOSPC;
	fprintf(f, "# The grid of the sweep in this directory (memvirt sweep --grid FILE).\n%s",
		text);
	return ferror(f) ? -EIO : 0;
}

int sweep_write_state(const struct sweep_opts *o)
{
	char path[1200];
	int rc;

	/* A point run on its own (--point) leaves a sweep's state as it found it. */
	snprintf(path, sizeof(path), "%s/sweep.json", o->out);
	if (o->point && !access(path, F_OK))
		return 0;
	snprintf(path, sizeof(path), "%s/grid.txt", o->out);
	rc = write_file_atomic(path, fill_grid, (void *)o, false);
	snprintf(path, sizeof(path), "%s/sweep.json", o->out);
	return rc ? rc : write_file_atomic(path, fill_state, (void *)o, false);
}

/* ------------------------------------------------------------------------------------------ */
/* The headline numbers of a point, from the documents its command wrote. */

#define MAX_METRICS 256
#define MAX_COLUMNS 512

struct metric {
	char name[96];
	char text[48];
	double num;
	bool is_num;
};

struct metrics {
	unsigned n;
	struct metric m[MAX_METRICS];
};

static void put(struct metrics *ms, const char *prefix, const char *name, const struct jv *v)
{
	struct metric *m;

	if (!v || ms->n == MAX_METRICS ||
	    (v->type != JV_NUM && v->type != JV_STR && v->type != JV_BOOL))
		return;
	m = &ms->m[ms->n++];
	snprintf(m->name, sizeof(m->name), "%s%s", prefix, name);
	m->is_num = v->type == JV_NUM;
	m->num = v->type == JV_NUM ? v->num : v->b;
	if (v->type == JV_STR)
		snprintf(m->text, sizeof(m->text), "%s", v->str);
	else if (v->type == JV_BOOL)
		snprintf(m->text, sizeof(m->text), "%s", v->b ? "true" : "false");
	else if (v->num == floor(v->num) && fabs(v->num) < 1e15)
		snprintf(m->text, sizeof(m->text), "%.0f", v->num);
	else
		snprintf(m->text, sizeof(m->text), "%.6g", v->num);
}

static void put_text(struct metrics *ms, const char *prefix, const char *name, const char *text)
{
	struct jv n = {.type = JV_STR, .str = (char *)text};

	put(ms, prefix, name, &n);
}

/* sim.json: per mode accesses, last TLB level's misses per 1000 accesses, refs per walk, CPA. */
static void sim_metrics(const struct jv *d, const char *prefix, struct metrics *ms)
{
	const struct jv *res = jv_get(d, "results");
	char name[96];

	for (size_t i = 0; res && res->type == JV_ARR && i < res->n; i++) {
		const struct jv *r = jv_at(res, i), *mode = jv_get(r, "mode");
		const struct jv *tlb = jv_get(r, "tlb");
		const struct jv *last = tlb && tlb->n ? jv_at(tlb, tlb->n - 1) : NULL;
		const char *m = jv_str(mode);

		if (!m || strlen(m) > 32)
			continue;
		snprintf(name, sizeof(name), "%s_accesses", m);
		put(ms, prefix, name, jv_get(r, "accesses"));
		snprintf(name, sizeof(name), "%s_tlb_mpka", m);
		put(ms, prefix, name, jv_get(last, "misses_per_1000_accesses"));
		snprintf(name, sizeof(name), "%s_refs_per_walk", m);
		put(ms, prefix, name, jv_path(r, "walks.refs_per_walk"));
		snprintf(name, sizeof(name), "%s_cycles_per_access", m);
		put(ms, prefix, name, jv_path(r, "cycles.per_access"));
	}
}

/* run.json: the guest loop's figures and KVM's counts. */
static void run_metrics(const struct jv *d, const char *prefix, struct metrics *ms)
{
	static const char *const res[] = {"accesses", "cycles", "cycles_per_access",
					  "guest_faults"};
	static const char *const kvm[] = {"exits", "pf_taken", "pf_fixed", "pf_guest"};
	const struct jv *r = jv_get(d, "result");
	const struct jv *st = jv_get(d, "kvm_stats");
	double g;

	for (size_t i = 0; i < ARRAY_SIZE(res); i++)
		put(ms, prefix, res[i], jv_get(r, res[i]));
	put(ms, prefix, "verified", jv_get(r, "verified"));
	for (size_t i = 0; i < ARRAY_SIZE(kvm); i++) {
		const struct jv *v = jv_get(jv_get(st, "vcpu"), kvm[i]);

		put(ms, prefix, kvm[i], v ? v : jv_get(jv_get(st, "vm"), kvm[i]));
	}
	if (jv_num(jv_path(d, "timing.guest_ns"), &g)) {
		struct jv s = {.type = JV_NUM, .num = g / 1e9};

		put(ms, prefix, "guest_s", &s);
	}
}

/* validate's JSON: pass or fail per claim (rows whose claim is not "none"). */
static void validate_metrics(const struct jv *d, const char *prefix, struct metrics *ms)
{
	const struct jv *cmp = jv_get(d, "comparisons");
	unsigned pass = 0, fail = 0;
	char name[96], num[24];

	for (size_t i = 0; cmp && cmp->type == JV_ARR && i < cmp->n; i++) {
		const struct jv *r = jv_at(cmp, i), *ok = jv_get(r, "ok");
		const char *claim = jv_str(jv_get(r, "claim"));
		const char *w = jv_str(jv_get(r, "workload")), *c = jv_str(jv_get(r, "counter"));

		if (!claim || !strcmp(claim, "none") || !w || !c || !ok || ok->type != JV_BOOL)
			continue;
		snprintf(name, sizeof(name), "claim_%.30s_%.40s", w, c);
		put_text(ms, prefix, name, ok->b ? "pass" : "fail");
		ok->b ? pass++ : fail++;
	}
	snprintf(num, sizeof(num), "%u", pass);
	put_text(ms, prefix, "claims_passed", num);
	ms->m[ms->n - 1].is_num = true;
	snprintf(num, sizeof(num), "%u", fail);
	put_text(ms, prefix, "claims_failed", num);
	ms->m[ms->n - 1].is_num = true;
	ms->m[ms->n - 2].num = pass;
	ms->m[ms->n - 1].num = fail;
}

static void dir_metrics(const char *dir, const char *prefix, struct metrics *ms)
{
	static const struct {
		const char *file;
		void (*fn)(const struct jv *d, const char *prefix, struct metrics *ms);
	} docs[] = {{"sim.json", sim_metrics},
		    {"run.json", run_metrics},
		    {"validate.json", validate_metrics}};
	char path[4432], err[200]; /* @dir (at most 4400 bytes), "/" and a name */
	struct jv *d;

	for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, docs[i].file);
		if (jv_parse_file_max(path, DOC_MAX, &d, err, sizeof(err)))
			continue; /* absent or unreadable: no numbers from it */
		docs[i].fn(d, prefix, ms);
		jv_free(d);
	}
}

/* The point's directory and its subdirectories (a lab's DIR/MODE), prefixed "MODE_". */
static void point_metrics(const char *dir, struct metrics *ms)
{
	char sub[4400], prefix[80];
	struct dirent *e;
	DIR *dh;

	ms->n = 0;
	dir_metrics(dir, "", ms);
	dh = opendir(dir);
	while (dh && (e = readdir(dh))) {
		struct stat st;

		if (e->d_name[0] == '.' || strlen(e->d_name) > 60)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (stat(sub, &st) || !S_ISDIR(st.st_mode))
			continue;
		/* at most 60 bytes and "_": it fits */
		memcpy(prefix, e->d_name, strlen(e->d_name));
		strcpy(prefix + strlen(e->d_name), "_");
		dir_metrics(sub, prefix, ms);
	}
	if (dh)
		closedir(dh);
}

/* ------------------------------------------------------------------------------------------ */
/* The summary. */

enum pstate { P_OK, P_FAILED, P_NOT_RUN };
static const char *const pstate_names[] = {"ok", "failed", "not run"};

struct row {
	enum pstate state;
	int64_t exit_status; /* -1: none */
	double seconds;
	char dir[4200];
};

static void point_row(const struct sweep_opts *o, uint64_t k, struct row *r)
{
	char path[4400], err[200];
	struct jv *d;
	int64_t x;

	sweep_point_dir(o, k, r->dir, sizeof(r->dir));
	r->state = P_NOT_RUN;
	r->exit_status = -1;
	r->seconds = NAN;
	snprintf(path, sizeof(path), "%s/%s", r->dir, SWEEP_STATUS_FILE);
	if (!jv_parse_file_max(path, 1 << 16, &d, err, sizeof(err))) {
		if (jv_int(jv_get(d, "exit_status"), 0, 255, &x))
			r->exit_status = x;
		jv_num(jv_get(d, "duration_s"), &r->seconds);
		jv_free(d);
	}
	if (sweep_point_done(r->dir))
		r->state = P_OK;
	else if (r->exit_status > 0)
		r->state = P_FAILED;
}

struct columns {
	unsigned n;
	char name[MAX_COLUMNS][96];
};

static void columns_add(struct columns *c, const struct metrics *ms)
{
	for (unsigned i = 0; i < ms->n; i++) {
		unsigned k = 0;

		while (k < c->n && strcmp(c->name[k], ms->m[i].name))
			k++;
		if (k == c->n && c->n < MAX_COLUMNS)
			memcpy(c->name[c->n++], ms->m[i].name, sizeof(c->name[0]));
	}
}

static const struct metric *metric_find(const struct metrics *ms, const char *name)
{
	for (unsigned i = 0; i < ms->n; i++)
		if (!strcmp(ms->m[i].name, name))
			return &ms->m[i];
	return NULL;
}

static void csv_field(FILE *f, const char *s, bool first)
{
	if (!first)
		fputc(',', f);
	csv_write_field(f, s);
}

struct summary {
	const struct sweep_opts *o;
	struct columns cols;
	struct metrics ms;
	struct sweep_counts counts;
};

static void csv_row(FILE *f, struct summary *s, uint64_t k, const struct row *r)
{
	const struct sweep_grid *g = &s->o->grid;
	char num[32];

	snprintf(num, sizeof(num), "%" PRIu64, k + 1);
	csv_field(f, num, true);
	csv_field(f, strrchr(r->dir, '/') + 1, false);
	for (unsigned i = 0; i < g->nparams; i++)
		csv_field(f, sweep_grid__value(g, k, i), false);
	csv_field(f, pstate_names[r->state], false);
	snprintf(num, sizeof(num), "%" PRId64, r->exit_status);
	csv_field(f, r->exit_status < 0 ? "" : num, false);
	snprintf(num, sizeof(num), "%.3f", r->seconds);
	csv_field(f, isnan(r->seconds) ? "" : num, false);
	for (unsigned c = 0; c < s->cols.n; c++) {
		const struct metric *m = metric_find(&s->ms, s->cols.name[c]);

		csv_field(f, m ? m->text : "", false);
	}
	fputc('\n', f);
}

static int fill_csv(FILE *f, void *arg)
{
	struct summary *s = arg;
	const struct sweep_grid *g = &s->o->grid;
	uint64_t n = sweep_grid__points(g);
	struct row r;

	fputs("point,dir", f);
	for (unsigned i = 0; i < g->nparams; i++)
		csv_field(f, g->p[i].key, false);
	fputs(",status,exit_status,duration_s", f);
	for (unsigned c = 0; c < s->cols.n; c++)
		csv_field(f, s->cols.name[c], false);
	fputc('\n', f);
	for (uint64_t k = 0; k < n; k++) {
		point_row(s->o, k, &r);
		point_metrics(r.dir, &s->ms);
		csv_row(f, s, k, &r);
	}
	return ferror(f) ? -EIO : 0;
}

static void json_row(struct json *j, struct summary *s, uint64_t k, const struct row *r)
{
	const struct sweep_grid *g = &s->o->grid;

	json_obj_begin(j, NULL);
	json_u64(j, "point", k + 1);
	json_str(j, "dir", strrchr(r->dir, '/') + 1);
	json_obj_begin(j, "parameters");
	for (unsigned i = 0; i < g->nparams; i++)
		json_str(j, g->p[i].key, sweep_grid__value(g, k, i));
	json_obj_end(j);
	json_str(j, "status", pstate_names[r->state]);
	if (r->exit_status < 0)
		json_null(j, "exit_status");
	else
		json_i64(j, "exit_status", r->exit_status);
	json_double(j, "duration_s", r->seconds); /* NaN: null */
	json_obj_begin(j, "results");
	for (unsigned i = 0; i < s->ms.n; i++) {
		const struct metric *m = &s->ms.m[i];

		if (m->is_num && m->num == floor(m->num) && fabs(m->num) < 1e15)
			json_i64(j, m->name, (int64_t)m->num);
		else if (m->is_num)
			json_double(j, m->name, m->num);
		else
			json_str(j, m->name, m->text);
	}
	json_obj_end(j);
	json_obj_end(j);
}

static int fill_json(FILE *f, void *arg)
{
	struct summary *s = arg;
	uint64_t n = sweep_grid__points(&s->o->grid);
	struct json j;
	struct row r;

	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "schema", "memvirt-sweep/1");
	memvirt_provenance_json(&j);
	json_str(&j, "dir", s->o->out);
	json_u64(&j, "points", n);
	json_u64(&j, "ok", s->counts.ok);
	json_u64(&j, "failed", s->counts.failed);
	json_u64(&j, "not_run", s->counts.not_run);
	json_arr_begin(&j, "rows");
	for (uint64_t k = 0; k < n; k++) {
		point_row(s->o, k, &r);
		point_metrics(r.dir, &s->ms);
		json_row(&j, s, k, &r);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	return json_finish(&j);
}

/* "a; b; c" while it fits, then "...". */
static void names_add(char *buf, size_t len, const char *name)
{
	size_t at = strlen(buf);

	if (at >= 3 && !strcmp(buf + at - 3, "..."))
		return;
	if (at + strlen(name) + 8 >= len) {
		snprintf(buf + at, len - at, "%s...", at ? "; " : "");
		return;
	}
	snprintf(buf + at, len - at, "%s%s", at ? "; " : "", name);
}

int sweep_summary_write(const struct sweep_opts *o, struct sweep_counts *c)
{
	static struct summary s;
	uint64_t n = sweep_grid__points(&o->grid);
	char path[1200];
	struct row r;
	int rc;

	memset(&s, 0, sizeof(s));
	s.o = o;
	/* First pass: the states, and the union of the points' result columns. */
	for (uint64_t k = 0; k < n; k++) {
		point_row(o, k, &r);
		s.counts.ok += r.state == P_OK;
		s.counts.failed += r.state == P_FAILED;
		s.counts.not_run += r.state == P_NOT_RUN;
		if (r.state == P_FAILED)
			names_add(s.counts.failed_names, sizeof(s.counts.failed_names),
				  strrchr(r.dir, '/') + 1);
		point_metrics(r.dir, &s.ms);
		columns_add(&s.cols, &s.ms);
	}
	*c = s.counts;
	snprintf(path, sizeof(path), "%s/summary.csv", o->out);
	rc = write_file_atomic(path, fill_csv, &s, false);
	snprintf(path, sizeof(path), "%s/summary.json", o->out);
	return rc ? rc : write_file_atomic(path, fill_json, &s, false);
}

/* ------------------------------------------------------------------------------------------ */
/* --emit-jobs. */

/* The command that runs point @k (or "$k" when @k is 0), quoted for a shell. */
static void point_line(const struct sweep_opts *o, uint64_t k, char *buf, size_t len)
{
	char num[32], grid[1200];

	buf[0] = 0;
	snprintf(grid, sizeof(grid), "%s/grid.txt", o->out);
	snprintf(num, sizeof(num), "%" PRIu64, k);
	sweep_shell_quote(o->self, buf, len);
	strncat(buf, " sweep --out ", len - strlen(buf) - 1);
	sweep_shell_quote(o->out, buf, len);
	strncat(buf, " --grid ", len - strlen(buf) - 1);
	sweep_shell_quote(grid, buf, len);
	strncat(buf, " --point ", len - strlen(buf) - 1);
	strncat(buf, k ? num : "\"$k\"", len - strlen(buf) - 1);
	strncat(buf, " --", len - strlen(buf) - 1);
	for (int i = 0; i < o->ncmd; i++) {
		strncat(buf, " ", len - strlen(buf) - 1);
		sweep_shell_quote(o->cmd[i], buf, len);
	}
}

static int fill_jobs(FILE *f, void *arg)
{
	const struct sweep_opts *o = arg;
	uint64_t n = sweep_grid__points(&o->grid);
	static char line[16384];

	for (uint64_t k = 1; k <= n; k++) {
		point_line(o, k, line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	return ferror(f) ? -EIO : 0;
}

static int fill_sbatch(FILE *f, void *arg)
{
	const struct sweep_opts *o = arg;
	static char line[16384];

	point_line(o, 0, line, sizeof(line));
	fprintf(f,
		"#!/bin/bash\n"
		"# A Slurm array of the memvirt sweep in %s, one task per point:\n"
		"#   sbatch %s/sweep.sbatch\n"
		"# then: memvirt sweep --summary %s\n"
		"# SWEEP_PRINT=1 SLURM_ARRAY_TASK_ID=K bash sweep.sbatch prints point K's "
		"command.\n"
		"#SBATCH --job-name=memvirt-sweep\n"
		"#SBATCH --array=1-%" PRIu64 "%%%u\n"
		"#SBATCH --output=%s/slurm-%%A_%%a.out\n"
		"set -eu\n"
		"if [ -z \"${SLURM_ARRAY_TASK_ID:-}\" ]; then\n"
		"\techo \"sweep.sbatch: no SLURM_ARRAY_TASK_ID: submit it with sbatch\" >&2\n"
		"\texit 2\n"
		"fi\n"
		"k=$SLURM_ARRAY_TASK_ID\n"
		"if [ -n \"${SWEEP_PRINT:-}\" ]; then\n"
		"\techo %s\n"
		"\texit 0\n"
		"fi\n"
		"exec %s\n",
		o->out, o->emit_dir, o->out, sweep_grid__points(&o->grid), o->jobs, o->emit_dir,
		line, line);
	return ferror(f) ? -EIO : 0;
}

static int fill_readme(FILE *f, void *arg)
{
	const struct sweep_opts *o = arg;

	fprintf(f,
		"The memvirt sweep in %s as jobs, %" PRIu64 " points.\n\n"
		"GNU parallel, one line of jobs.txt per point:\n"
		"  parallel --joblog %s/joblog --resume -j %u < %s/jobs.txt\n\n"
		"Slurm, one array task per point:\n"
		"  sbatch %s/sweep.sbatch\n\n"
		"Each writes into %s/points/NNNN-.../ and its 'done' marker; then:\n"
		"  memvirt sweep --summary %s\n",
		o->out, sweep_grid__points(&o->grid), o->emit_dir, o->jobs, o->emit_dir,
		o->emit_dir, o->out, o->out);
	return ferror(f) ? -EIO : 0;
}

int sweep_emit_jobs(const struct sweep_opts *o)
{
	static const struct {
		const char *name;
		int (*fill)(FILE *f, void *arg);
	} files[] = {
		{"jobs.txt", fill_jobs}, {"sweep.sbatch", fill_sbatch}, {"README", fill_readme}};
	char path[4200];
	int rc = mkdir_p(o->emit_dir);

	for (size_t i = 0; i < ARRAY_SIZE(files) && !rc; i++) {
		snprintf(path, sizeof(path), "%s/%s", o->emit_dir, files[i].name);
		rc = write_file_atomic(path, files[i].fill, (void *)o, false);
	}
	if (rc) {
		pr_err("sweep: --emit-jobs %s: %s: give another directory\n", o->emit_dir,
		       strerror(-rc));
		return rc;
	}
	printf("sweep: %" PRIu64 " jobs in %s/jobs.txt and %s/sweep.sbatch (see %s/README)\n",
	       sweep_grid__points(&o->grid), o->emit_dir, o->emit_dir, o->emit_dir);
	return 0;
}
