// SPDX-License-Identifier: GPL-2.0
/*
 * --reload-kvm: kvm_intel's "ept" and kvm_amd's "npt" are read when the
 * module loads, so switching between shadow paging and EPT/NPT means
 * unloading the vendor module and loading it again with the parameter. Only
 * as root, only when no other VM exists, never for PVM (shadow only).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/host.h"

void kvm_reload_tools_default(struct kvm_reload_tools *t)
{
	const char *mp = getenv("MEMVIRT_MODPROBE"), *rm = getenv("MEMVIRT_RMMOD");

	t->modprobe = mp && *mp ? mp : "/sbin/modprobe";
	t->rmmod = rm && *rm ? rm : "/sbin/rmmod";
}

/* root + rel; the live root adds no prefix. */
static int root_path(const struct host_info *hi, const char *rel, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", hi->live ? "" : hi->root, rel);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Run @argv (argv[0] is the tool's path); 0 when it exits 0, else -EIO. */
static int run_tool(char *const argv[], char *err, size_t errlen)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		execv(argv[0], argv);
		fprintf(stderr, "memvirt: error: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(err, errlen, "waiting for %s: %s", argv[0], strerror(errno));
			return -errno;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(err, errlen, "'%s %s%s%s' failed (%s %d)", argv[0], argv[1], argv[2] ? " " : "",
		 argv[2] ? argv[2] : "", WIFEXITED(status) ? "exit status" : "signal",
		 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return -EIO;
}

static long effective_uid(const struct host_info *hi)
{
	const char *fake = getenv("MEMVIRT_FAKE_EUID");

	if (hi->live)
		return (long)geteuid();
	/* A fake tree: its proc/self/status, unless the test says otherwise. */
	if (fake && *fake)
		return strtol(fake, NULL, 10);
	return (long)hi->euid;
}

/* After modprobe, /dev/kvm comes back once the vendor module has registered it. */
static void wait_for_dev_kvm(const struct host_info *hi)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	char path[PATH_MAX];
	struct stat st;

	if (root_path(hi, "/dev/kvm", path, sizeof(path)))
		return;
	for (int i = 0; i < 100 && stat(path, &st) != 0; i++)
		nanosleep(&ts, NULL);
}

/* The checks that come before touching any module: vendor, mode, tools, uid, other VMs. */
static int reload_allowed(const struct host_info *hi, const struct kvm_reload_tools *t, bool tdp,
			  char *err, size_t errlen)
{
	pid_t other = 0;
	int n;

	if (hi->vendor == HOST_KVM_PVM) {
		snprintf(err, errlen,
			 "--reload-kvm: this host's KVM module kvm_pvm has shadow paging only and "
			 "cannot switch to %s: use --paging shadow or auto, or 'memvirt sim "
			 "--paging nested'",
			 tdp ? "EPT/NPT" : "shadow paging");
		return -ENOTSUP;
	}
	if (hi->vendor != HOST_KVM_INTEL && hi->vendor != HOST_KVM_AMD) {
		snprintf(err, errlen,
			 "--reload-kvm: no kvm_intel or kvm_amd module is loaded, so there is "
			 "nothing to reload: load one first");
		return -ENODEV;
	}
	if (!hi->live &&
	    (!strcmp(t->modprobe, "/sbin/modprobe") || !strcmp(t->rmmod, "/sbin/rmmod"))) {
		snprintf(err, errlen,
			 "--reload-kvm on the fake host tree %s would run the real module tools: "
			 "set MEMVIRT_MODPROBE and MEMVIRT_RMMOD to stand-ins",
			 hi->root);
		return -EINVAL;
	}
	if (effective_uid(hi) != 0) {
		snprintf(err, errlen,
			 "--reload-kvm: reloading %s needs root (euid %ld): run memvirt as root",
			 host_kvm_vendor_name(hi->vendor), effective_uid(hi));
		return -EPERM;
	}
	n = kvm_vm_holders(hi, getpid(), &other);
	if (n < 0) {
		snprintf(err, errlen, "--reload-kvm: cannot list processes under %s/proc: %s",
			 hi->live ? "" : hi->root, strerror(-n));
		return n;
	}
	if (n > 0) {
		snprintf(err, errlen,
			 "--reload-kvm: another VM is running (pid %ld holds a KVM VM%s): stop it "
			 "first, a module reload would pull KVM from under it",
			 (long)other, n > 1 ? ", and others" : "");
		return -EBUSY;
	}
	return 0;
}

int kvm_reload_mmu(struct host_info *hi, const struct kvm_reload_tools *t, bool tdp,
		   struct kvm_reload *r, char *err, size_t errlen)
{
	bool intel = hi->vendor == HOST_KVM_INTEL;
	enum host_mmu_mode want = tdp ? (intel ? HOST_MMU_EPT : HOST_MMU_NPT) : HOST_MMU_SHADOW;
	char module[16], param[16], restore[16], root[PATH_MAX];
	int ret;

	memset(r, 0, sizeof(*r));
	r->from = r->to = hi->mmu_mode;
	ret = reload_allowed(hi, t, tdp, err, errlen);
	if (ret)
		return ret;
	if (hi->mmu_mode == want)
		return 0;
	snprintf(module, sizeof(module), "%s", host_kvm_vendor_name(hi->vendor));
	snprintf(param, sizeof(param), "%s=%d", intel ? "ept" : "npt", tdp);
	snprintf(restore, sizeof(restore), "%s=%d", intel ? "ept" : "npt", !tdp);
	snprintf(r->module, sizeof(r->module), "%s", module);
	snprintf(r->param, sizeof(r->param), "%s", param);

	ret = run_tool((char *const[]){(char *)t->rmmod, module, NULL}, err, errlen);
	if (ret)
		return ret;
	ret = run_tool((char *const[]){(char *)t->modprobe, module, param, NULL}, err, errlen);
	if (ret) {
		char ignored[128];

		/* Put the module back as it was, so the host keeps a working KVM. */
		run_tool((char *const[]){(char *)t->modprobe, module, restore, NULL}, ignored,
			 sizeof(ignored));
		return ret;
	}
	wait_for_dev_kvm(hi);
	snprintf(root, sizeof(root), "%s", hi->root);
	ret = host_info_probe(hi, root);
	if (ret || hi->mmu_mode != want) {
		snprintf(err, errlen,
			 "--reload-kvm: after '%s %s %s' the host reports %s paging, not %s",
			 t->modprobe, module, param, host_mmu_mode_name(hi->mmu_mode),
			 host_mmu_mode_name(want));
		return -EIO;
	}
	r->reloaded = true;
	r->to = want;
	return 0;
}
