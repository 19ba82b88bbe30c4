/* SPDX-License-Identifier: GPL-2.0 */
/* What the host offers memvirt: KVM and its MMU mode, huge pages, tracing, CPU, tools. */
#ifndef MEMVIRT_HOST_H
#define MEMVIRT_HOST_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct json;

/* How KVM maps guest memory on this host. */
enum host_mmu_mode {
	HOST_MMU_UNKNOWN,
	HOST_MMU_SHADOW, /* KVM's shadow page tables, kept in step with the guest's */
	HOST_MMU_EPT,	 /* Intel extended page tables: 2D walks in hardware */
	HOST_MMU_NPT,	 /* AMD nested page tables: 2D walks in hardware */
};

/* The KVM vendor module that backs /dev/kvm. */
enum host_kvm_vendor {
	HOST_KVM_NONE,
	HOST_KVM_INTEL, /* kvm_intel (VMX) */
	HOST_KVM_AMD,	/* kvm_amd (SVM) */
	HOST_KVM_PVM,	/* kvm_pvm: no VMX/SVM needed, shadow paging only */
};

/* Tri-state fields (int) hold one of these. */
#define HOST_UNKNOWN (-1)
#define HOST_NO	     0
#define HOST_YES     1

#define HOST_STR_MAX 128

/* One hugetlb pool; -1 when the kernel does not offer that size. */
struct host_hugetlb {
	int64_t nr;   /* nr_hugepages: pages reserved */
	int64_t free; /* free_hugepages */
};

struct host_info {
	char root[PATH_MAX]; /* "/" for the live host, else a directory holding a fake tree */
	bool live;	     /* root is "/": ioctls, pagemap and tool versions are real */

	/* KVM */
	bool kvm_present;	 /* root/dev/kvm exists */
	bool kvm_chardev;	 /* it is a character device (a fake tree has a file) */
	bool kvm_openable;	 /* opened (O_RDWR; read-only for a fake tree file) */
	bool kvm_usable;	 /* openable, and the API version is the expected one or unknown */
	int kvm_api_version;	 /* KVM_GET_API_VERSION, -1 when not asked or failed */
	int kvm_errno;		 /* why /dev/kvm is not usable; 0 when it is */
	char kvm_error[192];	 /* the same as a sentence with what to do; "" when usable */
	unsigned vendor_modules; /* bit (1 << enum host_kvm_vendor) per module found */
	enum host_kvm_vendor vendor; /* the one that decides the MMU mode */
	enum host_mmu_mode mmu_mode;
	char mmu_param[96];	  /* "/sys/module/kvm_intel/parameters/ept", "" if none */
	char mmu_param_value[16]; /* its content, "" if absent */
	int tdp_mmu;		  /* kvm.tdp_mmu: HOST_YES/NO/UNKNOWN */

	/* Memory */
	char thp[16]; /* transparent_hugepage/enabled: "always", "madvise", "never"; "" unknown */
	struct host_hugetlb huge_2m, huge_1g;
	int pagemap_pfn; /* /proc/self/pagemap shows PFNs: HOST_YES/NO/UNKNOWN */

	/* Tracing */
	char tracefs[64];  /* "/sys/kernel/tracing" or "/sys/kernel/debug/tracing"; "" absent */
	int kvmmmu_events; /* HOST_UNKNOWN when there is no tracefs */
	bool btf;	   /* /sys/kernel/btf/vmlinux */
	/*
	 * KVM's tracepoint types (btf_trace_kvm_*) in BTF, which the tracer needs:
	 * HOST_YES, HOST_NO, HOST_UNKNOWN without BTF; where: "vmlinux" (KVM built
	 * in) or "kvm" (module BTF, /sys/kernel/btf/kvm), "" when absent.
	 */
	int kvm_btf;
	char kvm_btf_where[16];
	int64_t euid; /* effective uid from /proc/self/status, -1 unknown */
	bool cap_eff_known;
	uint64_t cap_eff;   /* CapEff mask from /proc/self/status */
	bool bpf_permitted; /* may load and attach tracing BPF programs */

	/* CPU */
	char cpu_vendor[32];
	char cpu_model[HOST_STR_MAX];
	bool cpu_vmx, cpu_svm;
	unsigned ncpus; /* online CPUs, 0 unknown */

