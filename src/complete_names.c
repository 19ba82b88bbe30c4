// SPDX-License-Identifier: GPL-2.0
/*
 * Build-time helper for the shell completion (scripts/gen-completion.sh): the workload and
 * preset names, from the tables the binary itself parses names with, one list per line.
 */
#include <stdio.h>

#include "mmu/mmu.h"
#include "workloads/workload.h"

int main(void)
{
	const char *const *p;

	printf("workloads");
	for (int k = 0; k < WL__COUNT; k++)
		printf(" %s", wl_name((enum wl_kind)k));
	printf("\npresets");
	for (p = sim_config_presets(); *p; p++)
		printf(" %s", *p);
	printf("\n");
	return fflush(stdout) ? 1 : 0;
}
