/* SPDX-License-Identifier: GPL-2.0 */
/* Syscall wrappers of the guest programs. */
#ifndef MV_USER_SYS_H
#define MV_USER_SYS_H

#include <stdint.h>

#include "workloads/abi.h"

/* Another process may run before a syscall returns (MV_SYS_SWITCH): no vector register survives. */
#define SYS_CLOBBERS                                                                            \
	"rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", \
		"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

static inline long sys3(long nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : SYS_CLOBBERS);
	return ret;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#endif