	/* Software */
	char kernel[HOST_STR_MAX];
	char capstone[16];
	char gnuplot[64]; /* "5.4 patchlevel 4", "not installed", "" when not checked */
};

/* Linux capability bits in CapEff. */
#define HOST_CAP_SYS_ADMIN 21
#define HOST_CAP_PERFMON   38
#define HOST_CAP_BPF	   39

/*
 * Fill @hi from the tree under @root: "/" for the live host, or a directory
 * with the same layout (root/sys/..., root/proc/..., root/dev/kvm). A missing
 * file means absent or unknown. Returns 0, or -ENOENT / -ENOTDIR when @root is
 * not a directory, -ENAMETOOLONG when it is too long.
 */
int host_info_probe(struct host_info *hi, const char *root);

/*
 * The part of host_info_probe a document's provenance needs, cheap enough for every file
 * written: kernel release, CPU, whether /dev/kvm exists (a stat, not an open), the KVM
 * vendor module and MMU mode from sysfs, the THP setting. No BTF, tracefs, pagemap or
 * ioctl; it loads nothing. The other fields stay as host_info_probe leaves them unprobed.
 */
int host_info_probe_brief(struct host_info *hi, const char *root);

/*
 * What host_info_probe_brief found, as members of the open JSON object: kernel, cpu_model,
 * kvm_present, kvm_mmu_mode (null when unknown), thp (null when unknown).
 */
void host_summary_json(const struct host_info *hi, struct json *j);

/*
 * The versions of external tools (gnuplot), which cost a process start
 * each: only on the live host, and only for callers that show them.
 */
void host_info_probe_tools(struct host_info *hi);

/* Write the fields into the currently open JSON object (the caller names it). */
void host_info_json(const struct host_info *hi, struct json *j);

/* Human-readable, two aligned columns, lines of at most 80 characters. */
void host_info_print(const struct host_info *hi, FILE *f);

/* "shadow", "ept", "npt", "unknown". */
const char *host_mmu_mode_name(enum host_mmu_mode mode);
/* "kvm_intel", "kvm_amd", "kvm_pvm", "none". */
const char *host_kvm_vendor_name(enum host_kvm_vendor vendor);
/*
 * The command that switches the MMU mode on this host, into @buf; returns
 * @buf, or NULL when the mode cannot be switched (PVM, no KVM).
 */
const char *host_mmu_switch_hint(const struct host_info *hi, char *buf, size_t len);

/*
 * Does process @pid hold a KVM VM: a link to "anon_inode:kvm-vm" in
 * root/proc/PID/fd (@root "/", "" or NULL: the live host). 1 yes, 0 no,
 * -ENOENT when there is no such process, -errno (-EACCES, -ENOTDIR) when its
 * fd directory cannot be read.
 */
int host_pid_has_kvm_vm(const char *root, pid_t pid);

/* The process (thread group) @pid belongs to, from /proc/PID/status; @pid if unknown. */
pid_t host_pid_tgid(pid_t pid);
/*
 * Fork @argv held on a pipe: it execs only once host_release_held(*release_fd)
 * is called, so probes can be attached first; closing the pipe instead makes
 * it exit 127. An exec failure is one line naming @who. Returns the pid or -1
 * with errno set.
 */
pid_t host_spawn_held(char **argv, const char *who, int *release_fd);
/* Let a held command run; closes @release_fd. 0 or -errno. */
int host_release_held(int release_fd);

#define HOST_WAIT_MAX_PIDS 64
/*
 * Wait until every process of @pids (at most HOST_WAIT_MAX_PIDS) has ended,
 * @deadline_ns (now_ns(); 0: none) has passed, or *@stop holds a signal
 * number. Bounded by time and the processes' exit, never by a count. Then
 * @child (> 0: one of @pids that we forked) is sent *@stop, or SIGTERM when
 * it still runs, and reaped into *@child_status.
 */
void host_wait_pids(const pid_t *pids, unsigned n, pid_t child, uint64_t deadline_ns,
		    volatile sig_atomic_t *stop, int *child_status);
/*
 * Processes other than @self holding a KVM VM under hi->root; a process
 * whose fd directory cannot be read counts as not holding one. Returns their
 * number (the first in *pid) or -errno when /proc cannot be read.
 */
int kvm_vm_holders(const struct host_info *hi, pid_t self, pid_t *pid);

/* Switching the host KVM between shadow paging and EPT/NPT by reloading its vendor module. */

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
