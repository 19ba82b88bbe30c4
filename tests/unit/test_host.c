// SPDX-License-Identifier: GPL-2.0
/* host_info_probe against the fake host trees in tests/fixtures/hosts, and the live host. */
#include <errno.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/json.h"
#include "common/version.h"
#include "test.h"
#include "host/host.h"

#define FIXTURES MEMVIRT_SOURCE_DIR "/tests/fixtures/hosts/"

/* What each fixture's files say (see tests/fixtures/hosts/README.md). */
struct expect {
	const char *name;
	bool kvm_present;
	enum host_kvm_vendor vendor;
	enum host_mmu_mode mode;
	const char *mmu_param;
	const char *mmu_switch; /* NULL: no switch possible */
	int tdp_mmu;
	const char *thp;
	int64_t nr_2m, free_2m, nr_1g, free_1g;
	const char *tracefs;
	int kvmmmu;
	bool btf;
	int kvm_btf;		/* KVM's tracepoint types found in BTF */
	const char *kvm_btf_in; /* "vmlinux", "kvm" (module BTF), "" */
	int64_t euid;
	bool bpf;
	int pagemap;
	const char *cpu_vendor, *cpu_model;
	bool vmx, svm;
	unsigned ncpus;
	const char *kernel;
};

static const struct expect expects[] = {
	{
		.name = "pvm",
		.kvm_present = true,
		.vendor = HOST_KVM_PVM,
		.mode = HOST_MMU_SHADOW,
		.mmu_param = "",
		.tdp_mmu = HOST_NO,
		.thp = "madvise",
		.nr_2m = 0,
		.free_2m = 0,
		.nr_1g = 0,
		.free_1g = 0,
		.tracefs = "/sys/kernel/tracing",
		.kvmmmu = HOST_YES,
		.btf = true,
		.kvm_btf = HOST_YES,
		.kvm_btf_in = "vmlinux",
		.euid = 0,
		.bpf = true,
		.pagemap = HOST_YES,
		.cpu_vendor = "AuthenticAMD",
		.cpu_model = "AMD EPYC",
		.ncpus = 2,
		.kernel = "6.18.44-fc-v782",
	},
	{
		.name = "intel-ept",
		.kvm_present = true,
		.vendor = HOST_KVM_INTEL,
		.mode = HOST_MMU_EPT,
		.mmu_param = "/sys/module/kvm_intel/parameters/ept",
		.mmu_switch = "modprobe -r kvm_intel && modprobe kvm_intel ept=0",
		.tdp_mmu = HOST_YES,
		.thp = "always",
		.nr_2m = 512,
		.free_2m = 500,
		.nr_1g = 4,
		.free_1g = 2,
		.tracefs = "/sys/kernel/debug/tracing",
		.kvmmmu = HOST_YES,
		.btf = true,
		.kvm_btf = HOST_YES,
		.kvm_btf_in = "vmlinux",
		.euid = 1000,
		.bpf = true, /* CAP_BPF and CAP_PERFMON without root */
		.pagemap = HOST_NO,
		.cpu_vendor = "GenuineIntel",
		.cpu_model = "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
		.vmx = true,
		.ncpus = 8,
		.kernel = "6.1.0-18-amd64",
	},
	{
		.name = "amd-npt",
		.kvm_present = true,
		.vendor = HOST_KVM_AMD,
		.mode = HOST_MMU_NPT,
		.mmu_param = "/sys/module/kvm_amd/parameters/npt",
		.mmu_switch = "modprobe -r kvm_amd && modprobe kvm_amd npt=0",
		.tdp_mmu = HOST_UNKNOWN,
		.thp = "never",
		.nr_2m = 16,
		.free_2m = 16,
		.nr_1g = -1,
		.free_1g = -1,
		.tracefs = "/sys/kernel/tracing",
		.kvmmmu = HOST_NO,
		.btf = false,
		.kvm_btf = HOST_UNKNOWN,
		.kvm_btf_in = "",
		.euid = 1000,
		.bpf = false, /* CAP_BPF alone is not enough for tracing programs */
		.pagemap = HOST_NO,
		.cpu_vendor = "AuthenticAMD",
		.cpu_model = "AMD EPYC 7763 64-Core Processor",
		.svm = true,
		.ncpus = 8, /* 0-3,8-11 */
		.kernel = "5.15.0-91-generic",
	},
	{
		/* Debian's 6.1 as in the lab: KVM a module, its BTF in /sys/kernel/btf/kvm. */
		.name = "amd-module",
		.kvm_present = true,
		.vendor = HOST_KVM_AMD,
		.mode = HOST_MMU_SHADOW,
		.mmu_param = "/sys/module/kvm_amd/parameters/npt",
		.mmu_switch = "modprobe -r kvm_amd && modprobe kvm_amd npt=1",
		.tdp_mmu = HOST_YES,
		.thp = "always",
		.nr_2m = -1,
		.free_2m = -1,
		.nr_1g = -1,
		.free_1g = -1,
		.tracefs = "/sys/kernel/tracing",
		.kvmmmu = HOST_YES,
		.btf = true,
		.kvm_btf = HOST_YES,
		.kvm_btf_in = "kvm",
		.euid = 0,
		.bpf = true,
		.pagemap = HOST_YES,
		.cpu_vendor = "AuthenticAMD",
		.cpu_model = "AMD EPYC Processor",
		.svm = true,
		.ncpus = 1,
		.kernel = "6.1.0-57-amd64",
	},
	{
		.name = "intel-noept",
		.kvm_present = true,
		.vendor = HOST_KVM_INTEL,
		.mode = HOST_MMU_SHADOW,
		.mmu_param = "/sys/module/kvm_intel/parameters/ept",
		.mmu_switch = "modprobe -r kvm_intel && modprobe kvm_intel ept=1",
		.tdp_mmu = HOST_YES,
		.thp = "madvise",
		.nr_2m = 0,
		.free_2m = 0,
		.nr_1g = -1,
		.free_1g = -1,
		.tracefs = "",
		.kvmmmu = HOST_UNKNOWN,
		.btf = false,
		.kvm_btf = HOST_UNKNOWN,
		.kvm_btf_in = "",
		.euid = 0,
		.bpf = true,
		.pagemap = HOST_UNKNOWN,
		.cpu_vendor = "GenuineIntel",
		.cpu_model = "Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz",
		.vmx = true,
		.ncpus = 2, /* no cpu/online: two processor blocks in cpuinfo */
		.kernel = "6.1.0-18-amd64",
	},
	{
		.name = "nokvm",
		.kvm_present = false,
		.vendor = HOST_KVM_NONE,
		.mode = HOST_MMU_UNKNOWN,
		.mmu_param = "",
		.tdp_mmu = HOST_UNKNOWN,
		.thp = "",
		.nr_2m = -1,
		.free_2m = -1,
		.nr_1g = -1,
		.free_1g = -1,
		.tracefs = "/sys/kernel/tracing",
		.kvmmmu = HOST_NO,
		.btf = false,
		.kvm_btf = HOST_UNKNOWN,
		.kvm_btf_in = "",
		.euid = 1000,
		.bpf = false,
		.pagemap = HOST_NO,
		.cpu_vendor = "GenuineIntel",
		.cpu_model = "Intel(R) Celeron(R) N4020 CPU @ 1.10GHz",
		.ncpus = 1,
		.kernel = "6.6.0",
	},
};

