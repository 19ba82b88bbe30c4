// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the access-trace inputs: arbitrary bytes as an .mvat
 * trace and as lackey text. Each is read to its end or to one error naming
 * the file; an accepted trace, written again, reads back record for record.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/atrace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXREC 4096

static struct atrace_rec recs[MAXREC];

static void check_error(const char *err, const char *name)
{
	if (strncmp(err, name, strlen(name)) || strchr(err, '\n'))
		abort();
}

/* Write @n records and read them back: the same records, then the end. */
static void round_trip(size_t n)
{
	static char buf[MAXREC * 32 + 64];
	struct atrace_writer *w;
	struct atrace_reader *rd;
	struct atrace_rec r;
	char err[256];
	FILE *f = fmemopen(buf, sizeof(buf), "w+");

	if (!f)
		return;
	w = atrace_writer__new(f);
	for (size_t i = 0; i < n; i++)
		if (atrace_writer__put(w, &recs[i]))
			abort();
	if (atrace_writer__finish(w))
		abort();
	rewind(f);
	rd = atrace_reader__new(f, "again", err, sizeof(err));
	if (!rd)
		abort();
	for (size_t i = 0; i < n; i++)
		if (atrace_reader__next(rd, &r, err, sizeof(err)) != 1 || r.kind != recs[i].kind ||
		    r.size != recs[i].size || r.addr != recs[i].addr)
			abort();
	if (atrace_reader__next(rd, &r, err, sizeof(err)) != 0)
		abort();
	atrace_reader__free(rd);
	fclose(f);
}

static void fuzz_mvat(const uint8_t *data, size_t size)
{
	struct atrace_reader *rd;
	struct atrace_rec r;
	char err[256] = "";
	size_t n = 0;
	int rc;
	FILE *f = fmemopen((void *)data, size, "r");

	if (!f)
		return;
	rd = atrace_reader__new(f, "fuzz.mvat", err, sizeof(err));
	if (!rd) {
		check_error(err, "fuzz.mvat");
		fclose(f);
		return;
	}
	while ((rc = atrace_reader__next(rd, &r, err, sizeof(err))) > 0) {
		if (!r.size || (unsigned)r.kind >= ATRACE_KINDS)
			abort();
		if (n < MAXREC)
			recs[n] = r;
		n++;
	}
	if (rc < 0)
		check_error(err, "fuzz.mvat");
	else if (n != atrace_reader__counts(rd)->records)
		abort();
	atrace_reader__free(rd);
	fclose(f);
	if (!rc && n <= MAXREC)
		round_trip(n);
}

static void fuzz_lackey(const uint8_t *data, size_t size)
{
	struct lackey_reader *lr;
	struct atrace_rec r;
	char err[256] = "";
	size_t n = 0;
	int rc;
	FILE *f = fmemopen((void *)data, size, "r");

	if (!f)
		return;
	lr = lackey_reader__new(f, "fuzz.lackey");
	if (!lr) { /* another compressor's magic, or out of memory */
		fclose(f);
		return;
	}
	while ((rc = lackey_reader__next(lr, &r, err, sizeof(err))) > 0) {
		if (!r.size || (unsigned)r.kind >= ATRACE_KINDS)
			abort();
		if (n < MAXREC)
			recs[n] = r;
		n++;
	}
	if (rc < 0)
		check_error(err, "fuzz.lackey:");
	lackey_reader__free(lr);
	fclose(f);
	if (!rc && n <= MAXREC)
		round_trip(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	fuzz_mvat(data, size);
	fuzz_lackey(data, size);
	return 0;
}
