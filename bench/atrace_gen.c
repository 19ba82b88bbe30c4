// SPDX-License-Identifier: GPL-2.0
/*
 * Access-trace generator for bench/atrace.sh: N accesses to stdout, as a
 * memvirt access trace (default) or as valgrind lackey text (-l). The stream
 * walks one 4K page with 8-byte loads and stores (every fourth a store), then
 * jumps to a random page of a 1 GiB region; one load in 64 is a modify and an
 * instruction fetch precedes every 16th access.
 * Usage: atrace_gen [-n accesses] [-l] [-s seed]
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/util.h"
#include "mmu/atrace.h"

#define BASE  0x7f0000000000ULL
#define PAGES (1ULL << 18) /* 1 GiB of 4K pages */

static int emit(struct atrace_writer *w, const struct atrace_rec *r)
{
	static const char op[] = {'L', 'S', 'M'};

	if (w)
		return atrace_writer__put(w, r);
	if (r->kind == ATRACE_FETCH)
		return printf("I  %08" PRIx64 ",%u\n", r->addr, r->size) < 0;
	return printf(" %c %08" PRIx64 ",%u\n", op[r->kind], r->addr, r->size) < 0;
}

int main(int argc, char **argv)
{
	uint64_t n = 100000000, seed = 1, page = 0;
	struct atrace_writer *w = NULL;
	int o, lackey = 0;

	while ((o = getopt(argc, argv, "n:ls:")) != -1) {
		if (o == 'n')
			n = strtoull(optarg, NULL, 0);
		else if (o == 'l')
			lackey = 1;
		else if (o == 's')
			seed = strtoull(optarg, NULL, 0);
		else {
			fprintf(stderr, "usage: %s [-n accesses] [-l] [-s seed]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	if (!lackey && !(w = atrace_writer__new(stdout))) {
		perror("atrace_gen");
		return 1;
	}
	for (uint64_t i = 0; i < n; i++) {
		struct atrace_rec r = {.kind = ATRACE_LOAD, .size = 8};

		if (i % 512 == 0)
			page = xorshift64s(&seed) % PAGES;
		if (i % 16 == 0) {
			struct atrace_rec f = {ATRACE_FETCH, 4, 0x400000 + (i % 4096) * 4};

			if (emit(w, &f))
				return 1;
		}
		r.addr = BASE + page * 4096 + (i % 512) * 8;
		if (i % 4 == 3)
			r.kind = ATRACE_STORE;
		else if (i % 64 == 1)
			r.kind = ATRACE_MODIFY;
		if (emit(w, &r))
			return 1;
	}
	if (w && atrace_writer__finish(w))
		return 1;
	return fflush(stdout) ? 1 : 0;
}
