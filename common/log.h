/* SPDX-License-Identifier: GPL-2.0 */
/* One logging interface for the whole program: levels, printf checking, stderr. */
#ifndef MEMVIRT_LOG_H
#define MEMVIRT_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_level;

__attribute__((format(printf, 2, 3))) void log_print(enum log_level level, const char *fmt, ...);

#define pr_err(...)   log_print(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  log_print(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_print(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_print(LOG_DEBUG, __VA_ARGS__)

/* Only for main and option parsing: print one error line and exit(status). */
__attribute__((noreturn, format(printf, 2, 3))) void die(int status, const char *fmt, ...);

#endif
