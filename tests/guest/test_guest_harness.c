// SPDX-License-Identifier: GPL-2.0
/*
 * The guest-test harness tested by itself: a guest that reaches GUEST_DONE
 * passes; a failed GUEST_ASSERT or GUEST_ASSERT_EQ fails and names the file,
 * the line and the expression (and the two values); a guest that returns,
 * crashes, hangs or exits any other way fails; a forged report is cut to
 * size, made printable, or refused. Every failure case checks that the host
 * side returned failure.
 */
#include <stdint.h>

enum guest_case {
	CASE_PASS = 1,
	CASE_ASSERT,
	CASE_ASSERT_EQ,
	CASE_RETURN,
	CASE_CRASH,
	CASE_HANG,
	CASE_EXIT_STATUS,
	CASE_FORGED_LONG,
	CASE_FORGED_MAGIC,
};

#ifdef MV_GUEST
#include "guest.h"

/* Which case to run: the host writes it before the run (guest_test__set). */
volatile uint64_t guest_case;

/* A report with unterminated, unprintable strings, as a broken or hostile guest could send. */
static void forge_report(uint64_t magic)
{
	struct mv_panic p = {.reason = MV_PANIC_ASSERT};

	for (unsigned i = 0; i < sizeof(guest_report.file); i++)
		guest_report.file[i] = (char)(i % 2 ? 'F' : 0x07);
	for (unsigned i = 0; i < sizeof(guest_report.expr); i++)
		guest_report.expr[i] = (char)(i % 2 ? 'E' : 0xff);
	guest_report.line = ~0ULL;
	guest_report.magic = magic;
	guest_send(MV_MSG_PANIC, &p, sizeof(p));
}

void guest_main(void)
{
	switch (guest_case) {
	case CASE_PASS:
		GUEST_ASSERT(guest_case != 0);
		GUEST_ASSERT_EQ(guest_case, CASE_PASS);
		GUEST_DONE();
	case CASE_ASSERT:
		GUEST_ASSERT(guest_case == CASE_PASS);
		break;
	case CASE_ASSERT_EQ:
		GUEST_ASSERT_EQ(guest_case, 0x1234);
		break;
	case CASE_RETURN:
		return;
	case CASE_CRASH:
		/* Nothing is mapped at the start of the mmap area before an mmap. */
		(void)*(volatile uint64_t *)MV_MMAP_BASE;
		break;
	case CASE_HANG:
		for (;;)
			__asm__ volatile("pause");
	case CASE_EXIT_STATUS: {
		struct mv_kstats k = {.status = 7};

		guest_send(MV_MSG_EXIT, &k, sizeof(k));
		break;
	}
	case CASE_FORGED_LONG:
		forge_report(GT_REPORT_MAGIC);
		break;
	case CASE_FORGED_MAGIC:
		forge_report(GT_REPORT_MAGIC + 1);
		break;
	}
	GUEST_DONE(); /* not reached in the failing cases */
}

#else /* the host side */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "test.h"

static struct guest_test t;

/* Run one guest case; @timeout_s 0 keeps the default. Returns what guest_test__run did. */
static int run_case(uint64_t c, double timeout_s)
{
	struct vm_config cfg;
	int ret;

	fprintf(stderr, "-- case %" PRIu64 "%s\n", c,
		c == CASE_PASS ? "" : ": the harness must report a failure");
	guest_test_config(&cfg);
	if (timeout_s > 0)
		cfg.timeout_s = timeout_s;
	ret = guest_test__create(&t, &cfg);
	CHECK_EQ_U64(ret, 0);
	if (ret)
		return ret;
	CHECK(guest_test__set(&t, "guest_case", &c, sizeof(c)) == 0);
	ret = guest_test__run(&t);
	guest_test__destroy(&t);
	return ret;
}

/* The number of the first line of this file that holds @text (guest code comes first): 0 if none.
 */
static unsigned source_line_of(const char *text)
{
	char line[512];
	unsigned n = 0, found = 0;
	FILE *f = fopen(__FILE__, "r");

	CHECK(f != NULL);
	while (f && !found && fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, text))
			found = n;
	}
	if (f)
		fclose(f);
	return found;
}

