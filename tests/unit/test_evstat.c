// SPDX-License-Identifier: GPL-2.0
/* trace stat and dump on files built with the writer: exit reasons, decoding, histograms, filters,
 * CSV tables. */
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include "test.h"
#include "analysis/analysis.h"
#include "trace/evfile.h"
#include "analysis/hist.h"
#include "analysis/kvmdecode.h"

/* Record types as the tracer lays them out (trace/events_kvm.h), described here independently. */
struct t_exit {
	uint64_t rip;
	uint32_t isa, reason_known;
	uint64_t exit_code;
};
struct t_entry {
	uint64_t rip;
	uint32_t immediate_exit, pad;
};
struct t_pf {
	uint64_t rip, address, error_code;
};
struct t_walk {
	uint64_t addr;
	uint64_t pte[5];
	uint32_t pferr, error, levels, failed;
};
struct t_page {
	uint64_t gfn;
	uint32_t role, created, root_count, unsync;
};

static const struct ev_field exit_fields[] = {{"rip", EV_K_X64, 0, 1},
					      {"isa", EV_K_U32, 8, 1},
					      {"reason_known", EV_K_U32, 12, 1},
					      {"exit_code", EV_K_X64, 16, 1}};
static const struct ev_field entry_fields[] = {{"rip", EV_K_X64, 0, 1},
					       {"immediate_exit", EV_K_U32, 8, 1}};
static const struct ev_field pf_fields[] = {
	{"rip", EV_K_X64, 0, 1}, {"address", EV_K_X64, 8, 1}, {"error_code", EV_K_X64, 16, 1}};
static const struct ev_field walk_fields[] = {
	{"addr", EV_K_X64, 0, 1},   {"pte", EV_K_X64, 8, 5},	 {"pferr", EV_K_U32, 48, 1},
	{"error", EV_K_U32, 52, 1}, {"levels", EV_K_U32, 56, 1}, {"failed", EV_K_U32, 60, 1}};
static const struct ev_field page_fields[] = {{"gfn", EV_K_X64, 0, 1},
					      {"role", EV_K_U32, 8, 1},
					      {"created", EV_K_U32, 12, 1},
					      {"root_count", EV_K_U32, 16, 1},
					      {"unsync", EV_K_U32, 20, 1}};

static const struct ev_type t_kvm_exit = {62,	      EV_SRC_KVM,  sizeof(struct t_exit),
					  "kvm_exit", exit_fields, 4};
static const struct ev_type t_kvm_entry = {63,		EV_SRC_KVM,   sizeof(struct t_entry),
					   "kvm_entry", entry_fields, 2};
static const struct ev_type t_kvm_pf = {
	64, EV_SRC_KVM, sizeof(struct t_pf), "kvm_page_fault", pf_fields, 3};
static const struct ev_type t_kvm_walk = {
	48, EV_SRC_KVM, sizeof(struct t_walk), "kvm_mmu_walk", walk_fields, 6};
static const struct ev_type t_get_page = {
	51, EV_SRC_KVM, sizeof(struct t_page), "kvm_mmu_get_page", page_fields, 5};

static char path[256];

