// SPDX-License-Identifier: GPL-2.0
/* Diagnostics to stderr, prefixed with the program name and filtered by level. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

enum log_level log_level = LOG_INFO;

__attribute__((format(printf, 2, 0))) static void vlog(enum log_level level, const char *fmt,
						       va_list ap)
{
	static const char *const prefix[] = {
		[LOG_ERR] = "error: ",
		[LOG_WARN] = "warning: ",
		[LOG_INFO] = "",
		[LOG_DEBUG] = "debug: ",
	};

	if (level > log_level)
		return;
	fprintf(stderr, "memvirt: %s", prefix[level]);
	vfprintf(stderr, fmt, ap);
}

void log_print(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(status);
}
