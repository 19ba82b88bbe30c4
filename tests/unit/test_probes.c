// SPDX-License-Identifier: GPL-2.0
/*
 * The probe table the families' lists make, where the tracer finds a probe's
 * BTF (vmlinux, or a module's split BTF beside it, as where KVM is a module)
 * against BTF files written here, and what it keeps of a libbpf message: the
 * verifier's reason at the end of a log longer than any fixed buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "common/log.h"
#include "test.h"
#include "trace/capture.h"
#include "trace/probes.h"

static char dir[] = "/tmp/memvirt-test-probes-XXXXXX";

static void write_btf(const struct btf *btf, const char *name)
{
	char path[128];
	__u32 size = 0;
	const void *raw = btf__raw_data(btf, &size);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f && raw && fwrite(raw, 1, size, f) == size);
	if (f)
		fclose(f);
}

/* vmlinux with sched's tracepoint and a function; kvm and foo as split module BTF. */
static void make_tree(void)
{
	struct btf *base = btf__new_empty(), *kvm, *foo;
	int i;

	CHECK(base != NULL);
	i = btf__add_int(base, "int", 4, BTF_INT_SIGNED);
	CHECK(btf__add_typedef(base, "btf_trace_sched_process_exit", i) > 0);
	CHECK(btf__add_struct(base, "task_rss_stat", 4) > 0);
	CHECK(btf__add_func_proto(base, i) > 0);
	CHECK(btf__add_func(base, "handle_mm_fault", BTF_FUNC_GLOBAL, i + 3) > 0);
	write_btf(base, "vmlinux");
	kvm = btf__new_empty_split(base);
	CHECK(btf__add_typedef(kvm, "btf_trace_kvm_mmu_pagetable_walk", i) > 0);
	write_btf(kvm, "kvm");
	foo = btf__new_empty_split(base);
	CHECK(btf__add_typedef(foo, "btf_trace_foo_event", i) > 0);
	write_btf(foo, "foo");
	btf__free(foo);
	btf__free(kvm);
	btf__free(base);
}

static void check_lookup(void)
{
	char path[128];
	struct kbtf *kb;

	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	kb = kbtf__open(path);
	CHECK(kb != NULL);
	if (!kb)
		return;
	CHECK_STR(kbtf__find_tracepoint(kb, "sched", "sched_process_exit"), "vmlinux");
	CHECK_STR(kbtf__find_tracepoint(kb, "kvmmmu", "kvm_mmu_pagetable_walk"), "kvm");
	CHECK_STR(kbtf__find_tracepoint(kb, "foo", "foo_event"), "foo");
	CHECK(kbtf__find_tracepoint(kb, "kvm", "kvm_exit") == NULL);
	CHECK(kbtf__has_func(kb, "handle_mm_fault"));
	CHECK(!kbtf__has_func(kb, "faultin_page"));
	CHECK(kbtf__has_struct(kb, "task_rss_stat"));
	kbtf__free(kb);
	snprintf(path, sizeof(path), "%s/none", dir);
	CHECK(kbtf__open(path) == NULL);
}

/*
 * The families' lists fill the table exactly, in the capture's order (the
 * order of its statistics and notes): the walk first, the thread's exit
 * last, each program found by its name.
 */
static void check_table(void)
{
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		const struct probe_def *p = probe_def(i);

		CHECK(p != NULL);
		if (!p)
			return;
		CHECK(p->system && p->event && p->prog);
		CHECK_EQ_U64(probe_index(p->prog), i);
	}
	CHECK(probe_def(CAPTURE_NPROBES) == NULL);
	CHECK_STR(probe_def(0)->event, "kvm_mmu_pagetable_walk");
	CHECK_STR(probe_def(7)->event, "kvm_mmu_get_page");
	CHECK_STR(probe_def(16)->event, "kvm_exit");
	CHECK_STR(probe_def(21)->event, "page_fault_user");
	CHECK_STR(probe_def(CAPTURE_NPROBES - 1)->event, "sched_process_exit");
	CHECK_EQ_U64(probe_index("mv_mm_fault"), 24);
	CHECK(probe_index("mv_flush") == -1);
}

static void feed(enum libbpf_print_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	probe_log_print(level, fmt, ap);
	va_end(ap);
}

/* libbpf 1.1's messages for a program the verifier rejects, with a 6 KiB log. */
static void check_log(void)
{
	const char *reason =
		"R4 unbounded memory access, make sure to bounds check any such access";
	size_t cap = 8192, n = 0;
	char *log = malloc(cap);

	CHECK(log != NULL);
	if (!log)
		return;
	for (int i = 0; n < 6000; i++)
		n += (size_t)snprintf(log + n, cap - n, "%d: (79) r1 = *(u64 *)(r6 +%d)\n", i, i);
	snprintf(log + n, cap - n,
		 "%s\nprocessed 212 insns (limit 1000000) max_states_per_insn 0\n", reason);
	probe_log_reset();
	feed(LIBBPF_WARN, "libbpf: prog '%s': BPF program load failed: %s\n", "mv_walk_elem",
	     "Permission denied");
	feed(LIBBPF_WARN,
	     "libbpf: prog '%s': -- BEGIN PROG LOAD LOG --\n%s-- END PROG LOAD LOG --\n",
	     "mv_walk_elem", log);
	feed(LIBBPF_WARN, "libbpf: failed to load object '%s'\n", "kvmmmu");
	CHECK_STR(probe_log_failed_prog(), "mv_walk_elem");
	CHECK_STR(probe_log_reason(), reason);
	/* A failure without a log: the message is the reason. */
	probe_log_reset();
	feed(LIBBPF_WARN, "libbpf: prog '%s': failed to find kernel BTF type ID of '%s': %d\n",
	     "mv_mm_fault", "handle_mm_fault", -3);
	CHECK_STR(probe_log_failed_prog(), "mv_mm_fault");
	CHECK_STR(probe_log_reason(), "failed to find kernel BTF type ID of 'handle_mm_fault': -3");
	free(log);
}

int main(void)
{
	char cmd[128];

	log_level = LOG_ERR; /* the log tail would be printed as warnings */
	if (!mkdtemp(dir))
		SKIP("cannot create a directory in /tmp: %s\n", strerror(errno));
	check_table();
	make_tree();
	check_lookup();
	check_log();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	TEST_DONE();
}
