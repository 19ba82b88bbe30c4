/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lab: real KVM in both MMU modes on any x86-64 Linux machine. A stock
 * distribution kernel boots under QEMU (host KVM with nested virtualization, or
 * TCG) on a CPU model with SVM/NPT or VMX/EPT, loads KVM with nested paging on
 * (tdp) or off (shadow), and runs one command in the host's root, shared
 * read-only under a tmpfs overlay, with one output folder shared read-write.
 */
#ifndef MEMVIRT_LAB_H
#define MEMVIRT_LAB_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lab_paging { LAB_SHADOW, LAB_TDP };
enum lab_accel { LAB_ACCEL_AUTO, LAB_ACCEL_KVM, LAB_ACCEL_TCG };
enum lab_thp { LAB_THP_KERNEL, LAB_THP_ALWAYS, LAB_THP_MADVISE, LAB_THP_NEVER };

/* What went wrong, so the caller can choose the exit status. */
enum lab_fail {
	LAB_OK,
	LAB_FAIL_HOST,	  /* QEMU, kernel, memory or a file on the host */
	LAB_FAIL_BOOT,	  /* the lab kernel or its init failed before the command */
	LAB_FAIL_TIMEOUT, /* the command ran past the timeout and was killed */
	LAB_FAIL_SIGNAL,  /* SIGINT or SIGTERM: the lab was stopped */
};

/* A kernel for the lab: a bzImage and its modules folder (lib/modules/VERSION). */
struct lab_kernel {
	char version[128];
	char image[PATH_MAX];
	char modules[PATH_MAX];
};

struct lab_config {
	enum lab_accel accel;
	enum lab_thp thp;
	uint64_t mem_bytes;
	unsigned int cpus;
	unsigned int timeout_s; /* the whole boot and command */
	bool shell;		/* interactive shell on the terminal instead of a command */
	bool discard_stdout;	/* the command's stdout is not copied to ours */
	const char *qemu;	/* qemu-system-x86_64 or a path */
	/* The command, resolved by the caller (argv[0] an absolute path or a PATH name). */
	char *const *argv;
	int argc;
	const char *version; /* memvirt's, for lab.json */
};

/* What the host chose for one boot; printed and recorded. */
struct lab_machine {
	enum lab_accel accel; /* KVM or TCG, never AUTO */
	char accel_why[160];
	char cpu_model[16];
	char qemu[PATH_MAX];
	char qemu_version[64];
};

struct lab_result {
	enum lab_fail fail;
	int status;    /* the command's exit status when fail == LAB_OK */
	double boot_s; /* QEMU start to the command's start */
	double wall_s; /* QEMU start to its exit */
	char kvm[64];  /* "kvm_amd npt=1", as loaded inside */
	char err[512]; /* one line when fail != LAB_OK */
};

/* The lab's cache folder (kernels): $MEMVIRT_LAB_CACHE, /var/cache/memvirt/lab, ~/.cache/... */
const char *lab_cache_dir(char *buf, size_t len);

/*
 * The kernel to boot: @image and @modules when given (--kernel, --modules), else
 * the cache's 'current'. Returns 0, or -errno with one line in @err that names
 * the fix.
 */
int lab_kernel_find(const char *image, const char *modules, struct lab_kernel *k, char *err,
		    size_t len);

/* Choose KVM or TCG and the CPU model; find QEMU. 0 or -errno with @err. */
int lab_machine_probe(const struct lab_config *cfg, struct lab_machine *m, char *err, size_t len);

/*
 * Boot the lab once in @paging mode and run the command with its working
 * directory and output in @out_dir (created; shared read-write). The command's
 * stdout and stderr are copied to ours as they come. Returns 0 when the lab
 * ran (see res->fail and res->status), -errno when it could not start.
 */
int lab_run(const struct lab_config *cfg, const struct lab_machine *m, const struct lab_kernel *k,
	    enum lab_paging paging, const char *out_dir, struct lab_result *res);

const char *lab_paging_name(enum lab_paging p);
const char *lab_accel_name(enum lab_accel a);
/* "always", "madvise", "never", or NULL for the lab kernel's own default. */
const char *lab_thp_name(enum lab_thp t);

/*
 * Inside the lab, the lab's identity comes from the environment the lab gives
 * its command (MEMVIRT_LAB_*). lab_inside() is false outside; @id may be NULL.
 */
struct lab_identity {
	const char *kernel, *qemu, *accel, *cpu_model, *paging;
	bool times_emulated; /* TCG: times and cycles are an emulated CPU's */
};
bool lab_inside(struct lab_identity *id);
struct json;
/* "@key": {kernel, qemu, accel, cpu_model, paging, times_emulated}, nothing outside the lab. */
void lab_identity_json(struct json *j, const char *key);

/* One line naming the lab and whether its times are emulated; false outside the lab. */
bool lab_describe(char *buf, size_t len);

/* Build the initramfs for @k (busybox, the modules for 9p and overlay, the init) at @path. */
int lab_initramfs_build(const struct lab_kernel *k, const char *path, char *err, size_t len);

#endif
