// SPDX-License-Identifier: GPL-2.0
/* The lab's machine: QEMU found and its version read, KVM or TCG chosen, the CPU model. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "lab/lab_internal.h"

const char *lab_paging_name(enum lab_paging p)
{
	return p == LAB_TDP ? "tdp" : "shadow";
}

/* "always", "madvise", "never", or NULL for the kernel's own default. */
const char *lab_thp_name(enum lab_thp t)
{
	return t == LAB_THP_ALWAYS    ? "always"
	       : t == LAB_THP_MADVISE ? "madvise"
	       : t == LAB_THP_NEVER   ? "never"
				      : NULL;
}

const char *lab_accel_name(enum lab_accel a)
{
	return a == LAB_ACCEL_KVM ? "kvm" : a == LAB_ACCEL_TCG ? "tcg" : "auto";
}

/* @name through $PATH, or itself when it has a '/'. */
static int find_exec(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX];

	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return access(out, X_OK) ? -errno : 0;
	}
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)n, p);
		p += n + (p[n] == ':');
		if (snprintf(out, len, "%s/%s", *dir ? dir : ".", name) >= (int)len)
			continue;
		if (!access(out, X_OK))
			return 0;
	}
	return -ENOENT;
}

/* The first line QEMU prints for --version: "QEMU emulator version 7.2.22 (...)". */
static int qemu_version(const char *qemu, char *out, size_t len)
{
	char line[256] = "";
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		dup2(pfd[1], STDOUT_FILENO);
		execl(qemu, qemu, "--version", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	n = read(pfd[0], line, sizeof(line) - 1);
	close(pfd[0]);
	waitpid(pid, &status, 0);
	if (n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -ENOEXEC;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (!strncmp(line, "QEMU emulator version ", 22))
		memmove(line, line + 22, strlen(line + 22) + 1);
	/* A version longer than @out is cut to fit. */
	n = (ssize_t)strnlen(line, len ? len - 1 : 0);
	if (len) {
		memcpy(out, line, (size_t)n);
		out[n] = '\0';
	}
	return 0;
}

/* Host KVM that can run the lab's own KVM: /dev/kvm usable and nested on. */
static bool host_nested(char *why, size_t len)
{
	static const char *const params[] = {"/sys/module/kvm_amd/parameters/nested",
					     "/sys/module/kvm_intel/parameters/nested"};
	char val[16];
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "/dev/kvm: %s", strerror(errno));
		return false;
	}
	close(fd);
	for (size_t i = 0; i < ARRAY_SIZE(params); i++) {
		if (read_text_file(params[i], val, sizeof(val)))
			continue;
		if (val[0] == '1' || val[0] == 'Y') {
			snprintf(why, len, "host KVM with nested virtualization (%s=%s)", params[i],
				 val);
			return true;
		}
		snprintf(why, len,
			 "host KVM has nested virtualization off (%s=%s): reload it with "
			 "nested=1 for speed",
			 params[i], val);
		return false;
	}
	snprintf(why, len,
		 "host KVM offers no nested virtualization (no kvm_amd or kvm_intel "
		 "'nested' parameter)");
	return false;
}

int lab_machine_probe(const struct lab_config *cfg, struct lab_machine *m, char *err, size_t len)
{
	char qemu[PATH_MAX], why[160];
	const char *name = cfg->qemu ? cfg->qemu : "qemu-system-x86_64";
	bool nested;

	memset(m, 0, sizeof(*m));
	if (find_exec(name, qemu, sizeof(qemu))) {
		snprintf(err, len,
			 "QEMU (%s) is not installed: install it with 'apt-get install "
			 "qemu-system-x86' (or run scripts/install-deps.sh)",
			 name);
		return -ENOENT;
	}
	snprintf(m->qemu, sizeof(m->qemu), "%s", qemu);
	if (qemu_version(qemu, m->qemu_version, sizeof(m->qemu_version))) {
		snprintf(err, len, "%s --version failed: is it qemu-system-x86_64?", qemu);
		return -ENOEXEC;
	}
	nested = host_nested(why, sizeof(why));
	if (cfg->accel == LAB_ACCEL_KVM && !nested) {
		snprintf(err, len, "--accel kvm: %s; use --accel tcg or auto", why);
		return -ENODEV;
	}
	if (nested && cfg->accel != LAB_ACCEL_TCG) {
		m->accel = LAB_ACCEL_KVM;
		snprintf(m->accel_why, sizeof(m->accel_why), "%s", why);
		snprintf(m->cpu_model, sizeof(m->cpu_model), "host");
	} else {
		m->accel = LAB_ACCEL_TCG;
		if (cfg->accel == LAB_ACCEL_TCG)
			snprintf(m->accel_why, sizeof(m->accel_why), "--accel tcg");
		else
			snprintf(m->accel_why, sizeof(m->accel_why), "%s", why);
		/* TCG's 'max' model has SVM with NPT, so the lab's KVM is kvm_amd there. */
		snprintf(m->cpu_model, sizeof(m->cpu_model), "max");
	}
	return 0;
}

/* MemAvailable from /proc/meminfo, in bytes; 0 when unknown. */
uint64_t lab_mem_available(void)
{
	char line[256];
	unsigned long long kib = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return (uint64_t)kib * 1024;
}
