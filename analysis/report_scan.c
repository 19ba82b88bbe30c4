// SPDX-License-Identifier: GPL-2.0
/*
 * The inputs of 'memvirt report': directories searched recursively for
 * sim.json, run.json (and its events.mvev), lab.json, sweep.json, and JSON
 * files of memvirt-validate/1. A file that should be one of them and is not
 * readable or well-formed stops the report with one line naming it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/jsonval.h"
#include "analysis/report.h"

#define SCAN_MAX_DEPTH 16

/* What an enclosing lab.json says about the runs below it. */
struct lab_ctx {
	bool in_lab, times_emulated;
	char accel[16];
};

struct scan {
	struct report_set *s;
	const char *root;
	char *err;
	size_t errlen;
};

static const char *kind_schema(enum report_kind k)
{
	return k == REPORT_SIM ? "memvirt-sim/1" : k == REPORT_RUN ? "memvirt-run/1" : NULL;
}

static struct report_input *set_add(struct report_set *s)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		struct report_input *in = realloc(s->in, nc * sizeof(*in));

		if (!in)
			return NULL;
		s->in = in;
		s->cap = nc;
	}
	memset(&s->in[s->n], 0, sizeof(s->in[0]));
	return &s->in[s->n++];
}

/* The lab's identity, from lab.json's "lab" or run.json's "lab" object. */
static void lab_from(const struct jv *lab, struct lab_ctx *c)
{
	const struct jv *te = jv_get(lab, "times_emulated");
	const char *accel = jv_path_str(lab, "accel", NULL);

	if (!lab)
		return;
	c->in_lab = true;
	if (te && te->type == JV_BOOL)
		c->times_emulated = te->b;
	if (accel)
		snprintf(c->accel, sizeof(c->accel), "%s", accel);
}

/* lab.json's "command" array joined by spaces. */
static void join_command(const struct jv *arr, char *out, size_t len)
{
	size_t n = 0;

	out[0] = 0;
	for (size_t i = 0; jv_at(arr, i) && n < len; i++) {
		const char *a = jv_str(jv_at(arr, i));
		int k = snprintf(out + n, len - n, "%s%s", i ? " " : "", a ? a : "?");

		if (k < 0)
			break;
		n += (size_t)k;
	}
}

/*
 * Strings from a document go into CSV cells, gnuplot strings, Markdown and
 * HTML: characters that mean something there become '_', except in the
 * command lines, which are shown escaped and never parsed again.
 */
static void scrub(struct jv *v, bool keep)
{
	if (v->type == JV_STR && !keep) {
		for (char *c = v->str; *c; c++)
			if (strchr(",\"'\\$`|<>&;", *c) || (unsigned char)*c < 0x20)
				*c = '_';
	}
	for (size_t i = 0; i < v->n; i++)
		scrub(&v->items[i],
		      keep || (v->type == JV_OBJ && (!strcmp(v->keys[i], "command") ||
						     !strcmp(v->keys[i], "command_line"))));
}

static int load_json(struct scan *sc, const char *path, struct jv **doc)
{
	char why[200];
	int rc = jv_parse_file(path, doc, why, sizeof(why));

	if (rc == -EINVAL || rc == -EFBIG)
		snprintf(sc->err, sc->errlen, "%s: not well-formed JSON (%s)", path, why);
	else if (rc)
		snprintf(sc->err, sc->errlen, "%s: cannot be read: %s", path, strerror(-rc));
	if (!rc)
		scrub(*doc, false);
	return rc ? -EINVAL : 0;
}

/* Add the document @name in @dir as an input of @kind; checks what later stages rely on. */
static int add_doc(struct scan *sc, const char *dir, const char *name, enum report_kind kind,
		   struct lab_ctx *lab)
{
	struct report_input *in = set_add(sc->s);
	const char *schema, *want = kind_schema(kind);
	int rc;

