// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of a guest test (harness.h). The guest is untrusted here as
 * everywhere: its assertion report is read from a place the host takes from
 * the image's symbol table, copied once, checked, and its strings are cut
 * to their arrays and stripped of anything unprintable before printing.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "vmm/elf.h"

#ifndef GUEST_TEST_IMAGE
#error "GUEST_TEST_IMAGE: build guest tests with memvirt_guest_test (tests/suite-guest.cmake)"
#endif

void guest_test_require_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "SKIP: /dev/kvm not usable here (%s)\n", strerror(errno));
		exit(77);
	}
	close(fd);
}

void guest_test_config(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = 64ULL << 20;
	cfg->kernel_path = GUEST_TEST_IMAGE;
	cfg->program_path = GUEST_TEST_USER;
	wl_defaults(&cfg->wl, WL_NOP);
	cfg->timeout_s = 60;
	cfg->console_stdout = true;
}

int guest_test__create(struct guest_test *t, const struct vm_config *cfg)
{
	char err[512] = "";

	memset(t, 0, sizeof(*t));
	t->vm = vm__create(cfg, NULL, err, sizeof(err));
	if (!t->vm) {
		int e = errno ? errno : EIO;

		fprintf(stderr, "%s: cannot build the test guest: %s\n", cfg->kernel_path, err);
		return -e;
	}
	return 0;
}

/* Where @len bytes of the kernel image's symbol @name are, on this host: NULL if nowhere. */
static void *kernel_symbol(struct vm *vm, const char *name, size_t len)
{
	const uint64_t lo = MV_KERNEL_BASE + MV_GPA_KERNEL, hi = MV_KERNEL_BASE + MV_KERNEL_MAX;
	struct elf_image img;
	char err[256];
	uint64_t gva;
	int ret;

	if (elf_load_file(GUEST_TEST_IMAGE, &img, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	ret = elf_find_symbol(&img, name, &gva);
	elf_image_free(&img);
	if (ret || gva < lo || gva >= hi || len > hi - gva)
		return NULL;
	return vm__gpa_to_hva(vm, gva - MV_KERNEL_BASE, len);
}

int guest_test__set(struct guest_test *t, const char *name, const void *val, size_t len)
{
	void *p = kernel_symbol(t->vm, name, len);

	if (!p) {
		fprintf(stderr, "%s: no global '%s' of %zu bytes in the kernel image\n",
			GUEST_TEST_IMAGE, name, len);
		return -ENOENT;
	}
	memcpy(p, val, len);
	return 0;
}

/* Cut @s to its array and make it printable: the guest wrote it. */
static void sanitize(char *s, size_t size)
{
	s[size - 1] = '\0';
	for (; *s; s++) {
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
	}
}

/* The report of a failed GUEST_ASSERT, copied out of guest memory: 0 or -EINVAL. */
static int read_report(struct guest_test *t)
{
	const void *p = kernel_symbol(t->vm, GT_REPORT_SYMBOL, sizeof(t->report));

	if (!p)
		return -EINVAL;
	memcpy(&t->report, p, sizeof(t->report));
	if (t->report.magic != GT_REPORT_MAGIC)
		return -EINVAL;
	sanitize(t->report.file, sizeof(t->report.file));
	sanitize(t->report.expr, sizeof(t->report.expr));
	return 0;
}

static void explain_assert(struct guest_test *t)
{
	const struct gt_report *r = &t->report;
	int n;

	if (read_report(t)) {
		snprintf(t->why, sizeof(t->why),
			 "the guest reported a failed assertion, but its report in '%s' is missing "
			 "or malformed",
			 GT_REPORT_SYMBOL);
		return;
	}
	t->asserted = true;
	n = snprintf(t->why, sizeof(t->why), "%s:%" PRIu64 ": guest assertion failed: %s", r->file,
		     r->line, r->expr);
	if ((r->flags & GT_REPORT_VALUES) && n > 0 && (size_t)n < sizeof(t->why))
		snprintf(t->why + n, sizeof(t->why) - (size_t)n,
			 " (%" PRIu64 " != %" PRIu64 ", 0x%" PRIx64 " != 0x%" PRIx64 ")", r->a,
			 r->b, r->a, r->b);
}

int guest_test__run(struct guest_test *t)
{
	int ret = vm__run(t->vm, &t->res);

	t->done = t->res.end == VM_END_EXIT && t->res.exit_status == 0;
	if (t->res.end == VM_END_PANIC && t->res.panic.reason == MV_PANIC_ASSERT)
		explain_assert(t);
	else if (t->res.end == VM_END_EXIT && !t->done)
		snprintf(t->why, sizeof(t->why), "the guest exited with status %" PRIu64,
			 t->res.exit_status);
	else if (!t->done)
		snprintf(t->why, sizeof(t->why), "the guest never reached GUEST_DONE: %s: %s",
			 vm_end_name(t->res.end), t->res.reason);
	else if (ret)
		snprintf(t->why, sizeof(t->why), "reading the VM's KVM statistics: %s",
			 strerror(-ret));
	if (!t->why[0])
		return 0;
	t->done = false;
	fprintf(stderr, "%s\n", t->why);
	if (t->res.crash_dump[0] && !t->asserted)
		fprintf(stderr, "%s", t->res.crash_dump);
	return -1;
}

void guest_test__destroy(struct guest_test *t)
{
	vm__destroy(t->vm);
	t->vm = NULL;
}

int guest_test_run(const struct vm_config *cfg)
{
	static struct guest_test t; /* struct vm_result is large */
	int ret = guest_test__create(&t, cfg);

	if (ret)
		return ret;
	ret = guest_test__run(&t);
	guest_test__destroy(&t);
	return ret;
}
