// SPDX-License-Identifier: GPL-2.0
/* A bounded recursive-descent JSON reader (RFC 8259) for memvirt's own documents. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/jsonval.h"

struct jp {
	const char *s;
	size_t len, pos;
	char *err;
	size_t errlen;
	bool nomem;
};

__attribute__((format(printf, 2, 3))) static int jp_fail(struct jp *p, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err && p->err[0] == 0)
		snprintf(p->err, p->errlen, "offset %zu: %s", p->pos, msg);
	return -EINVAL;
}

static void jp_ws(struct jp *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

static int jp_value(struct jp *p, struct jv *v, unsigned depth);

static int jp_hex4(struct jp *p, unsigned *out)
{
	unsigned v = 0;

	if (p->len - p->pos < 4)
		return jp_fail(p, "short \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos++];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return jp_fail(p, "bad \\u escape");
	}
	*out = v;
	return 0;
}

static size_t utf8_put(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One escape after the backslash into @o; returns bytes written or -EINVAL. */
static int jp_escape(struct jp *p, char *o)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k;
	unsigned cp, lo;

	if (p->pos >= p->len)
		return jp_fail(p, "unterminated string");
	k = strchr(from, p->s[p->pos]);
	if (k && *k) {
		p->pos++;
		*o = to[k - from];
		return 1;
	}
	if (p->s[p->pos++] != 'u')
		return jp_fail(p, "bad escape");
	if (jp_hex4(p, &cp))
		return -EINVAL;
	if (cp >= 0xd800 && cp < 0xdc00) { /* a surrogate pair */
		if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
			return jp_fail(p, "lone surrogate");
		p->pos += 2;
		if (jp_hex4(p, &lo) || lo < 0xdc00 || lo > 0xdfff)
			return jp_fail(p, "bad surrogate pair");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0)
		return jp_fail(p, "NUL in a string");
	return (int)utf8_put(o, cp);
}

static int jp_string(struct jp *p, char **out)
{
	size_t start = ++p->pos, end = start, n = 0;
	char *o;

	/* An escape never makes the text longer: the raw length bounds the result. */
	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	if (end >= p->len)
		return jp_fail(p, "unterminated string");
	o = malloc(end - start + 1);
	if (!o) {
		p->nomem = true;
		return -ENOMEM;
	}
	while (p->s[p->pos] != '"') {
		unsigned char c = (unsigned char)p->s[p->pos];
		int k;

		if (c < 0x20) {
			free(o);
			return jp_fail(p, "control character in a string");
		}
		if (c != '\\') {
			o[n++] = (char)c;
			p->pos++;
			continue;
		}
		p->pos++;
		k = jp_escape(p, o + n);
		if (k < 0) {
			free(o);
			return k;
		}
		n += (size_t)k;
	}
	p->pos++;
	o[n] = 0;
	*out = o;
	return 0;
}

static int jp_number(struct jp *p, struct jv *v)
{
	char buf[64];
	size_t n = 0;
	char *end;

	while (p->pos < p->len && strchr("+-0123456789.eE", p->s[p->pos]) && p->s[p->pos]) {
		if (n + 1 >= sizeof(buf))
			return jp_fail(p, "number too long");
		buf[n++] = p->s[p->pos++];
	}
	buf[n] = 0;
	v->num = strtod(buf, &end);
	if (!n || *end || !isfinite(v->num))
		return jp_fail(p, "bad number '%s'", buf);
	v->type = JV_NUM;
	return 0;
}

static int jp_word(struct jp *p, struct jv *v)
{
	static const struct {
		const char *w;
		enum jv_type t;
		bool b;
	} words[] = {{"true", JV_BOOL, true}, {"false", JV_BOOL, false}, {"null", JV_NULL, false}};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t l = strlen(words[i].w);

		if (p->len - p->pos >= l && !memcmp(p->s + p->pos, words[i].w, l)) {
			p->pos += l;
			v->type = words[i].t;
			v->b = words[i].b;
			return 0;
		}
	}
	return jp_fail(p, "unexpected character");
}

/* Grow the item (and key) arrays of @v for one more member. */
static int jp_grow(struct jp *p, struct jv *v, size_t *cap)
{
	size_t nc = *cap ? *cap * 2 : 8;
	struct jv *items;

	if (v->n < *cap)
		return 0;
	items = realloc(v->items, nc * sizeof(*items));
	if (!items)
		goto nomem;
	v->items = items;
	if (v->type == JV_OBJ) {
		char **keys = realloc(v->keys, nc * sizeof(*keys));

		if (!keys)
			goto nomem;
		v->keys = keys;
	}
	*cap = nc;
	return 0;
nomem:
	p->nomem = true;
	return -ENOMEM;
}