static void test_exit_names(void)
{
	char buf[24];

	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_VMX, 48, buf, sizeof(buf)), "EPT_VIOLATION");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_VMX, 49, buf, sizeof(buf)), "EPT_MISCONFIG");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_VMX, 0, buf, sizeof(buf)), "EXCEPTION_NMI");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_VMX, 1, buf, sizeof(buf)), "EXTERNAL_INTERRUPT");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_VMX, 30, buf, sizeof(buf)), "IO_INSTRUCTION");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_VMX, 12, buf, sizeof(buf)), "HLT");
	/* bit 31: VM-entry failure; the basic reason is bits 15:0 (SDM 25.9.1) */
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_VMX, 0x80000021, buf, sizeof(buf)), "INVALID_STATE");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_VMX, 35, buf, sizeof(buf)), "0x23");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_VMX, 200, buf, sizeof(buf)), "0xc8");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_SVM, 0x400, buf, sizeof(buf)), "NPF");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_SVM, 0x4e, buf, sizeof(buf)), "EXCP_PF");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_SVM, 0x7b, buf, sizeof(buf)), "IOIO");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_SVM, 0x7c, buf, sizeof(buf)), "MSR");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_SVM, 0x60, buf, sizeof(buf)), "INTR");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_SVM, 0x78, buf, sizeof(buf)), "HLT");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_SVM, 0x72, buf, sizeof(buf)), "CPUID");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_SVM, 0x81, buf, sizeof(buf)), "VMMCALL");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_SVM, 0x00, buf, sizeof(buf)), "READ_CR0");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_SVM, 0x13, buf, sizeof(buf)), "WRITE_CR3");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_SVM, 0x93, buf, sizeof(buf)), "CR3_WRITE_TRAP");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_SVM, 0x500, buf, sizeof(buf)), "0x500");
	CHECK_STR(kvm_exit_format(KVM_DEC_ISA_SVM, 0xa1, buf, sizeof(buf)), "0xa1");
	CHECK_STR(kvm_exit_format(7, 48, buf, sizeof(buf)), "0x30"); /* no vendor: hex */
	CHECK_STR(kvm_isa_name(1), "vmx");
	CHECK_STR(kvm_isa_name(2), "svm");
}

static void test_error_codes_roles(void)
{
	char buf[160];

	kvm_pferr_format(0x6, buf, sizeof(buf));
	CHECK_STR(buf, "W|U");
	kvm_pferr_format(0, buf, sizeof(buf));
	CHECK_STR(buf, "-");
	kvm_pferr_format(0x1f, buf, sizeof(buf));
	CHECK_STR(buf, "P|W|U|RSVD|I/F");
	kvm_pferr_format(0x8060, buf, sizeof(buf));
	CHECK_STR(buf, "PK|SS|SGX");
	kvm_pferr_format(0x100000006ULL, buf, sizeof(buf));
	CHECK_STR(buf, "W|U|GUEST_FINAL");
	kvm_pferr_format(0x200000001ULL, buf, sizeof(buf));
	CHECK_STR(buf, "P|GUEST_PAGE");
	kvm_pferr_format(0x302, buf, sizeof(buf)); /* bits 8 and 9 have no name */
	CHECK_STR(buf, "W|0x300");
	/* level 4 (bits 3:0), direct (7), access 7 (10:8), cr0_wp (13), smm 1 (31:24) */
	kvm_role_format(4 | 1u << 7 | 7u << 8 | 1u << 13 | 1u << 24, buf, sizeof(buf));
	CHECK_STR(buf, "level=4 access=7 direct cr0_wp smm=1");
	/* 32-bit guest: 4-byte gptes (4), quadrant 2 (6:5), guest_mode (17), passthrough (18) */
	kvm_role_format(1 | 1u << 4 | 2u << 5 | 1u << 17 | 1u << 18, buf, sizeof(buf));
	CHECK_STR(buf, "level=1 quadrant=2 access=0 has_4_byte_gpte guest_mode passthrough");
	kvm_role_format(3 | 1u << 11 | 1u << 12 | 1u << 16, buf, sizeof(buf));
	CHECK_STR(buf, "level=3 access=0 invalid efer_nx ad_disabled");
}

/* The bucket of @v computed the slow way: the smallest k with v < 2^k, 0 for 0. */
static unsigned slow_bucket(uint64_t v)
{
	unsigned k = 0;

	while (k < 64 && v >= (1ULL << k))
		k++;
	return v ? k : 0;
}

