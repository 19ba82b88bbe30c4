// SPDX-License-Identifier: GPL-2.0
/*
 * The failure kinds of vm__create that come before any KVM ioctl succeeds,
 * so they need no /dev/kvm: guest images that cannot be read or are not ELF
 * (VM_FAIL_IMAGE), and KVM devices that are missing, are not KVM or cannot
 * be opened (VM_FAIL_NO_KVM). Each also leaves errno and one line in err.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

#include "vmm/vmm.h"

static char kernel[512], program[512], tmp[] = "/tmp/memvirt-vmfail-XXXXXX";

static void config(struct vm_config *c, const char *kpath, const char *ppath, const char *dev)
{
	memset(c, 0, sizeof(*c));
	wl_defaults(&c->wl, WL_NOP);
	c->mem_size = 64ULL << 20;
	c->kernel_path = kpath;
	c->program_path = ppath;
	c->kvm_path = dev;
}

/* vm__create fails with @want, errno @want_errno, and an error line holding @words. */
static void expect_fail(const struct vm_config *c, enum vm_fail want, int want_errno,
			const char *words)
{
	enum vm_fail fail = VM_FAIL_NONE;
	char err[512] = "";
	struct vm *vm;

	errno = 0;
	vm = vm__create(c, &fail, err, sizeof(err));
	CHECK(vm == NULL);
	if (vm) {
		vm__destroy(vm);
		return;
	}
	CHECK_EQ_U64(errno, want_errno);
	CHECK_EQ_U64(fail, want);
	if (!strstr(err, words))
		fprintf(stderr, "error '%s' does not say '%s'\n", err, words);
	CHECK(strstr(err, words) != NULL);
	CHECK(strchr(err, '\n') == NULL);
	/* The kind is optional. */
	CHECK(vm__create(c, NULL, err, sizeof(err)) == NULL);
}

static void test_images(void)
{
	struct vm_config c;
	char bad[600];
	FILE *f;

	config(&c, "/nonexistent/kernel.elf", program, "/nonexistent/kvm");
	expect_fail(&c, VM_FAIL_IMAGE, ENOENT, "/nonexistent/kernel.elf");
	config(&c, kernel, "/nonexistent/workload.elf", "/nonexistent/kvm");
	expect_fail(&c, VM_FAIL_IMAGE, ENOENT, "/nonexistent/workload.elf");
	snprintf(bad, sizeof(bad), "%s/bad.elf", tmp);
	f = fopen(bad, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs("not an elf at all", f);
	fclose(f);
	/* The images are read before KVM is opened: an image error wins. */
	config(&c, bad, program, "/nonexistent/kvm");
	expect_fail(&c, VM_FAIL_IMAGE, EINVAL, "bad.elf");
}

static void test_no_kvm(void)
{
	struct vm_config c;

	config(&c, kernel, program, "/nonexistent/kvm");
	expect_fail(&c, VM_FAIL_NO_KVM, ENOENT, "this host has no KVM");
	/* A device that answers no KVM ioctl: its API version is not KVM's. */
	config(&c, kernel, program, "/dev/null");
	expect_fail(&c, VM_FAIL_NO_KVM, ENOTSUP, "KVM API version -1");
	config(&c, kernel, program, tmp);
	expect_fail(&c, VM_FAIL_NO_KVM, EISDIR, "cannot open");
}

int main(void)
{
	char cmd[600];

	snprintf(kernel, sizeof(kernel), "%s/guest/kernel.elf", MEMVIRT_BINARY_DIR);
	snprintf(program, sizeof(program), "%s/guest/workload.elf", MEMVIRT_BINARY_DIR);
	if (access(kernel, R_OK) || access(program, R_OK)) {
		fprintf(stderr, "the guest images are not built: %s, %s\n", kernel, program);
		return 1;
	}
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	test_images();
	test_no_kvm();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	CHECK(system(cmd) == 0);
	TEST_DONE();
}