/* Every line of host_info_print fits 80 columns and the output is not empty. */
static void check_print(const struct host_info *hi)
{
	char *text = NULL, *line, *save = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	CHECK(f != NULL);
	if (!f)
		return;
	host_info_print(hi, f);
	fclose(f);
	CHECK(size > 0);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strlen(line) > 80)
			fprintf(stderr, "too long: %s\n", line);
		CHECK(strlen(line) <= 80);
	}
	free(text);
}

/* host_info_json nested in an object: well formed, and holds @needle. */
static void check_json(const struct host_info *hi, const char *needle)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	struct json j;
	int ret;

	CHECK(f != NULL);
	if (!f)
		return;
	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_obj_begin(&j, "host");
	host_info_json(hi, &j);
	json_obj_end(&j);
	json_obj_end(&j);
	ret = json_finish(&j);
	fclose(f);
	CHECK(ret == 0);
	if (needle && !strstr(text, needle)) {
		fprintf(stderr, "JSON lacks %s:\n%s", needle, text);
		CHECK(strstr(text, needle) != NULL);
	}
	free(text);
}

static void check_fixture(const struct expect *e)
{
	struct host_info hi;
	char hint[128], needle[64];
	char root[512];
	const char *sw;

	fprintf(stderr, "fixture %s\n", e->name);
	snprintf(root, sizeof(root), "%s%s", FIXTURES, e->name);
	CHECK_EQ_U64(host_info_probe(&hi, root), 0);
	CHECK(!hi.live);
	CHECK_EQ_U64(hi.kvm_present, e->kvm_present);
	/* A fake tree holds a regular file: present and openable, never ioctl'ed. */
	CHECK(!hi.kvm_chardev);
	CHECK_EQ_U64(hi.kvm_usable, e->kvm_present);
	CHECK_EQ_U64(hi.kvm_api_version, (uint64_t)-1);
	if (e->kvm_present) {
		CHECK_STR(hi.kvm_error, "");
	} else {
		CHECK_EQ_U64(hi.kvm_errno, ENOENT);
		CHECK_STR(hi.kvm_error, "no /dev/kvm: load kvm_intel or kvm_amd, or run in the "
					"lab ('memvirt lab -- COMMAND', real KVM under QEMU)");
	}
	CHECK_EQ_U64(hi.vendor, e->vendor);
	CHECK_EQ_U64(hi.vendor_modules, e->vendor ? 1u << e->vendor : 0);
	CHECK_EQ_U64(hi.mmu_mode, e->mode);
	CHECK_STR(hi.mmu_param, e->mmu_param);
	sw = host_mmu_switch_hint(&hi, hint, sizeof(hint));
	if (e->mmu_switch)
		CHECK_STR(sw, e->mmu_switch);
	else
		CHECK(sw == NULL);
	CHECK_EQ_U64(hi.tdp_mmu, e->tdp_mmu);

	CHECK_STR(hi.thp, e->thp);
	CHECK_EQ_U64(hi.huge_2m.nr, e->nr_2m);
	CHECK_EQ_U64(hi.huge_2m.free, e->free_2m);
	CHECK_EQ_U64(hi.huge_1g.nr, e->nr_1g);
	CHECK_EQ_U64(hi.huge_1g.free, e->free_1g);
	CHECK_EQ_U64(hi.pagemap_pfn, e->pagemap);

	CHECK_STR(hi.tracefs, e->tracefs);
	CHECK_EQ_U64(hi.kvmmmu_events, e->kvmmmu);
	CHECK_EQ_U64(hi.btf, e->btf);
	CHECK_EQ_U64(hi.kvm_btf, e->kvm_btf);
	CHECK_STR(hi.kvm_btf_where, e->kvm_btf_in);
	CHECK_EQ_U64(hi.euid, e->euid);
	CHECK(hi.cap_eff_known);
	CHECK_EQ_U64(hi.bpf_permitted, e->bpf);

	CHECK_STR(hi.cpu_vendor, e->cpu_vendor);
	CHECK_STR(hi.cpu_model, e->cpu_model);
	CHECK_EQ_U64(hi.cpu_vmx, e->vmx);
	CHECK_EQ_U64(hi.cpu_svm, e->svm);
	CHECK_EQ_U64(hi.ncpus, e->ncpus);
	CHECK_STR(hi.kernel, e->kernel);
	CHECK_STR(hi.gnuplot, ""); /* not run for a fake tree */
	CHECK(hi.capstone[0] != '\0');

	check_print(&hi);
	snprintf(needle, sizeof(needle), "\"mmu_mode\": \"%s\"", host_mmu_mode_name(e->mode));
	check_json(&hi, needle);
}