static void test_hist(void)
{
	struct log2_hist h;
	uint64_t expect[LOG2_HIST_BUCKETS] = {0}, x = 88172645463325252ULL;

	CHECK_EQ_U64(log2_hist_bucket(0), 0);
	CHECK_EQ_U64(log2_hist_bucket(1), 1);
	CHECK_EQ_U64(log2_hist_bucket(2), 2);
	CHECK_EQ_U64(log2_hist_bucket(3), 2);
	CHECK_EQ_U64(log2_hist_bucket(4), 3);
	CHECK_EQ_U64(log2_hist_bucket(1023), 10);
	CHECK_EQ_U64(log2_hist_bucket(1024), 11);
	CHECK_EQ_U64(log2_hist_bucket(UINT64_MAX), 64);
	CHECK_EQ_U64(log2_hist_lo(0), 0);
	CHECK_EQ_U64(log2_hist_lo(1), 1);
	CHECK_EQ_U64(log2_hist_hi(1), 2);
	CHECK_EQ_U64(log2_hist_lo(11), 1024);
	CHECK_EQ_U64(log2_hist_hi(11), 2048);
	/* Every boundary and its neighbours, then pseudo-random values of every magnitude. */
	log2_hist__init(&h);
	for (unsigned k = 0; k < 64; k++) {
		uint64_t p = 1ULL << k;
		uint64_t v[3] = {p - 1, p, p + 1};

		for (int i = 0; i < 3; i++) {
			log2_hist__add(&h, v[i]);
			expect[slow_bucket(v[i])]++;
		}
	}
	for (int i = 0; i < 100000; i++) {
		uint64_t v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = x >> (x % 64);
		log2_hist__add(&h, v);
		expect[slow_bucket(v)]++;
	}
	CHECK_EQ_U64(h.s.count, 64 * 3 + 100000);
	for (unsigned k = 0; k < LOG2_HIST_BUCKETS; k++) {
		CHECK_EQ_U64(h.bucket[k], expect[k]);
		for (uint64_t v = log2_hist_lo(k);
		     k && k < 63 && v < log2_hist_lo(k) + 2 && v < log2_hist_hi(k); v++)
			CHECK_EQ_U64(log2_hist_bucket(v), k);
	}
}

/*
 * A file of exits on two vCPUs: vCPU 0 SVM NPF exits lasting 1000 + 37 * i ns,
 * vCPU 1 IOIO exits lasting 5000 ns, one exit without a reason, guest page
 * faults and walks at known addresses, a shadow page.
 */
#define N_NPF 300
#define N_IO  50

static uint64_t npf_ns(int i)
{
	return 1000 + 37 * (uint64_t)i;
}

static void write_file(void)
{
	struct ev_writer *w;
	uint64_t ts = 1000000;

	CHECK_EQ_U64(ev_writer_open(&w, path, 0, 0, false), 0);
	for (int i = 0; i < N_NPF; i++, ts += 100000) {
		struct t_exit e = {.rip = 0x1000, .isa = 2, .reason_known = 1, .exit_code = 0x400};
		struct t_entry n = {.rip = 0x1000};
		struct t_pf pf = {.rip = 0x1000,
				  .address = 0x10000 + 0x1000 * (uint64_t)i,
				  .error_code = 0x100000006ULL};

		CHECK_EQ_U64(ev_write(w, &t_kvm_exit, 0, ts, &e), 0);
		CHECK_EQ_U64(ev_write(w, &t_kvm_pf, 0, ts + 1, &pf), 0);
		CHECK_EQ_U64(ev_write(w, &t_kvm_entry, 0, ts + npf_ns(i), &n), 0);
		if (i < N_IO) {
			e.exit_code = 0x7b;
			CHECK_EQ_U64(ev_write(w, &t_kvm_exit, 1, ts + 10, &e), 0);
			CHECK_EQ_U64(ev_write(w, &t_kvm_entry, 1, ts + 5010, &n), 0);
		}
	}
	{
		struct t_exit e = {.isa = 2, .reason_known = 0, .exit_code = 0};
		struct t_walk wk = {.addr = 0x7000, .pferr = 0x2, .levels = 4};
		struct t_page pg = {.gfn = 0x77, .role = 4 | 1u << 7 | 7u << 8};
		struct ev_guest_fault gf = {
			.cr2 = 0x7000, .gpa = 0x5000, .error_code = 6, .page_shift = 12};

		CHECK_EQ_U64(ev_write(w, &t_kvm_exit, 2, ts, &e), 0);
		CHECK_EQ_U64(ev_write(w, &t_kvm_walk, 2, ts + 100, &wk), 0);
		wk.addr = 0x9000;
		wk.levels = 2;
		CHECK_EQ_U64(ev_write(w, &t_kvm_walk, 2, ts + 200, &wk), 0);
		CHECK_EQ_U64(ev_write(w, &t_get_page, 2, ts + 300, &pg), 0);
		CHECK_EQ_U64(ev_write(w, &ev_type_guest_fault, 3, ts + 400, &gf), 0);
	}
	CHECK_EQ_U64(ev_writer_close(w, false), 0);
}