static int jp_members(struct jp *p, struct jv *v, unsigned depth, char close)
{
	size_t cap = 0;
	int rc;

	p->pos++;
	jp_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		char *key = NULL;

		jp_ws(p);
		if (v->type == JV_OBJ) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return jp_fail(p, "expected a member name");
			rc = jp_string(p, &key);
			if (rc)
				return rc;
			jp_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				free(key);
				return jp_fail(p, "expected ':'");
			}
			p->pos++;
		}
		rc = jp_grow(p, v, &cap);
		if (rc) {
			free(key);
			return rc;
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		if (v->type == JV_OBJ)
			v->keys[v->n] = key;
		v->n++;
		rc = jp_value(p, &v->items[v->n - 1], depth + 1);
		if (rc)
			return rc;
		jp_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return 0;
		}
		return jp_fail(p, "expected ',' or '%c'", close);
	}
}

static int jp_value(struct jp *p, struct jv *v, unsigned depth)
{
	char c;

	jp_ws(p);
	if (p->pos >= p->len)
		return jp_fail(p, "unexpected end of document");
	c = p->s[p->pos];
	if (c == '{' || c == '[') {
		if (depth >= JV_MAX_DEPTH)
			return jp_fail(p, "nested deeper than %d", JV_MAX_DEPTH);
		v->type = c == '{' ? JV_OBJ : JV_ARR;
		return jp_members(p, v, depth, c == '{' ? '}' : ']');
	}
	if (c == '"') {
		v->type = JV_STR;
		return jp_string(p, &v->str);
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return jp_number(p, v);
	return jp_word(p, v);
}

static void jv_clear(struct jv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		jv_clear(&v->items[i]);
		if (v->type == JV_OBJ)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
}

void jv_free(struct jv *v)
{
	if (!v)
		return;
	jv_clear(v);
	free(v);
}

int jv_parse(const char *text, size_t len, struct jv **out, char *err, size_t errlen)
{
	struct jp p = {text, len, 0, err, errlen, false};
	struct jv *v = calloc(1, sizeof(*v));
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = 0;
	if (!v)
		return -ENOMEM;
	rc = jp_value(&p, v, 0);
	if (!rc) {
		jp_ws(&p);
		if (p.pos != p.len)
			rc = jp_fail(&p, "text after the document");
	}
	if (rc) {
		jv_free(v);
		return p.nomem ? -ENOMEM : rc;
	}
	*out = v;
	return 0;
}

int jv_parse_file(const char *path, struct jv **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0, cap = 1 << 16;
	char *buf;
	int rc;

	*out = NULL;
	if (!f)
		return -errno;
	buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (n < cap)
			break;
		if (cap >= JV_MAX_FILE) {
			free(buf);
			fclose(f);
			snprintf(err, errlen, "larger than %u MiB", JV_MAX_FILE >> 20);
			return -EFBIG;
		}
		char *nb = realloc(buf, cap * 2);

		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	rc = ferror(f) ? -EIO : 0;
	fclose(f);
	if (!buf)
		return -ENOMEM;
	if (!rc)
		rc = jv_parse(buf, n, out, err, errlen);
	free(buf);
	return rc;
}

const struct jv *jv_get(const struct jv *v, const char *key)
{
	if (!v || v->type != JV_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

const struct jv *jv_path(const struct jv *v, const char *path)
{
	char part[64];

	while (v && *path) {
		size_t l = strcspn(path, ".");

		if (l >= sizeof(part))
			return NULL;
		memcpy(part, path, l);
		part[l] = 0;
		v = jv_get(v, part);
		path += l + (path[l] == '.');
	}
	return v;
}

const struct jv *jv_at(const struct jv *v, size_t i)
{
	return v && v->type == JV_ARR && i < v->n ? &v->items[i] : NULL;
}

bool jv_num(const struct jv *v, double *out)
{
	if (!v || v->type != JV_NUM)
		return false;
	*out = v->num;
	return true;
}

const char *jv_str(const struct jv *v)
{
	return v && v->type == JV_STR ? v->str : NULL;
}

double jv_path_num(const struct jv *v, const char *path, double def)
{
	double d;

	return jv_num(jv_path(v, path), &d) ? d : def;
}

const char *jv_path_str(const struct jv *v, const char *path, const char *def)
{
	const char *s = jv_str(jv_path(v, path));

	return s ? s : def;
}