static void test_names(void)
{
	CHECK_STR(host_mmu_mode_name(HOST_MMU_SHADOW), "shadow");
	CHECK_STR(host_mmu_mode_name(HOST_MMU_EPT), "ept");
	CHECK_STR(host_mmu_mode_name(HOST_MMU_NPT), "npt");
	CHECK_STR(host_mmu_mode_name(HOST_MMU_UNKNOWN), "unknown");
	CHECK_STR(host_mmu_mode_name((enum host_mmu_mode)42), "unknown");
	CHECK_STR(host_kvm_vendor_name(HOST_KVM_PVM), "kvm_pvm");
	CHECK_STR(host_kvm_vendor_name(HOST_KVM_NONE), "none");
}

static void test_bad_roots(void)
{
	struct host_info hi;
	char root[512];

	CHECK_EQ_U64(host_info_probe(&hi, "/nonexistent/memvirt-host-root"), (uint64_t)-ENOENT);
	CHECK_EQ_U64(host_info_probe(&hi, FIXTURES "pvm/proc/cpuinfo"), (uint64_t)-ENOTDIR);
	/* Trailing slashes are dropped; the tree is still a fake one. */
	snprintf(root, sizeof(root), "%s%s", FIXTURES, "pvm///");
	CHECK_EQ_U64(host_info_probe(&hi, root), 0);
	CHECK(!hi.live);
	CHECK_EQ_U64(hi.mmu_mode, HOST_MMU_SHADOW);
	/* An empty tree: everything unknown or absent, nothing fails. */
	CHECK_EQ_U64(host_info_probe(&hi, FIXTURES "nokvm/sys/devices"), 0);
	CHECK(!hi.kvm_present);
	CHECK_EQ_U64(hi.mmu_mode, HOST_MMU_UNKNOWN);
	CHECK_EQ_U64(hi.euid, (uint64_t)-1);
	CHECK(!hi.cap_eff_known);
	CHECK(!hi.bpf_permitted);
	CHECK_EQ_U64(hi.ncpus, 0);
	CHECK_STR(hi.kernel, "");
	check_print(&hi);
	check_json(&hi, "\"api_version\": null");
}

