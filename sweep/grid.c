// SPDX-License-Identifier: GPL-2.0
/* The sweep's grid: parameters, value lists and ranges, the cross product, points' names. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "sweep/sweep.h"

void sweep_grid__init(struct sweep_grid *g)
{
	memset(g, 0, sizeof(*g));
}

void sweep_grid__free(struct sweep_grid *g)
{
	for (unsigned i = 0; i < g->nparams; i++)
		free(g->p[i].values);
	sweep_grid__init(g);
}

static int push(struct sweep_param *p, const char *v, char *err, size_t errlen)
{
	if (p->n == SWEEP_MAX_VALUES) {
		snprintf(err, errlen, "%s: more than %d values: split the sweep", p->key,
			 SWEEP_MAX_VALUES);
		return -EINVAL;
	}
	if (!*v || strlen(v) >= SWEEP_VALUE_MAX) {
		snprintf(err, errlen, "%s: value '%.40s' is %s", p->key, v,
			 *v ? "too long" : "empty");
		return -EINVAL;
	}
	snprintf(p->values[p->n++], SWEEP_VALUE_MAX, "%s", v);
	return 0;
}

/* A range's bound: an integer, or a size when it has a unit suffix (then *@size is set). */
static int bound(const char *s, uint64_t *v, bool *size)
{
	const char *e = s;

	while (isdigit((unsigned char)*e))
		e++;
	if (e == s)
		return -EINVAL;
	if (*e) {
		*size = true;
		return parse_size(s, v);
	}
	return parse_u64(s, v);
}

/* "A..B", "A..B:+K", "A..B:xK" into @p. */
static int expand_range(struct sweep_param *p, const char *item, char *err, size_t errlen)
{
	char a[64], b[64], step[64] = "+1", buf[SWEEP_VALUE_MAX];
	const char *dots = strstr(item, ".."), *colon;
	uint64_t lo, hi, k;
	bool size = false, geo;
	size_t la;

	colon = strchr(dots + 2, ':');
	la = (size_t)(dots - item);
	if (la >= sizeof(a) || strlen(dots + 2) >= sizeof(b))
		goto bad;
	memcpy(a, item, la);
	a[la] = 0;
	snprintf(b, sizeof(b), "%.*s", colon ? (int)(colon - dots - 2) : 63, dots + 2);
	if (colon)
		snprintf(step, sizeof(step), "%s", colon + 1);
	geo = step[0] == 'x' || step[0] == '*';
	/* A factor is a number; a step may be a size ("+4K"). */
	if ((step[0] != '+' && !geo) || bound(a, &lo, &size) || bound(b, &hi, &size) ||
	    (geo ? parse_u64(step + 1, &k) : bound(step + 1, &k, &size)))
		goto bad;
	if (lo > hi || k == 0 || (geo && k < 2) || (geo && lo == 0)) {
		snprintf(err, errlen,
			 "%s: range '%s': want A <= B, a step above 0, a factor of 2 or more "
			 "from A above 0",
			 p->key, item);
		return -EINVAL;
	}
	for (uint64_t v = lo; v <= hi;) {
		/* "64K", "1G" when exact; a size that is not a whole unit in plain bytes. */
		if (!size || strchr(format_size(v, buf, sizeof(buf)), ' '))
			snprintf(buf, sizeof(buf), "%" PRIu64, v);
		if (push(p, buf, err, errlen))
			return -EINVAL;
		if (geo ? v > hi / k : v > hi - k)
			break;
		v = geo ? v * k : v + k;
	}
	return 0;
bad:
	snprintf(err, errlen,
		 "%s: bad range '%s': write A..B, A..B:+STEP or A..B:xFACTOR with integers or "
		 "sizes (64K..1G:x4)",
		 p->key, item);
	return -EINVAL;
}