static void test_stat_exits(void)
{
	struct ev_reader *r;
	struct ev_stat *s;
	const struct ev_exit_stat *x;
	const struct log2_hist *h;
	uint64_t expect[LOG2_HIST_BUCKETS] = {0}, min = UINT64_MAX, max = 0;
	size_t n;

	CHECK_EQ_U64(ev_reader_open(&r, path), 0);
	CHECK_EQ_U64(ev_stat_read(r, &s), 0);
	x = ev_stat_exits(s, &n);
	CHECK_EQ_U64(n, 2);
	if (n == 2) {
		/* most frequent first */
		CHECK_EQ_U64(x[0].code, 0x400);
		CHECK_EQ_U64(x[0].isa, 2);
		CHECK_EQ_U64(x[0].count, N_NPF);
		CHECK_EQ_U64(x[0].lat_n, N_NPF);
		CHECK_EQ_U64(x[0].min_ns, npf_ns(0));
		CHECK_EQ_U64(x[0].max_ns, npf_ns(N_NPF - 1));
		CHECK_EQ_U64(x[1].code, 0x7b);
		CHECK_EQ_U64(x[1].count, N_IO);
		CHECK_EQ_U64(x[1].min_ns, 5000);
		CHECK_EQ_U64(x[1].max_ns, 5000);
	}
	CHECK_EQ_U64(ev_stat_exits_unknown(s), 1);
	/* The exit-to-entry histogram holds every sample of both vCPUs. */
	for (int i = 0; i < N_NPF; i++) {
		expect[slow_bucket(npf_ns(i))]++;
		min = npf_ns(i) < min ? npf_ns(i) : min;
		max = npf_ns(i) > max ? npf_ns(i) : max;
	}
	expect[slow_bucket(5000)] += N_IO;
	h = ev_stat_hist(s, EV_HIST_EXIT_ENTRY);
	CHECK_EQ_U64(h->s.count, N_NPF + N_IO);
	CHECK_EQ_U64(h->s.min, min);
	CHECK_EQ_U64(h->s.max, 5000 > max ? 5000 : max);
	for (unsigned k = 0; k < LOG2_HIST_BUCKETS; k++)
		CHECK_EQ_U64(h->bucket[k], expect[k]);
	h = ev_stat_hist(s, EV_HIST_WALK_LEVELS);
	CHECK_EQ_U64(h->s.count, 2);
	CHECK_EQ_U64(h->bucket[3], 1); /* 4 levels: [4, 8) */
	CHECK_EQ_U64(h->bucket[2], 1); /* 2 levels: [2, 4) */
	ev_stat_free(s);
	ev_reader_close(r);
}