	if (!in)
		return -ENOMEM;
	snprintf(in->dir, sizeof(in->dir), "%s", dir);
	if (snprintf(in->path, sizeof(in->path), "%s/%s", dir, name) >= (int)sizeof(in->path)) {
		snprintf(sc->err, sc->errlen, "%s/%s: path too long", dir, name);
		return -EINVAL;
	}
	in->kind = kind;
	rc = load_json(sc, in->path, &in->doc);
	if (rc)
		return rc;
	schema = jv_str(jv_get(in->doc, "schema"));
	if (want && (!schema || strcmp(schema, want))) {
		snprintf(sc->err, sc->errlen, "%s: not a %s document (schema '%s')", in->path, want,
			 schema ? schema : "missing");
		return -EINVAL;
	}
	if (kind == REPORT_SIM &&
	    (!jv_get(in->doc, "results") || jv_get(in->doc, "results")->type != JV_ARR)) {
		snprintf(sc->err, sc->errlen, "%s: has no \"results\" array", in->path);
		return -EINVAL;
	}
	if (kind == REPORT_LAB) {
		lab_from(jv_get(in->doc, "lab"), lab);
		join_command(jv_get(in->doc, "command"), in->command, sizeof(in->command));
	} else {
		snprintf(in->command, sizeof(in->command), "%s",
			 jv_path_str(in->doc, "provenance.command_line", ""));
	}
	for (char *c = in->command; *c; c++) /* it is shown in `code` spans */
		if (*c == '`' || (unsigned char)*c < 0x20)
			*c = *c == '`' ? '\'' : ' ';
	if (kind == REPORT_RUN)
		lab_from(jv_get(in->doc, "lab"), lab);
	in->times_emulated = lab->times_emulated;
	snprintf(in->accel, sizeof(in->accel), "%s", lab->accel);
	return 0;
}

static int add_trace(struct scan *sc, const char *dir)
{
	struct report_input *in = &sc->s->in[sc->s->n - 1];
	char path[REPORT_PATH_MAX + 16], why[200];
	struct stat st;
	int rc;

	snprintf(path, sizeof(path), "%s/events.mvev", dir);
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	rc = report_trace_read(path, &in->trace, why, sizeof(why));
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		snprintf(sc->err, sc->errlen, "%s: %s", path, why);
		return -EINVAL;
	}
	return 0;
}

/* Another JSON file: an input only when it is validate's output. */
static int add_other_json(struct scan *sc, const char *dir, const char *name, struct lab_ctx *lab)
{
	char path[REPORT_PATH_MAX], why[200];
	struct jv *doc;
	const char *schema;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return 0;
	if (jv_parse_file(path, &doc, why, sizeof(why)))
		return 0; /* not ours: a file memvirt never wrote */
	schema = jv_str(jv_get(doc, "schema"));
	if (schema && !strcmp(schema, "memvirt-validate/1")) {
		jv_free(doc);
		return add_doc(sc, dir, name, REPORT_VALIDATE, lab);
	}
	jv_free(doc);
	return 0;
}

static bool has_file(const char *dir, const char *name)
{
	char path[REPORT_PATH_MAX + 64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !stat(path, &st) && S_ISREG(st.st_mode);
}

static int scan_dir(struct scan *sc, const char *dir, unsigned depth, struct lab_ctx lab);

/* The documents of @dir itself, before its subdirectories. */
static int scan_docs(struct scan *sc, const char *dir, struct lab_ctx *lab)
{
	int rc = 0;

	if (has_file(dir, "lab.json"))
		rc = add_doc(sc, dir, "lab.json", REPORT_LAB, lab);
	if (!rc && has_file(dir, "sweep.json"))
		rc = add_doc(sc, dir, "sweep.json", REPORT_SWEEP, lab);
	if (!rc && has_file(dir, "sim.json"))
		rc = add_doc(sc, dir, "sim.json", REPORT_SIM, lab);
	if (!rc && has_file(dir, "run.json")) {
		struct lab_ctx run_lab = *lab;

		rc = add_doc(sc, dir, "run.json", REPORT_RUN, &run_lab);
		if (!rc)
			rc = add_trace(sc, dir);
	}
	return rc;
}

static bool is_known(const char *name)
{
	static const char *const known[] = {"lab.json", "sweep.json", "sim.json", "run.json"};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(name, known[i]))
			return true;
	return false;
}

static int scan_entry(struct scan *sc, const char *dir, const char *name, unsigned depth,
		      struct lab_ctx *lab)
{
	char path[REPORT_PATH_MAX];
	size_t l = strlen(name);
	struct stat st;