/* The live host: no fixed values, only what must hold on any host. */
static void test_live(void)
{
	struct host_info hi;
	struct utsname u;

	CHECK_EQ_U64(host_info_probe(&hi, "/"), 0);
	CHECK(hi.live);
	CHECK_STR(hi.root, "/");
	if (hi.kvm_present && hi.kvm_chardev && hi.kvm_openable) {
		/* The KVM API version has been 12 since Linux 2.6.22. */
		CHECK_EQ_U64(hi.kvm_api_version, 12);
		CHECK(hi.kvm_usable);
		CHECK(hi.vendor != HOST_KVM_NONE);
		CHECK(hi.mmu_mode == HOST_MMU_SHADOW || hi.mmu_mode == HOST_MMU_EPT ||
		      hi.mmu_mode == HOST_MMU_NPT);
	}
	if (!hi.kvm_usable)
		CHECK(hi.kvm_error[0] != '\0');
	/* PVM has no hardware 2D paging; EPT is Intel's, NPT AMD's. */
	if (hi.vendor == HOST_KVM_PVM)
		CHECK_EQ_U64(hi.mmu_mode, HOST_MMU_SHADOW);
	if (hi.mmu_mode == HOST_MMU_EPT)
		CHECK(hi.vendor == HOST_KVM_INTEL);
	if (hi.mmu_mode == HOST_MMU_NPT)
		CHECK(hi.vendor == HOST_KVM_AMD);
	if (hi.huge_2m.nr >= 0 && hi.huge_2m.free >= 0)
		CHECK(hi.huge_2m.free <= hi.huge_2m.nr);
	if (hi.huge_1g.nr >= 0 && hi.huge_1g.free >= 0)
		CHECK(hi.huge_1g.free <= hi.huge_1g.nr);
	CHECK_EQ_U64(hi.euid, geteuid());
	CHECK(hi.cap_eff_known);
	/* pagemap hides PFNs from readers without CAP_SYS_ADMIN. */
	if (hi.cap_eff_known && !(hi.cap_eff & (1ULL << HOST_CAP_SYS_ADMIN)))
		CHECK(hi.pagemap_pfn != HOST_YES);
	else if (hi.pagemap_pfn != HOST_UNKNOWN)
		CHECK_EQ_U64(hi.pagemap_pfn, HOST_YES);
	CHECK(hi.ncpus >= 1);
	CHECK_EQ_U64(hi.ncpus, sysconf(_SC_NPROCESSORS_ONLN));
	CHECK(uname(&u) == 0);
	CHECK_STR(hi.kernel, u.release);
	CHECK_STR(hi.gnuplot, ""); /* only host_info_probe_tools() runs it */
	host_info_probe_tools(&hi);
	CHECK(hi.gnuplot[0] != '\0');
	check_print(&hi);
	check_json(&hi, "\"root\": \"/\"");
}