/* Dump @path with @fmt and @f into a string (caller frees). */
static char *dump(enum ev_dump_format fmt, const struct ev_dump_filter *f)
{
	struct ev_reader *r;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	CHECK(out != NULL);
	CHECK_EQ_U64(ev_reader_open(&r, path), 0);
	CHECK_EQ_U64(ev_dump_filtered(r, out, fmt, NULL, f), 0);
	ev_reader_close(r);
	fclose(out);
	return text;
}

static unsigned count_lines(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static struct ev_dump_filter filter(const char *opt, const char *val)
{
	struct ev_dump_filter f = {0};
	char err[200];

	CHECK_EQ_U64(ev_dump_filter_set(&f, opt, val, err, sizeof(err)), 0);
	return f;
}

static void test_dump_decoded(void)
{
	char *t = dump(EV_DUMP_TEXT, NULL);

	CHECK(strstr(t, "isa=2 (svm) reason_known=1 exit_code=0x400 (NPF)") != NULL);
	CHECK(strstr(t, "exit_code=0x7b (IOIO)") != NULL);
	CHECK(strstr(t, "error_code=0x100000006 (W|U|GUEST_FINAL)") != NULL);
	CHECK(strstr(t, "pferr=2 (W)") != NULL);
	CHECK(strstr(t, "role=1924 (level=4 access=7 direct)") != NULL);
	CHECK(strstr(t, "reason_known=0 exit_code=0x0\n") != NULL); /* no name without a reason */
	free(t);
}

static void test_filters(void)
{
	struct ev_dump_filter f;
	char err[200];
	char *t;

	f = filter("type", "kvm_exit");
	t = dump(EV_DUMP_TEXT, &f);
	CHECK_EQ_U64(count_lines(t, " kvm_exit "), N_NPF + N_IO + 1);
	CHECK_EQ_U64(count_lines(t, "\n"), N_NPF + N_IO + 1 + 2); /* + 2 header lines */
	free(t);
	f = filter("type", "kvm_exit,kvm_entry");
	CHECK(!ev_dump_filter_set(&f, "cpu", "1", err, sizeof(err)));
	t = dump(EV_DUMP_TEXT, &f);
	CHECK_EQ_U64(count_lines(t, " kvm_exit "), N_IO);
	CHECK_EQ_U64(count_lines(t, " kvm_entry "), N_IO);
	CHECK_EQ_U64(count_lines(t, "\n"), 2 * N_IO + 2);
	free(t);
	/* Iteration i starts at 1000000 + 100000 i: [since, until] holds iterations 10..19 of vCPU
	 * 0. */
	f = filter("since", "2000000");
	CHECK(!ev_dump_filter_set(&f, "until", "2999999", err, sizeof(err)));
	CHECK(!ev_dump_filter_set(&f, "cpu", "0", err, sizeof(err)));
	t = dump(EV_DUMP_TEXT, &f);
	CHECK_EQ_U64(count_lines(t, "\n"), 10 * 3 + 2);
	CHECK(strstr(t, "address=0x1a000 ") != NULL);
	CHECK(strstr(t, "address=0x19000 ") == NULL);
	free(t);
	/* GVA: kvm_page_fault address 0x10000 + 0x1000 i, the walks at 0x7000 and 0x9000, the guest
	 * fault's cr2 0x7000. */
	f = filter("gva", "0x7000-0x12000");
	t = dump(EV_DUMP_TEXT, &f);
	CHECK_EQ_U64(count_lines(t, " kvm_page_fault "), 2);
	CHECK_EQ_U64(count_lines(t, " kvm_mmu_walk "), 2);
	CHECK_EQ_U64(count_lines(t, " guest_fault "), 1);
	CHECK_EQ_U64(count_lines(t, "\n"), 5 + 2);
	free(t);
	/* Bad values. */
	f = (struct ev_dump_filter){0};
	CHECK(ev_dump_filter_set(&f, "type", "no_such_type", err, sizeof(err)) == -EINVAL);
	CHECK(ev_dump_filter_set(&f, "type", "kvm_exit,", err, sizeof(err)) == -EINVAL);
	CHECK(ev_dump_filter_set(&f, "cpu", "x", err, sizeof(err)) == -EINVAL);
	CHECK(ev_dump_filter_set(&f, "cpu", "70000", err, sizeof(err)) == -EINVAL);
	CHECK(ev_dump_filter_set(&f, "since", "-5", err, sizeof(err)) == -EINVAL);
	CHECK(ev_dump_filter_set(&f, "gva", "0x9000-0x8000", err, sizeof(err)) == -EINVAL);
	CHECK(ev_dump_filter_set(&f, "gva", "0x9000", err, sizeof(err)) == -EINVAL);
	CHECK(!ev_dump_filter_active(&f));
}

static void test_csv_tables(void)
{
	struct ev_dump_filter f = filter("type", "kvm_exit,kvm_mmu_walk,guest_fault");
	char *t = dump(EV_DUMP_CSV_TABLES, &f);

	CHECK(!strncmp(t,
		       "# type kvm_exit\noffset,ts,time_ns,source,cpu,rip,isa,reason_known,"
		       "exit_code\n",
		       strlen("# type kvm_exit\noffset,ts,time_ns,source,cpu,rip,isa,reason_known,"
			      "exit_code\n")));
	CHECK(strstr(t, "\n\n# type kvm_mmu_walk\noffset,ts,time_ns,source,cpu,addr,pte_0,pte_1,"
			"pte_2,pte_3,pte_4,pferr,error,levels,failed\n") != NULL);
	CHECK(strstr(t, "\n\n# type guest_fault\noffset,ts,time_ns,source,cpu,cr2,rip,gpa,cr3,"
			"error_code,page_shift\n") != NULL);
	CHECK_EQ_U64(count_lines(t, "# type "), 3);
	CHECK_EQ_U64(count_lines(t, ",kvm,0,0x1000,2,1,0x400\n"), N_NPF);
	free(t);
}

/*
 * --write-exits PATH N: N kvm_exit/kvm_entry pairs on 4 vCPUs, 500 ns to ~66 us apart, for
 * bench/trace_stat_mem.sh (a file whose latencies trace stat must summarise).
 */
static int write_exits(const char *out, const char *count)
{
	struct t_exit e = {.rip = 0x1000, .isa = 2, .reason_known = 1, .exit_code = 0x400};
	struct t_entry n = {.rip = 0x1000};
	unsigned long total = strtoul(count, NULL, 10);
	uint64_t ts = 1000000, x = 88172645463325252ULL;
	struct ev_writer *w;

	if (ev_writer_open(&w, out, 0, 0, false))
		return 1;
	for (unsigned long i = 0; i < total; i++, ts += 100000) {
		x ^= x << 13; /* xorshift64: latencies spread over many values */
		x ^= x >> 7;
		x ^= x << 17;
		if (ev_write(w, &t_kvm_exit, (uint16_t)(i % 4), ts, &e) ||
		    ev_write(w, &t_kvm_entry, (uint16_t)(i % 4), ts + 500 + (x & 0xffff), &n))
			break;
	}
	return ev_writer_close(w, false) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--write-exits"))
		return write_exits(argv[2], argv[3]);
	/* --write PATH: keep the sample (the example in docs/trace-format.md). */
	if (argc == 3 && !strcmp(argv[1], "--write")) {
		snprintf(path, sizeof(path), "%s", argv[2]);
		write_file();
		TEST_DONE();
	}
	snprintf(path, sizeof(path), "/tmp/test_evstat.%d.ev", (int)getpid());
	test_exit_names();
	test_error_codes_roles();
	test_hist();
	write_file();
	test_stat_exits();
	test_dump_decoded();
	test_filters();
	test_csv_tables();
	unlink(path);
	TEST_DONE();
}
