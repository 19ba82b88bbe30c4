// SPDX-License-Identifier: GPL-2.0
/* Option values shared by the subcommands: one error line that names the fix, exit 2. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

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

void opt_out_defaulted(const char *cmd, const char *what, const char *path)
{
	pr_info("%s: wrote %s%s (choose with --out DIR)\n", cmd, what, path);
}

uint64_t opt_u64_range(const char *cmd, const char *opt, const char *val, uint64_t min,
		       uint64_t max)
{
	char what[96];
	uint64_t v;

	if (parse_u64(val, &v) || v < min || v > max) {
		snprintf(what, sizeof(what), "expected an integer from %" PRIu64 " to %" PRIu64,
			 min, max);
		opt_bad(cmd, opt, val, what);
	}
	return v;
}

double opt_seconds(const char *cmd, const char *opt, const char *val, bool zero_ok)
{
	char *end;
	double v;

	errno = 0;
	v = val && *val && !isspace((unsigned char)*val) ? strtod(val, &end) : NAN;
	/* strtod takes inf, nan and 1e99 too: a time is finite, and a year at most. */
	if (isnan(v) || errno == ERANGE || *end || !isfinite(v) || v > OPT_SECONDS_MAX ||
	    (v < 0.001 && !(zero_ok && v == 0)))
		opt_bad(cmd, opt, val,
			zero_ok ? "expected 0 (none) or seconds from 0.001 to 31536000 (a year), "
				  "such as 10 or 0.5"
				: "expected seconds from 0.001 to 31536000 (a year), such as 10 or "
				  "0.5");
	return v;
}
