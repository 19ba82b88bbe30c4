// SPDX-License-Identifier: GPL-2.0
/* Probe the host (or a fake tree laid out like it) for what memvirt can use. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <capstone/capstone.h>
#include <linux/kvm.h>

#include "common/json.h"
#include "common/util.h"
#include "host/host.h"

#define CPUINFO_MAX (64 * 1024)
#define STATUS_MAX  (16 * 1024)

/* Column of the value in host_info_print, and the line width it keeps to. */
#define PRINT_LABEL_W 18
#define PRINT_WIDTH   80

const char *host_mmu_mode_name(enum host_mmu_mode mode)
{
	switch (mode) {
	case HOST_MMU_SHADOW:
		return "shadow";
	case HOST_MMU_EPT:
		return "ept";
	case HOST_MMU_NPT:
		return "npt";
	case HOST_MMU_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *host_kvm_vendor_name(enum host_kvm_vendor vendor)
{
	switch (vendor) {
	case HOST_KVM_INTEL:
		return "kvm_intel";
	case HOST_KVM_AMD:
		return "kvm_amd";
	case HOST_KVM_PVM:
		return "kvm_pvm";
	case HOST_KVM_NONE:
		break;
	}
	return "none";
}

const char *host_mmu_switch_hint(const struct host_info *hi, char *buf, size_t len)
{
	const char *mod, *param;

	switch (hi->vendor) {
	case HOST_KVM_INTEL:
		mod = "kvm_intel";
		param = "ept";
		break;
	case HOST_KVM_AMD:
		mod = "kvm_amd";
		param = "npt";
		break;
	default:
		return NULL;
	}
	if (hi->mmu_mode != HOST_MMU_SHADOW && hi->mmu_mode != HOST_MMU_EPT &&
	    hi->mmu_mode != HOST_MMU_NPT)
		return NULL;
	snprintf(buf, len, "modprobe -r %s && modprobe %s %s=%d", mod, mod, param,
		 hi->mmu_mode == HOST_MMU_SHADOW);
	return buf;
}

/* root + rel, where rel starts with '/'. The live root adds no prefix. */
static int host_path(const struct host_info *hi, const char *rel, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", hi->live ? "" : hi->root, rel);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int read_rel(const struct host_info *hi, const char *rel, char *buf, size_t len)
{
	char path[PATH_MAX];
	int ret = host_path(hi, rel, path, sizeof(path));

	if (ret)
		return ret;
	return read_text_file(path, buf, len);
}

static bool exists_rel(const struct host_info *hi, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	return host_path(hi, rel, path, sizeof(path)) == 0 && stat(path, &st) == 0;
}

/* Copy at most len-1 bytes of src[0..n) into dst, NUL-terminated. */
static void copy_str(char *dst, size_t len, const char *src, size_t n)
{
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Module parameter booleans: Y/N for bool parameters, 1/0 for int ones. */
static int parse_yn(const char *s)
{
	if (!strcmp(s, "Y") || !strcmp(s, "y") || !strcmp(s, "1"))
		return HOST_YES;
	if (!strcmp(s, "N") || !strcmp(s, "n") || !strcmp(s, "0"))
		return HOST_NO;
	return HOST_UNKNOWN;
}

static int read_yn(const struct host_info *hi, const char *rel)
{
	char buf[16];

	if (read_rel(hi, rel, buf, sizeof(buf)))
		return HOST_UNKNOWN;
	return parse_yn(buf);
}

static int64_t read_count(const struct host_info *hi, const char *rel)
{
	char buf[32];
	uint64_t v;

	if (read_rel(hi, rel, buf, sizeof(buf)) || parse_u64(buf, &v) || v > INT64_MAX)
		return -1;
	return (int64_t)v;
}

static void kvm_set_error(struct host_info *hi, int err)
{
	hi->kvm_errno = err;
	switch (err) {
	case ENOENT:
		snprintf(hi->kvm_error, sizeof(hi->kvm_error),
			 "no /dev/kvm: load kvm_intel or kvm_amd, or run in the lab ('memvirt "
			 "lab -- COMMAND', real KVM under QEMU)");
		break;
	case EACCES:
	case EPERM:
		snprintf(hi->kvm_error, sizeof(hi->kvm_error),
			 "permission denied on /dev/kvm: run as root or join the kvm group");
		break;
	case ENODEV:
		snprintf(hi->kvm_error, sizeof(hi->kvm_error),
			 "/dev/kvm is not a character device: recreate it with "
			 "'mknod /dev/kvm c 10 232' or reload the kvm module");
		break;
	case EPROTO:
		snprintf(hi->kvm_error, sizeof(hi->kvm_error),
			 "/dev/kvm speaks KVM API version %d, memvirt needs %d: use a newer kernel",
			 hi->kvm_api_version, KVM_API_VERSION);
		break;
	case ENOTTY:
		snprintf(hi->kvm_error, sizeof(hi->kvm_error),
			 "/dev/kvm does not answer KVM_GET_API_VERSION: check that it is the "
			 "KVM device (char 10:232)");
		break;
	default:
		snprintf(hi->kvm_error, sizeof(hi->kvm_error), "cannot open /dev/kvm: %s",
			 strerror(err));
	}
}

/* Opens /dev/kvm; a regular file (fake tree) is opened read-only, never ioctl'ed. */
static void probe_kvm_dev(struct host_info *hi)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, v;

	hi->kvm_api_version = -1;
	if (host_path(hi, "/dev/kvm", path, sizeof(path))) {
		kvm_set_error(hi, ENAMETOOLONG);
		return;
	}
	if (stat(path, &st) != 0) {
		kvm_set_error(hi, errno);
		return;
	}
	hi->kvm_present = true;
	hi->kvm_chardev = S_ISCHR(st.st_mode);
	if (!hi->kvm_chardev && !S_ISREG(st.st_mode)) {
		kvm_set_error(hi, ENODEV);
		return;
	}
	/* A fixture file only needs to be readable, whoever checked it out. */
	fd = open(path, (hi->kvm_chardev ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		kvm_set_error(hi, errno);
		return;
	}
	hi->kvm_openable = true;
	if (hi->kvm_chardev) {
		v = ioctl(fd, KVM_GET_API_VERSION, 0);
		if (v < 0) {
			kvm_set_error(hi, errno == EINVAL ? ENOTTY : errno);
			close(fd);
			return;
		}
		hi->kvm_api_version = v;
	}
	close(fd);
	if (hi->kvm_api_version >= 0 && hi->kvm_api_version != KVM_API_VERSION) {
		kvm_set_error(hi, EPROTO);
		return;
	}
	hi->kvm_usable = true;
}

/*
 * The vendor module decides the MMU: kvm_intel's "ept" and kvm_amd's "npt"
 * parameters are read at module load, so switching needs a reload. PVM runs
 * guests without VMX/SVM and has only KVM's shadow MMU.
 */
static void probe_kvm_modules(struct host_info *hi)
{
	static const struct {
		enum host_kvm_vendor vendor;
		const char *dir;
		const char *param;
		enum host_mmu_mode tdp;
	} mods[] = {
		{HOST_KVM_INTEL, "/sys/module/kvm_intel", "/sys/module/kvm_intel/parameters/ept",
		 HOST_MMU_EPT},
		{HOST_KVM_AMD, "/sys/module/kvm_amd", "/sys/module/kvm_amd/parameters/npt",
		 HOST_MMU_NPT},
		{HOST_KVM_PVM, "/sys/module/kvm_pvm", NULL, HOST_MMU_SHADOW},
	};
	int yn;

	hi->vendor = HOST_KVM_NONE;
	hi->mmu_mode = HOST_MMU_UNKNOWN;
	hi->tdp_mmu = read_yn(hi, "/sys/module/kvm/parameters/tdp_mmu");
	for (size_t i = 0; i < ARRAY_SIZE(mods); i++) {
		if (!exists_rel(hi, mods[i].dir))
			continue;
		hi->vendor_modules |= 1u << mods[i].vendor;
		if (hi->vendor != HOST_KVM_NONE)
			continue;
		hi->vendor = mods[i].vendor;
		if (!mods[i].param) {
			hi->mmu_mode = mods[i].tdp;
			continue;
		}
		snprintf(hi->mmu_param, sizeof(hi->mmu_param), "%s", mods[i].param);
		if (read_rel(hi, mods[i].param, hi->mmu_param_value, sizeof(hi->mmu_param_value)))
			hi->mmu_param_value[0] = '\0';
		yn = parse_yn(hi->mmu_param_value);
		if (yn == HOST_YES)
			hi->mmu_mode = mods[i].tdp;
		else if (yn == HOST_NO)
			hi->mmu_mode = HOST_MMU_SHADOW;
	}
}

static void probe_hugetlb(const struct host_info *hi, const char *dir, struct host_hugetlb *h)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "/sys/kernel/mm/hugepages/%s/nr_hugepages", dir);
	h->nr = read_count(hi, rel);
	snprintf(rel, sizeof(rel), "/sys/kernel/mm/hugepages/%s/free_hugepages", dir);
	h->free = read_count(hi, rel);
}

/* "always [madvise] never": the bracketed word is the active mode. */
static void probe_thp(struct host_info *hi)
{
	char buf[128];
	const char *lb, *rb;

	hi->thp[0] = '\0';
	if (read_rel(hi, "/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)))
		return;
	lb = strchr(buf, '[');
	rb = lb ? strchr(lb + 1, ']') : NULL;
	if (rb)
		copy_str(hi->thp, sizeof(hi->thp), lb + 1, (size_t)(rb - lb - 1));
}

/*
 * Touch one page and read its pagemap entry: bit 63 is "present", bits 0-54
 * the PFN, which the kernel reports as 0 to readers without CAP_SYS_ADMIN
 * (Documentation/admin-guide/mm/pagemap.rst).
 */
static int probe_pagemap_live(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	volatile char *page;
	uint64_t entry = 0;
	ssize_t n;
	int fd, ret = HOST_UNKNOWN;

	if (psz <= 0)
		return HOST_UNKNOWN;
	page = mmap(NULL, (size_t)psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return HOST_UNKNOWN;
	page[0] = 1;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = errno == EACCES || errno == EPERM ? HOST_NO : HOST_UNKNOWN;
		goto out_unmap;
	}
	n = pread(fd, &entry, sizeof(entry), (off_t)((uintptr_t)page / (uintptr_t)psz * 8));
	if (n == (ssize_t)sizeof(entry) && (entry >> 63))
		ret = (entry & ((1ULL << 55) - 1)) ? HOST_YES : HOST_NO;
	close(fd);
out_unmap:
	munmap((void *)page, (size_t)psz);
	return ret;
}

/*
 * A fake tree cannot hold a real pagemap (it is indexed by this process's
 * virtual addresses), so it states the outcome in proc/self/pagemap-pfn:
 * "1" when PFNs are visible, "0" when they read as zero, absent = unknown.
 */
static void probe_pagemap(struct host_info *hi)
{
	hi->pagemap_pfn = hi->live ? probe_pagemap_live() : read_yn(hi, "/proc/self/pagemap-pfn");
}

/*
 * The value of "key: value" or "key<tabs>: value" lines (/proc/self/status,
 * /proc/cpuinfo) up to the first blank line, which ends cpuinfo's first CPU.
 */
static bool text_field(const char *buf, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	const char *p = buf, *end;

	while (*p && *p != '\n') {
		end = strchrnul(p, '\n');
		if (!strncmp(p, key, klen) &&
		    (p[klen] == ' ' || p[klen] == '\t' || p[klen] == ':')) {
			const char *v = p + klen + strspn(p + klen, " \t");

			if (*v == ':') {
				v++;
				v += strspn(v, " \t");
				copy_str(out, len, v, (size_t)(end - v));
				return true;
			}
		}
		p = *end ? end + 1 : end;
	}
	return false;
}

static bool cap_has(uint64_t mask, int bit)
{
	return mask & (1ULL << bit);
}

/*
 * Loading and attaching tracing programs takes CAP_BPF and CAP_PERFMON, or
 * CAP_SYS_ADMIN, which implies both (capabilities(7)). Capabilities decide,
 * not the uid; the uid is the fallback when CapEff cannot be read.
 */
static void probe_bpf_perm(struct host_info *hi)
{
	char *buf = malloc(STATUS_MAX);
	char val[64], *end;
	unsigned long long v;

	hi->euid = -1;
	if (!buf)
		return;
	if (read_rel(hi, "/proc/self/status", buf, STATUS_MAX))
		goto out;
	/* Uid: real effective saved filesystem */
	if (text_field(buf, "Uid", val, sizeof(val))) {
		errno = 0;
		v = strtoull(val, &end, 10);
		if (!errno && end != val) {
			v = strtoull(end, &end, 10);
			if (!errno && v <= INT64_MAX)
				hi->euid = (int64_t)v;
		}
	}
	if (text_field(buf, "CapEff", val, sizeof(val))) {
		errno = 0;
		v = strtoull(val, &end, 16);
		if (!errno && end != val && *end == '\0') {
			hi->cap_eff = v;
			hi->cap_eff_known = true;
		}
	}
out:
	free(buf);
	if (hi->cap_eff_known) {
		bool admin = cap_has(hi->cap_eff, HOST_CAP_SYS_ADMIN);

		hi->bpf_permitted = (admin || cap_has(hi->cap_eff, HOST_CAP_BPF)) &&
				    (admin || cap_has(hi->cap_eff, HOST_CAP_PERFMON));
	} else {
		hi->bpf_permitted = hi->euid == 0;
	}
}

/* Whether the file @rel holds the bytes @needle (read in chunks; BTF files are MBs). */
static bool file_has(const struct host_info *hi, const char *rel, const char *needle)
{
	size_t nlen = strlen(needle), have = 0, n;
	char path[PATH_MAX], buf[65536];
	bool found = false;
	FILE *f;

	if (host_path(hi, rel, path, sizeof(path)) || !(f = fopen(path, "rb")))
		return false;
	while (!found && (n = fread(buf + have, 1, sizeof(buf) - have, f)) > 0) {
		have += n;
		found = memmem(buf, have, needle, nlen) != NULL;
		/* Keep the tail: the needle may straddle two reads. */
		if (have >= nlen) {
			memmove(buf, buf + have - (nlen - 1), nlen - 1);
			have = nlen - 1;
		}
	}
	fclose(f);
	return found;
}

/*
 * Where KVM's tracepoints are described: vmlinux's BTF when KVM is built in,
 * the kvm module's split BTF when it is a module (its string table names the
 * btf_trace_ typedef either way).
 */
static void probe_kvm_btf(struct host_info *hi)
{
	static const char needle[] = "btf_trace_kvm_mmu_pagetable_walk";

	hi->kvm_btf = HOST_UNKNOWN;
	if (!hi->btf)
		return;
	hi->kvm_btf = HOST_YES;
	if (file_has(hi, "/sys/kernel/btf/vmlinux", needle))
		snprintf(hi->kvm_btf_where, sizeof(hi->kvm_btf_where), "vmlinux");
	else if (file_has(hi, "/sys/kernel/btf/kvm", needle))
		snprintf(hi->kvm_btf_where, sizeof(hi->kvm_btf_where), "kvm");
	else
		hi->kvm_btf = HOST_NO;
}

static void probe_tracing(struct host_info *hi)
{
	static const char *const dirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	char rel[128];

	hi->kvmmmu_events = HOST_UNKNOWN;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(rel, sizeof(rel), "%s/events", dirs[i]);
		if (!exists_rel(hi, rel))
			continue;
		snprintf(hi->tracefs, sizeof(hi->tracefs), "%s", dirs[i]);
		snprintf(rel, sizeof(rel), "%s/events/kvmmmu", dirs[i]);
		hi->kvmmmu_events = exists_rel(hi, rel) ? HOST_YES : HOST_NO;
		break;
	}
	hi->btf = exists_rel(hi, "/sys/kernel/btf/vmlinux");
	probe_kvm_btf(hi);
	probe_bpf_perm(hi);
}

/* Whether the space-separated list @flags holds @word. */
static bool has_word(const char *flags, const char *word)
{
	size_t wlen = strlen(word);

	for (const char *p = flags; (p = strstr(p, word)); p += wlen) {
		if ((p == flags || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[wlen] == '\0' || p[wlen] == ' ' || p[wlen] == '\t'))
			return true;
	}
	return false;
}

/* "0-1,4-7" (sysfs cpu list) into a count; 0 when malformed. */
static unsigned count_cpu_list(const char *s)
{
	unsigned long total = 0, a, b;
	char *end;

	while (*s) {
		errno = 0;
		a = strtoul(s, &end, 10);
		if (end == s || errno)
			return 0;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s || errno || b < a)
				return 0;
		}
		total += b - a + 1;
		if (total > 1u << 20)
			return 0;
		if (*end == ',')
			end++;
		else if (*end)
			return 0;
		s = end;
	}
	return (unsigned)total;
}

static unsigned count_processors(const char *cpuinfo)
{
	unsigned n = 0;

	for (const char *p = cpuinfo; p && *p;) {
		if (!strncmp(p, "processor", 9) && (p[9] == ' ' || p[9] == '\t' || p[9] == ':'))
			n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

static void probe_cpu(struct host_info *hi)
{
	char *buf = malloc(CPUINFO_MAX), *flags = malloc(CPUINFO_MAX);
	char list[256];

	if (!read_rel(hi, "/sys/devices/system/cpu/online", list, sizeof(list)))
		hi->ncpus = count_cpu_list(list);
	if (!buf || !flags || read_rel(hi, "/proc/cpuinfo", buf, CPUINFO_MAX))
		goto out;
	text_field(buf, "vendor_id", hi->cpu_vendor, sizeof(hi->cpu_vendor));
	text_field(buf, "model name", hi->cpu_model, sizeof(hi->cpu_model));
	if (text_field(buf, "flags", flags, CPUINFO_MAX)) {
		hi->cpu_vmx = has_word(flags, "vmx");
		hi->cpu_svm = has_word(flags, "svm");
	}
	if (!hi->ncpus)
		hi->ncpus = count_processors(buf);
out:
	free(flags);
	free(buf);
}

static void probe_gnuplot(struct host_info *hi)
{
	char line[128];
	const char *v = line;
	bool got;
	FILE *p;

	p = popen("exec gnuplot --version </dev/null 2>/dev/null", "r");
	if (!p) {
		snprintf(hi->gnuplot, sizeof(hi->gnuplot), "unknown");
		return;
	}
	got = fgets(line, sizeof(line), p) != NULL;
	while (fgetc(p) != EOF)
		;
	if (pclose(p) != 0 || !got) {
		snprintf(hi->gnuplot, sizeof(hi->gnuplot), "not installed");
		return;
	}
	line[strcspn(line, "\r\n")] = '\0';
	if (!strncmp(v, "gnuplot ", 8))
		v += 8;
	copy_str(hi->gnuplot, sizeof(hi->gnuplot), v, strlen(v));
}

static void probe_software(struct host_info *hi)
{
	struct utsname u;
	int major = 0, minor = 0;

	cs_version(&major, &minor);
	snprintf(hi->capstone, sizeof(hi->capstone), "%d.%d", major, minor);
	if (hi->live) {
		if (uname(&u) == 0)
			snprintf(hi->kernel, sizeof(hi->kernel), "%s", u.release);
	} else if (read_rel(hi, "/proc/sys/kernel/osrelease", hi->kernel, sizeof(hi->kernel))) {
		hi->kernel[0] = '\0';
	}
}

void host_info_probe_tools(struct host_info *hi)
{
	if (hi->live)
		probe_gnuplot(hi);
}

/* @root into hi->root, checked: "/" for the live host. */
static int probe_root(struct host_info *hi, const char *root)
{
	size_t n;
	struct stat st;

	memset(hi, 0, sizeof(*hi));
	if (!root || !*root)
		root = "/";
	n = strlen(root);
	if (n >= sizeof(hi->root))
		return -ENAMETOOLONG;
	memcpy(hi->root, root, n + 1);
	while (n > 1 && hi->root[n - 1] == '/')
		hi->root[--n] = '\0';
	hi->live = !strcmp(hi->root, "/");
	if (stat(hi->root, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return 0;
}

int host_info_probe_brief(struct host_info *hi, const char *root)
{
	struct stat st;
	char path[PATH_MAX];
	int err = probe_root(hi, root);

	if (err)
		return err;
	/* /dev/kvm by stat alone: no open, so nothing is loaded or locked */
	hi->kvm_api_version = -1;
	if (!host_path(hi, "/dev/kvm", path, sizeof(path)) && stat(path, &st) == 0) {
		hi->kvm_present = true;
		hi->kvm_chardev = S_ISCHR(st.st_mode);
	}
	probe_kvm_modules(hi);
	probe_thp(hi);
	probe_cpu(hi);
	probe_software(hi);
	return 0;
}

int host_info_probe(struct host_info *hi, const char *root)
{
	int err = probe_root(hi, root);

	if (err)
		return err;
	probe_kvm_dev(hi);
	probe_kvm_modules(hi);
	probe_thp(hi);
	probe_hugetlb(hi, "hugepages-2048kB", &hi->huge_2m);
	probe_hugetlb(hi, "hugepages-1048576kB", &hi->huge_1g);
	probe_pagemap(hi);
	probe_tracing(hi);
	probe_cpu(hi);
	probe_software(hi);
	return 0;
}

/* JSON output */

static void json_str_or_null(struct json *j, const char *key, const char *s)
{
	if (s && *s)
		json_str(j, key, s);
	else
		json_null(j, key);
}

static void json_tri(struct json *j, const char *key, int v)
{
	if (v == HOST_UNKNOWN)
		json_null(j, key);
	else
		json_bool(j, key, v == HOST_YES);
}

static void json_count(struct json *j, const char *key, int64_t v)
{
	if (v < 0)
		json_null(j, key);
	else
		json_i64(j, key, v);
}

static void json_hugetlb(struct json *j, const char *key, const struct host_hugetlb *h)
{
	json_obj_begin(j, key);
	json_count(j, "nr", h->nr);
	json_count(j, "free", h->free);
	json_obj_end(j);
}

void host_summary_json(const struct host_info *hi, struct json *j)
{
	json_str_or_null(j, "kernel", hi->kernel);
	json_str_or_null(j, "cpu_model", hi->cpu_model);
	json_bool(j, "kvm_present", hi->kvm_present);
	if (hi->mmu_mode == HOST_MMU_UNKNOWN)
		json_null(j, "kvm_mmu_mode");
	else
		json_str(j, "kvm_mmu_mode", host_mmu_mode_name(hi->mmu_mode));
	json_str_or_null(j, "thp", hi->thp);
}

void host_info_json(const struct host_info *hi, struct json *j)
{
	char hint[128];

	json_str(j, "root", hi->root);

	json_obj_begin(j, "kvm");
	json_bool(j, "present", hi->kvm_present);
	json_bool(j, "chardev", hi->kvm_chardev);
	json_bool(j, "openable", hi->kvm_openable);
	json_bool(j, "usable", hi->kvm_usable);
	json_count(j, "api_version", hi->kvm_api_version);
	json_str_or_null(j, "error", hi->kvm_error);
	json_str_or_null(j, "vendor_module",
			 hi->vendor == HOST_KVM_NONE ? NULL : host_kvm_vendor_name(hi->vendor));
	json_arr_begin(j, "modules");
	for (int v = HOST_KVM_INTEL; v <= HOST_KVM_PVM; v++) {
		if (hi->vendor_modules & (1u << v))
			json_str(j, NULL, host_kvm_vendor_name((enum host_kvm_vendor)v));
	}
	json_arr_end(j);
	json_str(j, "mmu_mode", host_mmu_mode_name(hi->mmu_mode));
	json_str_or_null(j, "mmu_param", hi->mmu_param);
	json_str_or_null(j, "mmu_param_value", hi->mmu_param_value);
	json_str_or_null(j, "mmu_switch", host_mmu_switch_hint(hi, hint, sizeof(hint)));
	json_tri(j, "tdp_mmu", hi->tdp_mmu);
	json_obj_end(j);

	json_obj_begin(j, "memory");
	json_str_or_null(j, "thp", hi->thp);
	json_hugetlb(j, "hugetlb_2m", &hi->huge_2m);
	json_hugetlb(j, "hugetlb_1g", &hi->huge_1g);
	json_tri(j, "pagemap_pfn", hi->pagemap_pfn);
	json_obj_end(j);

	json_obj_begin(j, "tracing");
	json_str_or_null(j, "tracefs", hi->tracefs);
	json_tri(j, "kvmmmu_events", hi->kvmmmu_events);
	json_bool(j, "btf", hi->btf);
	json_tri(j, "kvm_btf", hi->kvm_btf);
	json_str_or_null(j, "kvm_btf_in", hi->kvm_btf_where);
	json_count(j, "euid", hi->euid);
	if (hi->cap_eff_known)
		json_hex(j, "cap_eff", hi->cap_eff);
	else
		json_null(j, "cap_eff");
	json_bool(j, "bpf_permitted", hi->bpf_permitted);
	json_obj_end(j);

	json_obj_begin(j, "cpu");
	json_str_or_null(j, "vendor", hi->cpu_vendor);
	json_str_or_null(j, "model", hi->cpu_model);
	json_bool(j, "vmx", hi->cpu_vmx);
	json_bool(j, "svm", hi->cpu_svm);
	json_count(j, "count", hi->ncpus ? (int64_t)hi->ncpus : -1);
	json_obj_end(j);

	json_obj_begin(j, "software");
	json_str_or_null(j, "kernel", hi->kernel);
	json_str_or_null(j, "capstone", hi->capstone);
	json_str_or_null(j, "gnuplot", hi->gnuplot);
	json_obj_end(j);
}

/* Human output */

/* One "  label   value" row; a long value wraps at spaces under its column. */
__attribute__((format(printf, 3, 4))) static void row(FILE *f, const char *label, const char *fmt,
						      ...)
{
	const size_t indent = 2 + PRINT_LABEL_W, width = PRINT_WIDTH - indent;
	char val[512];
	const char *p = val;
	size_t n, cut;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	fprintf(f, "  %-*s", PRINT_LABEL_W, label);
	for (;;) {
		n = strlen(p);
		if (n <= width) {
			fprintf(f, "%s\n", p);
			return;
		}
		for (cut = width; cut > 0 && p[cut] != ' '; cut--)
			;
		if (cut == 0)
			cut = width;
		fprintf(f, "%.*s\n%*s", (int)cut, p, (int)indent, "");
		p += cut;
		p += strspn(p, " ");
	}
}

static const char *or_unknown(const char *s)
{
	return *s ? s : "unknown";
}

static const char *tri_name(int v, const char *yes, const char *no)
{
	return v == HOST_YES ? yes : v == HOST_NO ? no : "unknown";
}

static void print_kvm(const struct host_info *hi, FILE *f)
{
	char hint[128], others[64] = "";

	fprintf(f, "KVM\n");
	if (!hi->live)
		row(f, "root", "%s (a fake tree)", hi->root);
	if (hi->kvm_usable && hi->kvm_api_version >= 0)
		row(f, "/dev/kvm", "usable, API version %d", hi->kvm_api_version);
	else if (hi->kvm_usable)
		row(f, "/dev/kvm", "present (a regular file: API version unknown)");
	else
		row(f, "/dev/kvm", "%s", hi->kvm_error);

	for (int v = HOST_KVM_INTEL; v <= HOST_KVM_PVM; v++) {
		size_t len = strlen(others);

		if (v != (int)hi->vendor && (hi->vendor_modules & (1u << v)))
			snprintf(others + len, sizeof(others) - len, "%s%s", len ? ", " : "",
				 host_kvm_vendor_name((enum host_kvm_vendor)v));
	}
	if (*others)
		row(f, "vendor module", "%s (also present: %s)", host_kvm_vendor_name(hi->vendor),
		    others);
	else
		row(f, "vendor module", "%s", host_kvm_vendor_name(hi->vendor));

	if (hi->vendor == HOST_KVM_PVM)
		row(f, "MMU mode", "%s (PVM has shadow paging only)",
		    host_mmu_mode_name(hi->mmu_mode));
	else if (*hi->mmu_param)
		row(f, "MMU mode", "%s (%s = %s)", host_mmu_mode_name(hi->mmu_mode), hi->mmu_param,
		    *hi->mmu_param_value ? hi->mmu_param_value : "absent");
	else
		row(f, "MMU mode", "%s (no KVM vendor module)", host_mmu_mode_name(hi->mmu_mode));
	if (host_mmu_switch_hint(hi, hint, sizeof(hint)))
		row(f, "switch with", "%s", hint);
	row(f, "kvm.tdp_mmu", "%s", tri_name(hi->tdp_mmu, "Y", "N"));
}

static void print_hugetlb(FILE *f, const char *label, const struct host_hugetlb *h)
{
	if (h->nr < 0)
		row(f, label, "not offered by this kernel");
	else if (h->free < 0)
		row(f, label, "%lld reserved", (long long)h->nr);
	else
		row(f, label, "%lld reserved, %lld free", (long long)h->nr, (long long)h->free);
}

static void print_memory(const struct host_info *hi, FILE *f)
{
	fprintf(f, "Memory\n");
	row(f, "THP", "%s", or_unknown(hi->thp));
	print_hugetlb(f, "hugetlb 2M", &hi->huge_2m);
	print_hugetlb(f, "hugetlb 1G", &hi->huge_1g);
	row(f, "pagemap PFNs", "%s",
	    tri_name(hi->pagemap_pfn, "visible", "hidden (needs CAP_SYS_ADMIN)"));
}

static void print_tracing(const struct host_info *hi, FILE *f)
{
	fprintf(f, "Tracing\n");
	if (*hi->tracefs)
		row(f, "tracefs", "%s", hi->tracefs);
	else
		row(f, "tracefs", "not mounted: mount -t tracefs nodev /sys/kernel/tracing");
	if (hi->kvmmmu_events == HOST_UNKNOWN)
		row(f, "kvmmmu events", "unknown (no tracefs)");
	else
		row(f, "kvmmmu events", "%s",
		    tri_name(hi->kvmmmu_events, "present", "absent: load the kvm module"));
	row(f, "BTF", "%s",
	    hi->btf ? "/sys/kernel/btf/vmlinux"
		    : "absent: the kernel needs CONFIG_DEBUG_INFO_BTF for CO-RE probes");
	if (hi->kvm_btf == HOST_YES)
		row(f, "KVM BTF", "%s",
		    !strcmp(hi->kvm_btf_where, "vmlinux")
			    ? "in vmlinux (KVM built in)"
			    : "in /sys/kernel/btf/kvm (KVM is a module)");
	else if (hi->kvm_btf == HOST_NO)
		row(f, "KVM BTF",
		    "absent: load the kvm module (its tracepoints are described "
		    "in /sys/kernel/btf/kvm)");
	if (!hi->bpf_permitted)
		row(f, "BPF", "not permitted: run as root or grant CAP_BPF and CAP_PERFMON");
	else if (hi->cap_eff_known && cap_has(hi->cap_eff, HOST_CAP_SYS_ADMIN))
		row(f, "BPF", "permitted (CAP_SYS_ADMIN, euid %lld)", (long long)hi->euid);
	else if (hi->cap_eff_known)
		row(f, "BPF", "permitted (CAP_BPF and CAP_PERFMON, euid %lld)",
		    (long long)hi->euid);
	else
		row(f, "BPF", "permitted (euid 0)");
}

static void print_cpu(const struct host_info *hi, FILE *f)
{
	fprintf(f, "CPU\n");
	row(f, "vendor", "%s", or_unknown(hi->cpu_vendor));
	row(f, "model", "%s", or_unknown(hi->cpu_model));
	if (hi->cpu_vmx || hi->cpu_svm)
		row(f, "virtualization", "%s%s%s", hi->cpu_vmx ? "vmx" : "",
		    hi->cpu_vmx && hi->cpu_svm ? " " : "", hi->cpu_svm ? "svm" : "");
	else
		row(f, "virtualization", "no vmx or svm flag");
	if (hi->ncpus)
		row(f, "CPUs", "%u online", hi->ncpus);
	else
		row(f, "CPUs", "unknown");
}

void host_info_print(const struct host_info *hi, FILE *f)
{
	print_kvm(hi, f);
	print_memory(hi, f);
	print_tracing(hi, f);
	print_cpu(hi, f);
	fprintf(f, "Software\n");
	row(f, "kernel", "%s", or_unknown(hi->kernel));
	row(f, "capstone", "%s", or_unknown(hi->capstone));
	row(f, "gnuplot", "%s", hi->live ? or_unknown(hi->gnuplot) : "not checked (fake tree)");
}
