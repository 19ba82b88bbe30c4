// SPDX-License-Identifier: GPL-2.0
/*
 * run_execute's failure kinds that need no /dev/kvm, each with its one-line
 * error and what it leaves on disk: --paging against a fake PVM host (and
 * --reload-kvm there), an output directory that cannot be made, --trace
 * without tracefs, a corrupt guest image, a missing KVM device. And the
 * configuration checks run_config_validate makes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

#include "common/util.h"
#include "run/run.h"

#define FIXTURES MEMVIRT_SOURCE_DIR "/tests/fixtures/hosts"

static char tmp[] = "/tmp/memvirt-run-XXXXXX";
static char kernel[512], program[512];
static struct run_outcome o;

/* A small nop run into tmp/@dir on a KVM device that does not exist. */
static void config(struct run_config *c, const char *dir)
{
	run_config_defaults(c, WL_NOP);
	c->vm.mem_size = 64ULL << 20;
	c->vm.kernel_path = kernel;
	c->vm.program_path = program;
	c->vm.kvm_path = "/nonexistent/kvm";
	c->quiet = true;
	snprintf(c->out_dir, sizeof(c->out_dir), "%s/%s", tmp, dir);
}

static bool exists(const char *dir, const char *file)
{
	char path[1200];

	snprintf(path, sizeof(path), "%s/%s%s", dir, file ? "/" : "", file ? file : "");
	return access(path, F_OK) == 0;
}

/* The run fails with @want, one error line holding @words, and the VM never started. */
static void expect_fail(const struct run_config *c, enum run_fail want, const char *words)
{
	CHECK_EQ_U64(run_execute(c, &o), want);
	CHECK_EQ_U64(o.fail, want);
	if (!strstr(o.error, words))
		fprintf(stderr, "error '%s' does not say '%s'\n", o.error, words);
	CHECK(strstr(o.error, words) != NULL);
	CHECK(strchr(o.error, '\n') == NULL);
	CHECK(!o.started);
}

/* The record says failed, with the error; "running" until the final record is written. */
static void expect_record(const char *dir, const char *status)
{
	char path[1200], buf[65536], want[64];

	snprintf(path, sizeof(path), "%s/run.json", dir);
	CHECK(read_text_file(path, buf, sizeof(buf)) == 0);
	snprintf(want, sizeof(want), "\"status\": \"%s\"", status);
	if (!strstr(buf, want))
		fprintf(stderr, "%s has no %s\n", path, want);
	CHECK(strstr(buf, want) != NULL);
}

static void test_host(void)
{
	struct run_config c;

	/* --paging tdp on a shadow-only host: refused before anything is written. */
	setenv("MEMVIRT_HOST_ROOT", FIXTURES "/pvm", 1);
	config(&c, "paging");
	c.paging = RUN_PAGING_TDP;
	expect_fail(&c, RUN_FAIL_HOST_PAGING, "kvm_pvm) uses shadow paging only");
	CHECK_EQ_U64(o.host.mmu_mode, HOST_MMU_SHADOW);
	CHECK(!exists(c.out_dir, NULL));
	c.reload_kvm = true;
	expect_fail(&c, RUN_FAIL_HOST_RELOAD, "--reload-kvm: this host's KVM module kvm_pvm");
	CHECK(!o.reload.reloaded);
	CHECK(!exists(c.out_dir, NULL));
	/* The mode it has: no refusal, and on to the (missing) KVM device. */
	config(&c, "shadow");
	c.paging = RUN_PAGING_SHADOW;
	expect_fail(&c, RUN_FAIL_HOST_NO_KVM, "/nonexistent/kvm not found");
	unsetenv("MEMVIRT_HOST_ROOT");
}

static void test_output(void)
{
	struct run_config c;
	char file[600], empty[600];
	FILE *f;

	/* The output directory's parent is a file. */
	snprintf(file, sizeof(file), "%s/file", tmp);
	f = fopen(file, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	config(&c, "file/out");
	expect_fail(&c, RUN_FAIL_HOST_IO, "cannot create output directory");
	/* --trace on a host without tracefs: the provisional record stays. */
	snprintf(empty, sizeof(empty), "%s/empty", tmp);
	CHECK(mkdir_p(empty) == 0);
	setenv("MEMVIRT_TRACEFS", empty, 1);
	config(&c, "trace");
	c.trace = true;
	expect_fail(&c, RUN_FAIL_HOST_TRACE, "--trace: ");
	expect_record(c.out_dir, "running");
	unsetenv("MEMVIRT_TRACEFS");
}

static void test_vm(void)
{
	struct run_config c;
	char bad[600];
	FILE *f;

	/* The images are read first: a corrupt kernel is the guest's failure. */
	snprintf(bad, sizeof(bad), "%s/bad.elf", tmp);
	f = fopen(bad, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("not an elf at all", f);
		fclose(f);
	}
	config(&c, "image");
	c.vm.kernel_path = bad;
	expect_fail(&c, RUN_FAIL_GUEST_IMAGE, "bad.elf");
	expect_record(c.out_dir, "failed");
	/* No KVM device: the host's; the record and the (empty) event file are written. */
	config(&c, "nokvm");
	expect_fail(&c, RUN_FAIL_HOST_NO_KVM, "this host has no KVM");
	expect_record(c.out_dir, "failed");
	CHECK(exists(c.out_dir, "events.mvev"));
	CHECK(o.events_path[0] != '\0');
	/* The same without an event channel: no event file. */
	config(&c, "noevents");
	c.vm.ev_ring_bytes = 0;
	expect_fail(&c, RUN_FAIL_HOST_NO_KVM, "this host has no KVM");
	CHECK(!exists(c.out_dir, "events.mvev"));
	CHECK(o.events_path[0] == '\0');
}

/* @c's check fails naming @words. */
static void expect_invalid(const struct run_config *c, const char *words)
{
	char err[256] = "";

	CHECK_EQ_U64(run_config_validate(c, err, sizeof(err)), -EINVAL);
	if (!strstr(err, words))
		fprintf(stderr, "error '%s' does not say '%s'\n", err, words);
	CHECK(strstr(err, words) != NULL);
}

static void test_validate(void)
{
	struct run_config c;
	char err[256];

	for (int k = 0; k < WL__COUNT; k++) {
		run_config_defaults(&c, (enum wl_kind)k);
		CHECK(run_config_validate(&c, err, sizeof(err)) == 0);
	}
	config(&c, "v");
	c.vm.mem_size = 33ULL << 20;
	expect_invalid(&c, "--mem 33M must be a multiple of 2M");
	config(&c, "v");
	c.vm.ev_chains = true;
	c.vm.ev_ring_bytes = 0;
	expect_invalid(&c, "--chains needs the event channel");
	config(&c, "v");
	c.vm.ev_ring_bytes = 48 << 10;
	expect_invalid(&c, "--ring-size 48K must be a power of two");
	run_config_defaults(&c, WL_SEQ);
	c.vm.wl.footprint = 1ULL << 30;
	expect_invalid(&c, "use --mem 1");
	config(&c, "v");
	c.translate_sample = RUN_MAX_TRANSLATE + 1;
	expect_invalid(&c, "at most 64");
	config(&c, "v");
	c.vm.timeout_s = -1;
	expect_invalid(&c, "--timeout");
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
	unsetenv("MEMVIRT_HOST_ROOT");
	unsetenv("MEMVIRT_KVM_DEVICE");
	test_host();
	test_output();
	test_vm();
	test_validate();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	CHECK(system(cmd) == 0);
	TEST_DONE();
}
