// SPDX-License-Identifier: GPL-2.0
/* Option values shared by the subcommands: one error line that names the fix, exit 2. */
#include "common/log.h"
#include "common/util.h"
#include <stdio.h>
#include <string.h>

#include "src/cmds.h"

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

const char *opt_path(const char *cmd, const char *opt, const char *val)
{
	if (!val || !*val)
		die(EXIT_USAGE,
		    "%s is empty: give a file or directory name; run 'memvirt %s --help'\n", opt,
		    cmd);
	return val;
}