/* @fn writing into a JSON object as a document's top level, into a string (free it). */
static char *json_text(void (*fn)(struct json *j, const void *arg), const void *arg)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	struct json j;

	CHECK(f != NULL);
	if (!f)
		return NULL;
	json_init(&j, f);
	json_obj_begin(&j, NULL);
	fn(&j, arg);
	json_obj_end(&j);
	CHECK(json_finish(&j) == 0);
	fclose(f);
	return text;
}

static void summary(struct json *j, const void *hi)
{
	host_summary_json(hi, j);
}

static void has(const char *text, const char *needle)
{
	if (text && !strstr(text, needle))
		fprintf(stderr, "JSON lacks %s:\n%s", needle, text);
	CHECK(text && strstr(text, needle));
}

/* The brief probe reads what the fixture's files say, and nothing it does not need. */
static void test_brief(void)
{
	struct host_info hi;
	char *t;

	CHECK_EQ_U64(host_info_probe_brief(&hi, FIXTURES "intel-ept"), 0);
	t = json_text(summary, &hi);
	has(t, "\"kernel\": \"6.1.0-18-amd64\"");
	has(t, "\"cpu_model\": \"Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\"");
	has(t, "\"kvm_present\": true");
	has(t, "\"kvm_mmu_mode\": \"ept\"");
	has(t, "\"thp\": \"always\"");
	CHECK(hi.kvm_api_version == -1 && !hi.btf && !hi.tracefs[0]);
	free(t);
	CHECK_EQ_U64(host_info_probe_brief(&hi, FIXTURES "nokvm"), 0);
	t = json_text(summary, &hi);
	has(t, "\"kvm_present\": false");
	has(t, "\"kvm_mmu_mode\": null");
	has(t, "\"thp\": null");
	free(t);
	CHECK_EQ_U64(host_info_probe_brief(&hi, FIXTURES "nosuch"), (uint64_t)-ENOENT);
}

static void provenance(struct json *j, const void *arg)
{
	(void)arg;
	memvirt_provenance_json(j);
}

static void fixture_host(struct json *j, void *hi)
{
	host_summary_json(hi, j);
}

/* Every provenance object has "host": null until main registers its writer, then the summary. */
static void test_provenance_host(void)
{
	struct host_info hi;
	char *t = json_text(provenance, NULL);

	has(t, "\"host\": null");
	free(t);
	CHECK_EQ_U64(host_info_probe_brief(&hi, FIXTURES "amd-npt"), 0);
	memvirt_provenance_set_host(fixture_host, &hi);
	t = json_text(provenance, NULL);
	has(t, "\"host\": {");
	has(t, "\"kvm_mmu_mode\": \"npt\"");
	has(t, "\"written_at\": ");
	free(t);
	memvirt_provenance_set_host(NULL, NULL);
}

int main(void)
{
	test_brief();
	test_provenance_host();
	test_names();
	for (size_t i = 0; i < sizeof(expects) / sizeof(expects[0]); i++)
		check_fixture(&expects[i]);
	test_bad_roots();
	test_live();
	TEST_DONE();
}
