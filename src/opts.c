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

void run_apply_common(const char *cmd, struct run_config *c, const struct run_common_opts *o)
{
	if (o->footprint)
		c->wl.footprint = opt_size(cmd, "--footprint", o->footprint);
	if (o->iters)
		c->wl.iters = opt_u64(cmd, "--iters", o->iters);
	if (o->page_size)
		c->wl.page_size = !strcmp(o->page_size, "mixed")
					  ? WL_PAGE_MIXED
					  : opt_size(cmd, "--page-size", o->page_size);
	if (o->mem)
		c->mem_size = opt_size(cmd, "--mem", o->mem);
	if (o->seed)
		c->wl.seed = opt_u64(cmd, "--seed", o->seed);
	if (o->stride)
		c->wl.stride = opt_size(cmd, "--stride", o->stride);
	if (o->nproc)
		c->wl.nproc = (uint32_t)opt_u64(cmd, "--nproc", o->nproc);
	if (o->out &&
	    snprintf(c->out_dir, sizeof(c->out_dir), "%s", o->out) >= (int)sizeof(c->out_dir))
		opt_bad(cmd, "--out", o->out, "path too long");
	c->kernel_path = o->kernel;
	c->program_path = o->program;
	c->reload_kvm = o->reload_kvm != NULL;
	if (o->backing) {
		int b = vm_backing_parse(o->backing);

		if (b < 0)
			opt_bad(cmd, "--backing", o->backing,
				"expected anon, thp, hugetlb-2m, hugetlb-1g or memfd");
		c->backing = (enum vm_backing)b;
	}
	if (o->paging) {
		int p = run_paging_parse(o->paging);

		if (p < 0)
			opt_bad(cmd, "--paging", o->paging, "expected auto, shadow or tdp");
		c->paging = (enum run_paging)p;
	}
}