	if (name[0] == '.')
		return 0; /* hidden, and the report's own temporaries */
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return 0;
	if (lstat(path, &st)) /* symbolic links are not followed: no loops */
		return 0;
	if (S_ISDIR(st.st_mode))
		return scan_dir(sc, path, depth + 1, *lab);
	if (S_ISREG(st.st_mode) && l > 5 && !strcmp(name + l - 5, ".json") && !is_known(name))
		return add_other_json(sc, dir, name, lab);
	return 0;
}

static int scan_dir(struct scan *sc, const char *dir, unsigned depth, struct lab_ctx lab)
{
	struct dirent **names;
	int n, rc;

	if (depth > SCAN_MAX_DEPTH)
		return 0;
	rc = scan_docs(sc, dir, &lab);
	if (rc)
		return rc;
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		snprintf(sc->err, sc->errlen, "%s: cannot be read: %s", dir, strerror(errno));
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		if (!rc)
			rc = scan_entry(sc, dir, names[i]->d_name, depth, &lab);
		free(names[i]);
	}
	free(names);
	return rc;
}

int report_scan(struct report_set *s, const char *path, char *err, size_t errlen)
{
	struct scan sc = {s, path, err, errlen};
	struct lab_ctx lab = {0};
	char dir[REPORT_PATH_MAX];
	struct stat st;
	const char *slash;

	if (stat(path, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -EINVAL;
	}
	if (S_ISDIR(st.st_mode)) {
		size_t l = strlen(path);

		while (l > 1 && path[l - 1] == '/')
			l--;
		snprintf(dir, sizeof(dir), "%.*s", (int)l, path);
		return scan_dir(&sc, dir, 0, lab);
	}
	/* One file: a JSON document named on the command line. */
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (is_known(slash ? slash + 1 : path))
		return scan_docs(&sc, dir, &lab);
	return add_doc(&sc, dir, slash ? slash + 1 : path, REPORT_VALIDATE, &lab);
}

void report_set_free(struct report_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		jv_free(s->in[i].doc);
		report_trace_free(s->in[i].trace);
	}
	free(s->in);
	s->in = NULL;
	s->n = s->cap = 0;
}

/* The directory's last two components: "sweep/fp-4M", "r1". */
static void short_name(const char *dir, char *out, size_t len)
{
	const char *p = dir + strlen(dir), *cut = dir;
	int slashes = 0;

	while (p > dir) {
		p--;
		if (*p == '/' && ++slashes == 2) {
			cut = p + 1;
			break;
		}
	}
	if (!strcmp(cut, "."))
		cut = "input";
	/* the tail, when long: the end of a path tells inputs apart */
	if (strlen(cut) >= len)
		cut += strlen(cut) - (len - 1);
	memcpy(out, cut, strlen(cut) + 1);
}

void report_label(struct report_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct report_input *in = &s->in[i];

		short_name(in->dir, in->label, sizeof(in->label) - 24);
		/* a lab boot or a sweep shares its directory with a run or sims: say which */
		if (in->kind == REPORT_LAB || in->kind == REPORT_SWEEP)
			strcat(in->label, in->kind == REPORT_LAB ? " lab" : " sweep");
		if (in->kind == REPORT_VALIDATE) {
			const char *file = strrchr(in->path, '/');

			snprintf(in->label + strlen(in->label), 16, "/%.*s",
				 (int)strcspn(file ? file + 1 : in->path, "."),
				 file ? file + 1 : in->path);
		}
		for (char *c = in->label; *c; c++) /* it goes into CSV, gnuplot, Markdown, HTML */
			if (strchr(",\"'\\$`|<>&;", *c) || (unsigned char)*c < 0x20)
				*c = '_';
	}
	/* From the last: the labels before it are still without their suffix. */
	for (size_t i = s->n; i-- > 0;) {
		unsigned same = 0;

		for (size_t k = 0; k < i; k++)
			same += !strcmp(s->in[k].label, s->in[i].label);
		if (same)
			snprintf(s->in[i].label + strlen(s->in[i].label), 8, "#%u", same + 1);
	}
}
