// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for a sweep's grid file (sweep/grid.c): any bytes are
 * refused with one "FILE:LINE: ..." or "FILE: ..." line, or give a grid whose
 * text form loads back to the same grid, whose point count is bounded, and
 * whose point names are short and made of the allowed characters.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep/sweep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void write_file(const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
		abort();
}

static void check_refusal(const char *err)
{
	size_t n = strlen(path);

	if (strncmp(err, path, n) || err[n] != ':' || strchr(err, '\n'))
		abort();
}

static void check_accepted(const struct sweep_grid *g)
{
	static char text[1 << 16], again[1 << 16];
	char name[SWEEP_NAME_MAX + 8], err[400];
	uint64_t n = sweep_grid__points(g);
	struct sweep_grid back;

	if (sweep_grid__text(g, text, sizeof(text)) < 0)
		return; /* a grid too large to write back here */
	for (const char *l = text, *e; *l; l = e + 1) {
		e = strchr(l, '\n');
		if (!e || e - l > 4000)
			return; /* a range expanded past the loader's line length */
	}
	write_file(text, strlen(text));
	sweep_grid__init(&back);
	if (sweep_grid__load(&back, path, err, sizeof(err)))
		abort(); /* what the text form writes, the loader reads */
	if (sweep_grid__text(&back, again, sizeof(again)) < 0 || strcmp(text, again) ||
	    sweep_grid__points(&back) != n)
		abort();
	sweep_grid__free(&back);
	for (uint64_t k = 0; n && k < n && k < 64; k++) {
		sweep_grid__point_name(g, k, name, sizeof(name));
		if (strlen(name) > SWEEP_NAME_MAX)
			abort();
		for (const char *c = name; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr("._+-=,", *c))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sweep_grid g;
	char err[400];

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/memvirt-fuzz-grid.%d", (int)getpid());
	write_file(data, size);
	sweep_grid__init(&g);
	err[0] = 0;
	if (sweep_grid__load(&g, path, err, sizeof(err)))
		check_refusal(err);
	else
		check_accepted(&g);
	sweep_grid__free(&g);
	unlink(path);
	return 0;
}