static void check_pass(void)
{
	CHECK_EQ_U64(run_case(CASE_PASS, 0), 0);
	CHECK(t.done);
	CHECK(!t.asserted);
	CHECK_STR(t.why, "");
}

/* A failed assertion: the report names this file, the assertion's line and its text. */
static void check_assert(uint64_t c, const char *call, const char *expr)
{
	unsigned line = source_line_of(call);

	CHECK(line > 0);
	CHECK_EQ_U64(run_case(c, 0), -1);
	CHECK(!t.done);
	CHECK(t.asserted);
	CHECK_EQ_U64(t.res.end, VM_END_PANIC);
	CHECK_EQ_U64(t.res.panic.reason, MV_PANIC_ASSERT);
	CHECK_STR(t.report.file, "tests/guest/test_guest_harness.c");
	CHECK_EQ_U64(t.report.line, line);
	CHECK_STR(t.report.expr, expr);
	CHECK(strstr(t.why, expr) != NULL);
}

/* A run that fails without an assertion, ending as @end. */
static void check_failed(uint64_t c, double timeout_s, enum vm_end end, const char *why)
{
	CHECK_EQ_U64(run_case(c, timeout_s), -1);
	CHECK(!t.done);
	CHECK(!t.asserted);
	CHECK_EQ_U64(t.res.end, end);
	if (!strstr(t.why, why))
		fprintf(stderr, "'%s' does not say '%s'\n", t.why, why);
	CHECK(strstr(t.why, why) != NULL);
}

int main(void)
{
	struct vm_config cfg;
	uint64_t v = 1;

	guest_test_require_kvm();
	check_pass();
	check_assert(CASE_ASSERT, "GUEST_ASSERT(guest_case == CASE_PASS);",
		     "guest_case == CASE_PASS");
	check_assert(CASE_ASSERT_EQ, "GUEST_ASSERT_EQ(guest_case, 0x1234);",
		     "guest_case == 0x1234");
	CHECK(t.report.flags & GT_REPORT_VALUES);
	CHECK_EQ_U64(t.report.a, CASE_ASSERT_EQ);
	CHECK_EQ_U64(t.report.b, 0x1234);
	CHECK(strstr(t.why, "(3 != 4660, 0x3 != 0x1234)") != NULL);

	check_failed(CASE_RETURN, 0, VM_END_HLT, "never reached GUEST_DONE: halt");
	check_failed(CASE_CRASH, 0, VM_END_PANIC, "kernel-mode page fault");
	CHECK_EQ_U64(t.res.panic.cr2, MV_MMAP_BASE);
	CHECK_EQ_U64(t.res.panic.regs.vector, 14);
	check_failed(CASE_HANG, 1, VM_END_TIMEOUT, "never reached GUEST_DONE: timeout");
	check_failed(CASE_EXIT_STATUS, 0, VM_END_EXIT, "exited with status 7");

	/* Forged reports: the strings are cut to their arrays and made printable. */
	CHECK_EQ_U64(run_case(CASE_FORGED_LONG, 0), -1);
	CHECK(t.asserted && !t.done);
	CHECK_EQ_U64(strlen(t.report.file), sizeof(t.report.file) - 1);
	CHECK_EQ_U64(strlen(t.report.expr), sizeof(t.report.expr) - 1);
	CHECK(strspn(t.report.file, "?F") == sizeof(t.report.file) - 1);
	CHECK(strspn(t.report.expr, "?E") == sizeof(t.report.expr) - 1);
	/* ... and without the magic the report is refused, the run still a failure. */
	check_failed(CASE_FORGED_MAGIC, 0, VM_END_PANIC, "report in 'guest_report' is missing");

	/* The host cannot write a global the image does not have. */
	guest_test_config(&cfg);
	CHECK_EQ_U64(guest_test__create(&t, &cfg), 0);
	if (t.vm) {
		CHECK_EQ_U64(guest_test__set(&t, "no_such_global", &v, sizeof(v)), -ENOENT);
		guest_test__destroy(&t);
	}
	TEST_DONE();
}
#endif
