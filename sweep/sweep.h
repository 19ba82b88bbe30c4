/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parameter sweeps: the grid (parameters, their value lists and ranges, the cross product and
 * the points' names), the state of each point's directory (its done marker), the children
 * that run points in parallel, and a small JSON reader for the documents points leave behind.
 */
#ifndef MEMVIRT_SWEEP_H
#define MEMVIRT_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define SWEEP_MAX_PARAMS 16
#define SWEEP_MAX_VALUES 1024	 /* per parameter, after ranges are expanded */
#define SWEEP_MAX_POINTS 1000000 /* the whole cross product */
#define SWEEP_KEY_MAX	 64
#define SWEEP_VALUE_MAX	 128
#define SWEEP_NAME_MAX	 240 /* a point's directory name, within NAME_MAX */

struct sweep_param {
	char key[SWEEP_KEY_MAX];
	unsigned n;
	char (*values)[SWEEP_VALUE_MAX];
};

/* The grid: the cross product of its parameters, the first one varying slowest. */
struct sweep_grid {
	unsigned nparams;
	struct sweep_param p[SWEEP_MAX_PARAMS];
};

void sweep_grid__init(struct sweep_grid *g);
void sweep_grid__free(struct sweep_grid *g);
/*
 * Add parameter @key with @list: values separated by commas, each a literal or a range
 * "A..B" (step 1), "A..B:+K" (arithmetic), "A..B:xK" (geometric), of integers or of sizes
 * with K/M/G suffixes (then written back as "64K", "1G"). 0, or -EINVAL with one line in
 * @err (a bad range, a duplicate key, too many values or parameters).
 */
int sweep_grid__add(struct sweep_grid *g, const char *key, const char *list, char *err,
		    size_t errlen);
/*
 * A grid file: "key = v1, v2" per line, '#' to the end of a line is a comment. Errors name
 * FILE:LINE. 0 or -EINVAL / -errno with one line in @err.
 */
int sweep_grid__load(struct sweep_grid *g, const char *path, char *err, size_t errlen);
/* The number of points, 1 for a grid without parameters; 0 if over SWEEP_MAX_POINTS. */
uint64_t sweep_grid__points(const struct sweep_grid *g);
/* The value of parameter @p at point @k (0-based). */
const char *sweep_grid__value(const struct sweep_grid *g, uint64_t k, unsigned p);
/*
 * Point @k's directory name: "0007-footprint=64K,paging=native", 1-based and zero-padded to
 * the width of the largest index, characters other than [A-Za-z0-9._+-] written as '_',
 * cut at SWEEP_NAME_MAX (the index keeps it unique).
 */
void sweep_grid__point_name(const struct sweep_grid *g, uint64_t k, char *buf, size_t len);
/* The grid in its file format, one "key = v1, v2" line per parameter, into @buf. */
int sweep_grid__text(const struct sweep_grid *g, char *buf, size_t len);
/* fopen(@path, "r") of a regular file only (not a FIFO or device): NULL and errno otherwise. */
FILE *sweep_fopen_regular(const char *path);
/* 64-bit FNV-1a of @len bytes: the identity of a grid and its command. */
uint64_t sweep_hash(const void *data, size_t len, uint64_t h);
#define SWEEP_HASH_INIT 0xcbf29ce484222325ULL

/* ------------------------------------------------------------------------------------------ */
/* A point's directory. */

#define SWEEP_DONE_FILE	  "done"	/* written atomically after the command exited 0 */
#define SWEEP_STATUS_FILE "status.json" /* every finished attempt: exit status, duration */
#define SWEEP_LOG_FILE	  "log.txt"	/* the command's stdout and stderr */
#define SWEEP_POINT_FILE  "point.json"	/* the point's parameters and command */

bool sweep_point_done(const char *dir);

/* One child run for a point; the caller fills argv and the paths. */
struct sweep_job {
	uint64_t index; /* 0-based point */
	char dir[4096];
	char **argv;		 /* argv[0]: the program */
	const char *stdout_path; /* NULL: the log */
	pid_t pid;		 /* while running */
	uint64_t t0;		 /* ns */
	int status;		 /* exit status (128 + signal if killed) once ended */
	double seconds;		 /* its duration once ended */
};

/* Start @job: stdin /dev/null, stdout and stderr to DIR/log.txt, in its own process group. */
int sweep_job__start(struct sweep_job *job);
/* Record an ended job: DIR/status.json, and DIR/done when it exited 0. 0 or -errno. */
int sweep_job__record(const struct sweep_job *job);

/* ------------------------------------------------------------------------------------------ */
/* A small JSON reader: a whole document into a tree; every length and depth checked. */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	enum jtype type;
	const char *key; /* within an object */
	const char *str; /* J_STR */
	double num;	 /* J_NUM; J_BOOL: 0 or 1 */
	int child, next; /* indices into the document's nodes, -1: none */
	unsigned len;	 /* J_ARR, J_OBJ: members */
};

struct jdoc {
	struct jnode *nodes;
	unsigned n, cap;
	char *text; /* the unescaped strings */
};

/* Parse @len bytes; 0, or -EINVAL with "offset N: ..." in @err. */
int jdoc_parse(struct jdoc *d, const char *s, size_t len, char *err, size_t errlen);
/* A file up to @max bytes. */
int jdoc_load(struct jdoc *d, const char *path, size_t max, char *err, size_t errlen);
void jdoc_free(struct jdoc *d);
const struct jnode *jdoc_root(const struct jdoc *d);
/* Member @key of object @o, element @i of array @a, or NULL. */
const struct jnode *jdoc_get(const struct jdoc *d, const struct jnode *o, const char *key);
const struct jnode *jdoc_at(const struct jdoc *d, const struct jnode *a, unsigned i);
/* A path of keys and array indices: "results/0/walks/refs_per_walk". */
const struct jnode *jdoc_path(const struct jdoc *d, const char *path);

#endif
