// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the simulator configuration parser: any text is
 * refused with one "FILE:LINE: ..." message or gives a configuration that
 * validates, writes back, parses back to the same text and builds a simulator.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/mmu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A configuration that parsed is one the simulator takes. */
static void check_accepted(const struct sim_config *c)
{
	static char text[1 << 16], again[1 << 16];
	struct sim_config back;
	struct sim_tables t = {0};
	struct ptmem *m;
	struct sim *s;
	char err[256];

	if (sim_config__validate(c, err, sizeof(err)))
		abort();
	if (sim_config__write(c, text, sizeof(text)) < 0)
		abort();
	sim_config__textbook(&back);
	if (sim_config__parse(&back, text, "written", err, sizeof(err)))
		abort(); /* what the writer writes, the parser reads */
	if (sim_config__write(&back, again, sizeof(again)) < 0 || strcmp(text, again))
		abort();
	/* Small caches only: a fuzzed 1G-line cache would only measure calloc. */
	if (c->cache.nlevels && c->cache.level[c->cache.nlevels - 1].geo.entries > (1u << 16))
		return;
	m = ptmem__new(1ULL << 30, 1ULL << 20);
	if (!m || pt__new_root(m, &t.root))
		abort();
	t.mem = ptmem__mem(m);
	if (c->levels == 4 && !pt__map(m, t.root, 0x1000, 0x200000, PAGE_4K, PTE_RW | PTE_US, 4)) {
		s = sim__new(c, PAGING_NATIVE, &t);
		if (s) {
			sim__access(s, 0x1000, true);
			sim__access(s, 0x1008, false);
			sim__free(s);
		}
	}
	ptmem__free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_config c;
	char err[256], *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	sim_config__textbook(&c);
	err[0] = 0;
	if (sim_config__parse(&c, text, "fuzz", err, sizeof(err))) {
		/* A refusal is one line naming the file. */
		if (strncmp(err, "fuzz", 4) || strchr(err, '\n'))
			abort();
	} else {
		check_accepted(&c);
	}
	free(text);
	return 0;
}
