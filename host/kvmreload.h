/* SPDX-License-Identifier: GPL-2.0 */
/* Switching the host KVM between shadow paging and EPT/NPT by reloading its vendor module. */
#ifndef MEMVIRT_KVMRELOAD_H
#define MEMVIRT_KVMRELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "host/host.h"

/*
 * The module tools: MEMVIRT_MODPROBE and MEMVIRT_RMMOD, else /sbin/modprobe
 * and /sbin/rmmod. Tests point them at stand-ins that log their arguments and
 * rewrite the fake sysfs tree.
 */
struct kvm_reload_tools {
	const char *modprobe;
	const char *rmmod;
};

/* What a reload did (run.json "paging"). */
struct kvm_reload {
	bool reloaded;
	enum host_mmu_mode from, to;
	char module[16]; /* "kvm_intel", "kvm_amd" */
	char param[16];	 /* "ept=1", "npt=0" */
};

void kvm_reload_tools_default(struct kvm_reload_tools *t);

/*
 * Reload @hi's KVM vendor module so that it uses two-dimensional paging
 * (@tdp: kvm_intel ept=1, kvm_amd npt=1) or shadow paging (ept=0, npt=0),
 * then probe @hi again. Refused, with one line in @err, for PVM (shadow
 * only: -ENOTSUP), without root (-EPERM), while another VM runs (-EBUSY), and
 * for a fake host root with the real tools (-EINVAL). Returns 0 (r->reloaded
 * false when the host already used that mode) or -errno.
 */
int kvm_reload_mmu(struct host_info *hi, const struct kvm_reload_tools *t, bool tdp,
		   struct kvm_reload *r, char *err, size_t errlen);

#endif
