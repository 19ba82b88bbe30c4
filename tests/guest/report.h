/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a test guest leaves for the host when a GUEST_ASSERT fails: the
 * record sits in the test kernel's data (symbol GT_REPORT_SYMBOL), the guest
 * fills it, then sends MV_MSG_PANIC with reason MV_PANIC_ASSERT. Plain C
 * types only: the guest and the host harness both include it.
 */
#ifndef MEMVIRT_TESTS_GUEST_REPORT_H
#define MEMVIRT_TESTS_GUEST_REPORT_H

#include <stdint.h>

#define GT_REPORT_SYMBOL "guest_report"
#define GT_REPORT_MAGIC	 0x54524f5045525447ULL /* "GTREPORT" */

/* gt_report.flags */
#define GT_REPORT_VALUES (1u << 0) /* a and b hold GUEST_ASSERT_EQ's two values */

struct gt_report {
	uint64_t magic; /* GT_REPORT_MAGIC once the guest has filled the record */
	uint64_t line;
	uint64_t a, b;
	uint32_t flags;
	uint32_t reserved;
	char file[128]; /* __FILE__, relative to the source tree; NUL-terminated by the guest */
	char expr[256]; /* the expression as written */
};

#endif
