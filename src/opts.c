// SPDX-License-Identifier: GPL-2.0
/* Option values shared by the subcommands: one error line that names the fix, exit 2. */
#include "common/log.h"
#include "common/util.h"
#include <stdio.h>
#include <string.h>

#include "src/cmds.h"
#include "src/runner.h"

void opt_bad(const char *cmd, const char *opt, const char *val, const char *what)
{
	die(EXIT_USAGE, "%s '%s': %s; run 'memvirt %s --help'\n", opt, val, what, cmd);
}

uint64_t opt_size(const char *cmd, const char *opt, const char *val)
{
	uint64_t v;

	if (parse_size(val, &v))
		opt_bad(cmd, opt, val, "expected a size such as 4096, 4k, 64M or 1G");
	return v;
}

uint64_t opt_u64(const char *cmd, const char *opt, const char *val)
{
	uint64_t v;

	if (parse_u64(val, &v))
		opt_bad(cmd, opt, val, "expected a non-negative integer");
	return v;
}

void run_apply_common(const char *cmd, struct run_config *c, const char *const *v)
{
	if (v[RO_FOOT])
		c->wl.footprint = opt_size(cmd, "--footprint", v[RO_FOOT]);
	if (v[RO_ITERS])
		c->wl.iters = opt_u64(cmd, "--iters", v[RO_ITERS]);
	if (v[RO_PSIZE])
		c->wl.page_size = !strcmp(v[RO_PSIZE], "mixed")
					  ? WL_PAGE_MIXED
					  : opt_size(cmd, "--page-size", v[RO_PSIZE]);
	if (v[RO_MEM])
		c->mem_size = opt_size(cmd, "--mem", v[RO_MEM]);
	if (v[RO_SEED])
		c->wl.seed = opt_u64(cmd, "--seed", v[RO_SEED]);
	if (v[RO_STRIDE])
		c->wl.stride = opt_size(cmd, "--stride", v[RO_STRIDE]);
	if (v[RO_NPROC])
		c->wl.nproc = (uint32_t)opt_u64(cmd, "--nproc", v[RO_NPROC]);
	if (v[RO_OUT] &&
	    snprintf(c->out_dir, sizeof(c->out_dir), "%s", v[RO_OUT]) >= (int)sizeof(c->out_dir))
		opt_bad(cmd, "--out", v[RO_OUT], "path too long");
	c->kernel_path = v[RO_KERNEL];
	c->program_path = v[RO_PROGRAM];
	c->reload_kvm = v[RO_RELOAD] != NULL;
	if (v[RO_BACKING]) {
		int b = vm_backing_parse(v[RO_BACKING]);

		if (b < 0)
			opt_bad(cmd, "--backing", v[RO_BACKING],
				"expected anon, thp, hugetlb-2m, hugetlb-1g or memfd");
		c->backing = (enum vm_backing)b;
	}
	if (v[RO_PAGING]) {
		int p = run_paging_parse(v[RO_PAGING]);

		if (p < 0)
			opt_bad(cmd, "--paging", v[RO_PAGING], "expected auto, shadow or tdp");
		c->paging = (enum run_paging)p;
	}
}
