/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest side of a guest test: the test's guest_main() runs at CPL0 in a
 * small test kernel (tests/guest/guest.c) that the real VMM boots, and
 * reports through the control port what the host side (harness.h) turns
 * into a verdict. Freestanding: compiled with MV_GUEST, no libc.
 */
#ifndef MEMVIRT_TESTS_GUEST_GUEST_H
#define MEMVIRT_TESTS_GUEST_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"
#include "workloads/abi.h"
#include "x86/x86.h"

/* What the VMM wrote into the kernel's data before the vCPU started (workloads/abi.h). */
extern struct mv_boot_info boot_info;
/* The parameter block the VMM placed on the first process's stack (its RDI at start). */
extern const struct mv_params *guest_params;
/* What a failed assertion leaves for the host (report.h); guest_assert_fail() fills it. */
extern struct gt_report guest_report;

/*
 * The test's guest code, on the test kernel's stack at CPL0 with the VMM's
 * page tables (CR3 = boot_info.root_pt). It must end with GUEST_DONE(): a
 * return counts as a failure.
 */
void guest_main(void);

/* The test passed: MV_MSG_EXIT with status 0. */
__attribute__((noreturn)) void guest_done(void);
/* The test failed at @file:@line: fill the report (report.h), then MV_MSG_PANIC (assert). */
__attribute__((noreturn)) void guest_assert_fail(const char *file, unsigned line, const char *expr,
						 uint64_t a, uint64_t b, uint32_t flags);
/* One control-port message of @type with @len bytes of @payload (at most sizeof(mv_msg.u)). */
void guest_send(uint32_t type, const void *payload, uint32_t len);
/* A line to the serial console (the harness echoes it to the test's stdout). */
void guest_puts(const char *s);

#define GUEST_DONE() guest_done()

#define GUEST_ASSERT(cond)                                                     \
	do {                                                                   \
		if (!(cond))                                                   \
			guest_assert_fail(__FILE__, __LINE__, #cond, 0, 0, 0); \
	} while (0)

/* Both values go to the host, which prints them with the expression. */
#define GUEST_ASSERT_EQ(a, b)                                                         \
	do {                                                                          \
		uint64_t _ga = (uint64_t)(a), _gb = (uint64_t)(b);                    \
		if (_ga != _gb)                                                       \
			guest_assert_fail(__FILE__, __LINE__, #a " == " #b, _ga, _gb, \
					  GT_REPORT_VALUES);                          \
	} while (0)

static inline uint64_t guest_read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

/* The guest-virtual address of guest physical @gpa in the kernel's direct map. */
static inline void *guest_phys(uint64_t gpa)
{
	return (void *)(MV_DIRECT_BASE + gpa);
}

#endif
