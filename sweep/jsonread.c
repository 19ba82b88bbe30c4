// SPDX-License-Identifier: GPL-2.0
/*
 * A small JSON reader for the documents a sweep's points leave (sim.json, run.json, the
 * sweep's own sweep.json): the whole text into a tree of nodes. The files are untrusted:
 * every length, depth and number is checked, and \u escapes outside ASCII become '?'.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep.h"

#define JDOC_MAX_DEPTH 64

struct jparser {
	struct jdoc *d;
	const char *s;
	size_t pos, len;
	char *out; /* next free byte of d->text */
	char *err;
	size_t errlen;
};

static int fail(struct jparser *p, const char *what)
{
	snprintf(p->err, p->errlen, "offset %zu: %s", p->pos, what);
	return -EINVAL;
}

static void ws(struct jparser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]))
		p->pos++;
}

static int node_new(struct jparser *p, enum jtype t)
{
	struct jdoc *d = p->d;

	if (d->n == d->cap) {
		unsigned cap = d->cap ? d->cap * 2 : 64;
		struct jnode *nn = cap > (1u << 24) ? NULL : realloc(d->nodes, cap * sizeof(*nn));

		if (!nn)
			return -1;
		d->nodes = nn;
		d->cap = cap;
	}
	d->nodes[d->n] = (struct jnode){.type = t, .child = -1, .next = -1};
	return (int)d->n++;
}

/* A string at p->pos (its opening quote) into p->out; *@str points at it. */
static int string(struct jparser *p, const char **str)
{
	char *o = p->out;

	p->pos++;
	*str = o;
	while (p->pos < p->len && p->s[p->pos] != '"') {
		char c = p->s[p->pos++];

		if ((unsigned char)c < 0x20)
			return fail(p, "control character in a string");
		if (c == '\\') {
			if (p->pos >= p->len)
				break;
			c = p->s[p->pos++];
			switch (c) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case '"':
			case '\\':
			case '/':
				break;
			case 'u': {
				unsigned v = 0;

				if (p->len - p->pos < 4)
					return fail(p, "short \\u escape");
				for (int i = 0; i < 4; i++) {
					char h = p->s[p->pos++];

					if (!isxdigit((unsigned char)h))
						return fail(p, "bad \\u escape");
					v = v * 16 + (unsigned)(isdigit((unsigned char)h)
									? h - '0'
									: (tolower(h) - 'a' + 10));
				}
				c = v && v < 0x80 ? (char)v : '?';
				break;
			}
			default:
				return fail(p, "bad escape");
			}
		}
		*o++ = c;
	}
	if (p->pos >= p->len)
		return fail(p, "unterminated string");
	p->pos++;
	*o++ = 0;
	p->out = o;
	return 0;
}

static int value(struct jparser *p, int depth);

/* Members of an array or object, linked as children of node @n. */
static int members(struct jparser *p, int n, bool obj, int depth)
{
	char close = obj ? '}' : ']';
	int last = -1;

	p->pos++;
	ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		int c;

		ws(p);
		if (obj) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a key");
			if (string(p, &key))
				return -EINVAL;
			ws(p);
			if (p->pos >= p->len || p->s[p->pos++] != ':')
				return fail(p, "expected ':'");
		}
		c = value(p, depth + 1);
		if (c < 0)
			return -EINVAL;
		p->d->nodes[c].key = key;
		if (last < 0)
			p->d->nodes[n].child = c;
		else
			p->d->nodes[last].next = c;
		last = c;
		p->d->nodes[n].len++;
		ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return 0;
		}
		return fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int number(struct jparser *p, int n)
{
	char buf[64], *end;
	size_t k = 0;

	while (p->pos < p->len && strchr("+-0123456789.eE", p->s[p->pos]) && k < sizeof(buf) - 1)
		buf[k++] = p->s[p->pos++];
	buf[k] = 0;
	p->d->nodes[n].num = strtod(buf, &end);
	if (!k || *end)
		return fail(p, "bad number");
	return 0;
}

static int word(struct jparser *p, const char *w)
{
	size_t l = strlen(w);

	if (p->len - p->pos < l || memcmp(p->s + p->pos, w, l))
		return fail(p, "unexpected character");
	p->pos += l;
	return 0;
}