static bool key_ok(const char *key)
{
	if (!*key || strlen(key) >= SWEEP_KEY_MAX)
		return false;
	for (const char *c = key; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-_.+", *c))
			return false;
	return isalpha((unsigned char)key[0]);
}

int sweep_grid__add(struct sweep_grid *g, const char *key, const char *list, char *err,
		    size_t errlen)
{
	struct sweep_param *p;
	char *buf;
	int rc = 0;

	if (!key_ok(key)) {
		snprintf(err, errlen, "bad parameter name '%.70s': letters, digits, '-', '_', '.'",
			 key);
		return -EINVAL;
	}
	for (unsigned i = 0; i < g->nparams; i++)
		if (!strcmp(g->p[i].key, key)) {
			snprintf(err, errlen, "parameter '%s' given twice: give its values once",
				 key);
			return -EINVAL;
		}
	if (g->nparams == SWEEP_MAX_PARAMS) {
		snprintf(err, errlen, "more than %d parameters", SWEEP_MAX_PARAMS);
		return -EINVAL;
	}
	p = &g->p[g->nparams];
	memset(p, 0, sizeof(*p));
	snprintf(p->key, sizeof(p->key), "%s", key);
	p->values = calloc(SWEEP_MAX_VALUES, sizeof(*p->values));
	buf = strdup(list);
	if (!p->values || !buf) {
		free(buf);
		free(p->values);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* strsep, not strtok: "a,,b" has an empty value, which is an error. */
	for (char *it = buf; it && !rc;) {
		char *item = str_trim(strsep(&it, ","));

		if (strpbrk(item, "#'\"\\")) {
			snprintf(err, errlen, "%s: value '%.40s': no '#', quotes or '\\' in values",
				 key, item);
			rc = -EINVAL;
		} else if (strstr(item, ".."))
			rc = expand_range(p, item, err, errlen);
		else
			rc = push(p, item, err, errlen);
	}
	free(buf);
	if (rc) {
		free(p->values);
		p->values = NULL;
		return rc;
	}
	g->nparams++;
	return 0;
}

int sweep_grid__load(struct sweep_grid *g, const char *path, char *err, size_t errlen)
{
	char line[4096], e[300];
	unsigned ln = 0;
	FILE *f = sweep_fopen_regular(path);
	int rc = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path,
			 errno == EINVAL ? "not a regular file" : strerror(errno));
		return -errno;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		char *s, *eq, *hash;

		ln++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line longer than %zu characters", path, ln,
				 sizeof(line) - 2);
			rc = -EINVAL;
			break;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		s = str_trim(line);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'key = value, value'", path, ln);
			rc = -EINVAL;
			break;
		}
		*eq = 0;
		rc = sweep_grid__add(g, str_trim(s), str_trim(eq + 1), e, sizeof(e));
		if (rc)
			snprintf(err, errlen, "%s:%u: %s", path, ln, e);
	}
	fclose(f);
	return rc;
}

uint64_t sweep_grid__points(const struct sweep_grid *g)
{
	uint64_t n = 1;

	for (unsigned i = 0; i < g->nparams; i++) {
		n *= g->p[i].n;
		if (n > SWEEP_MAX_POINTS)
			return 0;
	}
	return n;
}

const char *sweep_grid__value(const struct sweep_grid *g, uint64_t k, unsigned p)
{
	/* Mixed radix, the last parameter the fastest digit. */
	for (unsigned i = g->nparams; i-- > p + 1;)
		k /= g->p[i].n;
	return g->p[p].values[k % g->p[p].n];
}

void sweep_grid__point_name(const struct sweep_grid *g, uint64_t k, char *buf, size_t len)
{
	uint64_t n = sweep_grid__points(g);
	int width = 4;
	size_t at;

	for (uint64_t p = 10000; n >= p && width < 19; p *= 10)
		width++;
	if (len > SWEEP_NAME_MAX + 1)
		len = SWEEP_NAME_MAX + 1;
	at = (size_t)snprintf(buf, len, "%0*" PRIu64, width, k + 1);
	for (unsigned i = 0; i < g->nparams && at + 1 < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%c%s=%s", i ? ',' : '-', g->p[i].key,
				       sweep_grid__value(g, k, i));
	if (at >= len)
		at = len - 1;
	for (char *c = buf; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("._+-=,", *c))
			*c = '_';
}

int sweep_grid__text(const struct sweep_grid *g, char *buf, size_t len)
{
	size_t at = 0;

	if (len)
		buf[0] = 0;
	for (unsigned i = 0; i < g->nparams; i++) {
		at += (size_t)snprintf(buf + at, at < len ? len - at : 0, "%s =", g->p[i].key);
		for (unsigned v = 0; v < g->p[i].n; v++)
			at += (size_t)snprintf(buf + at, at < len ? len - at : 0, "%s %s",
					       v ? "," : "", g->p[i].values[v]);
		at += (size_t)snprintf(buf + at, at < len ? len - at : 0, "\n");
	}
	return at < len ? 0 : -ENOSPC;
}

FILE *sweep_fopen_regular(const char *path)
{
	/* O_NONBLOCK: a FIFO in its place does not hang the open; then it is refused. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

uint64_t sweep_hash(const void *data, size_t len, uint64_t h)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
