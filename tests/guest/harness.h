/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host side of a guest test: boot the test's guest (its test kernel and
 * the user stub) on the real VMM through vm__create and vm__run, and turn
 * how the run ended into a verdict. GUEST_DONE passes; a failed GUEST_ASSERT
 * fails naming its file, line and expression; a crash, a halt, a timeout or
 * a VMM error fails with the VMM's reason. tests/guest/guest.h is the guest
 * side; docs/guest.md says how to write a test.
 */
#ifndef MEMVIRT_TESTS_GUEST_HARNESS_H
#define MEMVIRT_TESTS_GUEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

#include "report.h"
#include "vmm/vmm.h"

struct guest_test {
	struct vm *vm;
	struct vm_result res;	 /* how the run ended, KVM statistics, event-channel counts */
	bool done;		 /* the guest reached GUEST_DONE */
	bool asserted;		 /* a GUEST_ASSERT failed: @report says where and what */
	struct gt_report report; /* copied out of guest memory; strings NUL-terminated */
	char why[1024];		 /* why the test failed, one line; empty when it passed */
};

/* Exit with the skip code (77) when /dev/kvm cannot be opened, as every kvm test does. */
void guest_test_require_kvm(void);

/*
 * The defaults for this test's guest: its image (build/guest/NAME.elf), the
 * user stub, 64M of memory, a 60 s timeout, the console on stdout, no event
 * channel. Change any field before guest_test__create().
 */
void guest_test_config(struct vm_config *cfg);

/* Build the VM; the guest does not run yet. 0, or -errno with the VMM's message on stderr. */
int guest_test__create(struct guest_test *t, const struct vm_config *cfg);

/*
 * Before the run, write @len bytes of @val over the test kernel's global
 * variable @name (found in the image's symbol table): how the host hands the
 * guest code a value. 0, or -errno when the symbol is missing or the bytes
 * do not lie in the kernel image.
 */
int guest_test__set(struct guest_test *t, const char *name, const void *val, size_t len);

/*
 * Run the guest to its end: 0 when it reached GUEST_DONE, else -1 with
 * t->why (and the VMM's crash dump, if any) on stderr:
 * "FILE:LINE: guest assertion failed: EXPR (A != B)" for a GUEST_ASSERT.
 */
int guest_test__run(struct guest_test *t);

void guest_test__destroy(struct guest_test *t);

/* Create, run and destroy: 0 when the guest reached GUEST_DONE. */
int guest_test_run(const struct vm_config *cfg);

#endif