/* One value; returns its node, or -1 (the message in p->err). */
static int value(struct jparser *p, int depth)
{
	int n, rc;
	char c;

	ws(p);
	if (depth > JDOC_MAX_DEPTH)
		return fail(p, "nested too deeply"), -1;
	if (p->pos >= p->len)
		return fail(p, "unexpected end"), -1;
	c = p->s[p->pos];
	n = node_new(p, c == '{'	       ? J_OBJ
			: c == '['	       ? J_ARR
			: c == '"'	       ? J_STR
			: c == 't' || c == 'f' ? J_BOOL
			: c == 'n'	       ? J_NULL
					       : J_NUM);
	if (n < 0)
		return fail(p, "out of memory"), -1;
	switch (p->d->nodes[n].type) {
	case J_OBJ:
	case J_ARR:
		rc = members(p, n, c == '{', depth);
		break;
	case J_STR:
		rc = string(p, &p->d->nodes[n].str);
		break;
	case J_BOOL:
		p->d->nodes[n].num = c == 't';
		rc = word(p, c == 't' ? "true" : "false");
		break;
	case J_NULL:
		rc = word(p, "null");
		break;
	default:
		rc = number(p, n);
	}
	return rc ? -1 : n;
}

int jdoc_parse(struct jdoc *d, const char *s, size_t len, char *err, size_t errlen)
{
	struct jparser p = {.d = d, .s = s, .len = len, .err = err, .errlen = errlen};

	memset(d, 0, sizeof(*d));
	/* Unescaped strings are never longer than the text they come from. */
	d->text = malloc(len + 1);
	if (!d->text)
		return fail(&p, "out of memory");
	p.out = d->text;
	if (value(&p, 0) < 0)
		goto bad;
	ws(&p);
	if (p.pos != len) {
		fail(&p, "text after the document");
		goto bad;
	}
	return 0;
bad:
	jdoc_free(d);
	return -EINVAL;
}

int jdoc_load(struct jdoc *d, const char *path, size_t max, char *err, size_t errlen)
{
	FILE *f = sweep_fopen_regular(path);
	char *buf;
	size_t n;
	int rc;

	memset(d, 0, sizeof(*d));
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path,
			 errno == EINVAL ? "not a regular file" : strerror(errno));
		return rc;
	}
	buf = malloc(max + 1);
	n = buf ? fread(buf, 1, max + 1, f) : 0;
	fclose(f);
	if (!buf || n > max) {
		free(buf);
		snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
		return -EFBIG;
	}
	rc = jdoc_parse(d, buf, n, err, errlen);
	free(buf);
	return rc;
}

void jdoc_free(struct jdoc *d)
{
	free(d->nodes);
	free(d->text);
	memset(d, 0, sizeof(*d));
}

const struct jnode *jdoc_root(const struct jdoc *d)
{
	return d->n ? &d->nodes[0] : NULL;
}

const struct jnode *jdoc_get(const struct jdoc *d, const struct jnode *o, const char *key)
{
	if (!o || o->type != J_OBJ)
		return NULL;
	for (int c = o->child; c >= 0; c = d->nodes[c].next)
		if (d->nodes[c].key && !strcmp(d->nodes[c].key, key))
			return &d->nodes[c];
	return NULL;
}

const struct jnode *jdoc_at(const struct jdoc *d, const struct jnode *a, unsigned i)
{
	int c;

	if (!a || a->type != J_ARR)
		return NULL;
	for (c = a->child; c >= 0 && i; c = d->nodes[c].next)
		i--;
	return c >= 0 ? &d->nodes[c] : NULL;
}

const struct jnode *jdoc_path(const struct jdoc *d, const char *path)
{
	const struct jnode *n = jdoc_root(d);
	char part[128];

	while (n && *path) {
		size_t l = strcspn(path, "/");

		if (l >= sizeof(part))
			return NULL;
		memcpy(part, path, l);
		part[l] = 0;
		path += l + (path[l] == '/');
		if (n->type == J_ARR && isdigit((unsigned char)part[0]))
			n = jdoc_at(d, n, (unsigned)strtoul(part, NULL, 10));
		else
			n = jdoc_get(d, n, part);
	}
	return n;
}
