// SPDX-License-Identifier: GPL-2.0
/*
 * One boot of the lab: a control folder shared with the guest (the job, the
 * command, its output and status), QEMU started on the lab kernel, the
 * command's output copied to ours as it comes, a timeout, and the record.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "lab/lab_internal.h"

#define LAB_POLL_MS    20
#define LAB_QEMU_SLACK (256ULL << 20) /* QEMU's own memory beside the guest's */
#define LAB_KILL_GRACE 3.0	      /* seconds between SIGTERM and SIGKILL */
#define LAB_PATH_ENV   "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

extern char **environ;

struct lab_boot {
	char ctl[PATH_MAX];
	char out[PATH_MAX];
	const struct lab_config *cfg;
	const struct lab_machine *m;
	const struct lab_kernel *k;
	enum lab_paging paging;
};

static void ctl_path(const struct lab_boot *b, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", b->ctl, name);
}

/* @s as one shell word: '...' with each ' written as '\''. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

static void put_var(FILE *f, const char *export, const char *name, const char *val)
{
	fprintf(f, "%s%s=", export, name);
	put_quoted(f, val);
	fputc('\n', f);
}

static int write_job(FILE *f, void *arg)
{
	const struct lab_boot *b = arg;

	put_var(f, "", "MV_PAGING", lab_paging_name(b->paging));
	put_var(f, "", "MV_KVER", b->k->version);
	put_var(f, "", "MV_MODDIR", b->k->modules);
	put_var(f, "", "MV_OUT", b->out);
	put_var(f, "", "MV_CWD", b->out);
	put_var(f, "", "MV_CPU", b->m->cpu_model);
	put_var(f, "", "MV_SHELL", b->cfg->shell ? "1" : "0");
	return ferror(f) ? -EIO : 0;
}

/* The host environment the command inherits: memvirt's own, the terminal, sanitizers. */
static bool env_passes(const char *e)
{
	static const char *const names[] = {
		"MEMVIRT_",	 "TERM=",	   "CI=",	    "LANG=",
		"ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=", "CTEST_OUTPUT_ON_FAILURE="};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strncmp(e, names[i], strlen(names[i])))
			return true;
	return false;
}

/* The command as a script: the environment it gets, then exec with each word quoted. */
static int write_cmd(FILE *f, void *arg)
{
	const struct lab_boot *b = arg;
	char val[64];

	put_var(f, "export ", "PATH", LAB_PATH_ENV);
	put_var(f, "export ", "HOME", "/root");
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');

		if (!eq || !env_passes(*e))
			continue;
		if (!strncmp(*e, "MEMVIRT_LAB", 11) || eq - *e > 64)
			continue;
		snprintf(val, sizeof(val), "%.*s", (int)(eq - *e), *e);
		put_var(f, "export ", val, eq + 1);
	}
	/* Every run.json written inside names the lab (vmm/record.c). */
	put_var(f, "export ", "MEMVIRT_LAB_KERNEL", b->k->version);
	put_var(f, "export ", "MEMVIRT_LAB_QEMU", b->m->qemu_version);
	put_var(f, "export ", "MEMVIRT_LAB_ACCEL", lab_accel_name(b->m->accel));
	put_var(f, "export ", "MEMVIRT_LAB_CPU", b->m->cpu_model);
	put_var(f, "export ", "MEMVIRT_LAB_PAGING", lab_paging_name(b->paging));
	fputs("exec", f);
	for (int i = 0; i < b->cfg->argc; i++) {
		fputc(' ', f);
		put_quoted(f, b->cfg->argv[i]);
	}
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

/* SIGINT or SIGTERM while the lab runs: stop QEMU, clean up, then stop. */
static volatile sig_atomic_t lab_signal;

static void on_signal(int sig)
{
	lab_signal = sig;
}

static void ctl_remove(const struct lab_boot *b)
{
	if (b->ctl[0])
		rm_tree(b->ctl);
}

static double since(uint64_t t0)
{
	return (double)(now_ns() - t0) / 1e9;
}

/* The QEMU command line for one boot; strings live in @store. */
struct qemu_argv {
	char *argv[48];
	int argc;
	char store[8][PATH_MAX + 128];
	int nstore;
};

static void qa_add(struct qemu_argv *q, const char *arg)
{
	if (q->argc < (int)ARRAY_SIZE(q->argv) - 1)
		q->argv[q->argc++] = (char *)arg;
	q->argv[q->argc] = NULL;
}

__attribute__((format(printf, 2, 3))) static void qa_fmt(struct qemu_argv *q, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (q->nstore == (int)ARRAY_SIZE(q->store))
		return;
	s = q->store[q->nstore++];
	va_start(ap, fmt);
	vsnprintf(s, sizeof(q->store[0]), fmt, ap);
	va_end(ap);
	qa_add(q, s);
}

static void qemu_argv(const struct lab_boot *b, struct qemu_argv *q)
{
	const struct lab_config *cfg = b->cfg;

	q->argc = q->nstore = 0;
	qa_add(q, b->m->qemu);
	qa_add(q, "-name");
	qa_add(q, "memvirt-lab");
	qa_add(q, "-nodefaults");
	qa_add(q, "-no-user-config");
	qa_add(q, "-display");
	qa_add(q, "none");
	qa_add(q, "-no-reboot");
	qa_add(q, "-accel");
	qa_add(q, b->m->accel == LAB_ACCEL_KVM ? "kvm" : "tcg");
	qa_add(q, "-cpu");
	qa_add(q, b->m->cpu_model);
	qa_add(q, "-m");
	qa_fmt(q, "%llu", (unsigned long long)(cfg->mem_bytes >> 20));
	qa_add(q, "-smp");
	qa_fmt(q, "%u", cfg->cpus);
	qa_add(q, "-kernel");
	qa_add(q, b->k->image);
	qa_add(q, "-initrd");
	qa_fmt(q, "%s/initramfs.cpio", b->ctl);
	qa_add(q, "-append");
	if (lab_thp_name(cfg->thp))
		qa_fmt(q, "console=ttyS0 panic=-1 quiet loglevel=3 transparent_hugepage=%s",
		       lab_thp_name(cfg->thp));
	else
		qa_add(q, "console=ttyS0 panic=-1 quiet loglevel=3");
	qa_add(q, "-serial");
	if (cfg->shell)
		qa_add(q, "mon:stdio");
	else
		qa_fmt(q, "file:%s/console.log", b->ctl);
	qa_add(q, "-virtfs");
	qa_add(q, "local,path=/,mount_tag=mvroot,security_model=none,readonly=on,multidevs=remap");
	qa_add(q, "-virtfs");
	qa_fmt(q, "local,path=%s,mount_tag=mvctl,security_model=none,multidevs=remap", b->ctl);
	qa_add(q, "-virtfs");
	qa_fmt(q, "local,path=%s,mount_tag=mvout,security_model=none,multidevs=remap", b->out);
}

static pid_t qemu_start(const struct lab_boot *b)
{
	struct qemu_argv q;
	char log[PATH_MAX + 16];
	pid_t pid;
	int fd;

	qemu_argv(b, &q);
	ctl_path(b, "qemu.log", log, sizeof(log));
	pid = fork();
	if (pid)
		return pid;
	/* QEMU must not outlive us: a killed memvirt takes its lab down. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!b->cfg->shell) {
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, STDIN_FILENO);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	execv(q.argv[0], q.argv);
	_exit(127);
}

/* One stream of the command's output: ctl/NAME, opened once it exists, read from @off. */
struct relay {
	const char *name;
	int fd;
	off_t off;
};

/* Copy what the guest appended to the stream since last time to @out (-1: drop it). */
static void relay(const struct lab_boot *b, struct relay *r, int out)
{
	char path[PATH_MAX + 16], buf[65536];
	ssize_t n;

	if (r->fd < 0) {
		ctl_path(b, r->name, path, sizeof(path));
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0)
			return;
	}
	while ((n = pread(r->fd, buf, sizeof(buf), r->off)) > 0) {
		r->off += n;
		if (out < 0)
			continue;
		for (ssize_t w = 0, k; w < n; w += k) {
			k = write(out, buf + w, n - w);
			if (k <= 0)
				break;
		}
	}
}

static bool ctl_exists(const struct lab_boot *b, const char *name)
{
	char path[PATH_MAX + 16];

	ctl_path(b, name, path, sizeof(path));
	return !access(path, F_OK);
}

/* The last non-empty line of ctl/@name, for an error message. */
static void last_line(const struct lab_boot *b, const char *name, char *out, size_t len)
{
	char path[PATH_MAX + 16], line[512];
	FILE *f;

	*out = '\0';
	ctl_path(b, name, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[strspn(line, " \t")])
			snprintf(out, len, "%.*s", (int)len - 1, line);
	}
	fclose(f);
}

static int wait_qemu(const struct lab_boot *b, pid_t pid, uint64_t t0, struct lab_result *res)
{
	struct relay out = {"stdout", -1, 0}, err = {"stderr", -1, 0};
	double kill_at = 0;
	int status = 0, ret;

	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (!b->cfg->shell) {
			relay(b, &out, b->cfg->discard_stdout ? -1 : STDOUT_FILENO);
			relay(b, &err, STDERR_FILENO);
		}
		if (!res->boot_s && ctl_exists(b, "started"))
			res->boot_s = since(t0);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			ret = -errno;
			goto out;
		}
		if (lab_signal && !kill_at) {
			res->fail = LAB_FAIL_SIGNAL;
			kill(pid, SIGTERM);
			kill_at = since(t0) + LAB_KILL_GRACE;
		} else if (b->cfg->timeout_s && !kill_at && since(t0) > b->cfg->timeout_s) {
			res->fail = LAB_FAIL_TIMEOUT;
			kill(pid, SIGTERM);
			kill_at = since(t0) + LAB_KILL_GRACE;
		} else if (kill_at && since(t0) > kill_at) {
			kill(pid, SIGKILL);
		}
		usleep(LAB_POLL_MS * 1000);
	}
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	res->wall_s = since(t0);
	if (out.fd >= 0)
		close(out.fd);
	if (err.fd >= 0)
		close(err.fd);
	return ret;
}

/* What the guest left in ctl/status, or why there is none. */
static void read_status(const struct lab_boot *b, int qemu_status, struct lab_result *res)
{
	char path[PATH_MAX + 16], line[512], last[400];

	ctl_path(b, "kvm", path, sizeof(path));
	read_text_file(path, res->kvm, sizeof(res->kvm));
	if (lab_signal) {
		snprintf(res->err, sizeof(res->err),
			 "%s: interrupted by signal %d; the lab was stopped",
			 lab_paging_name(b->paging), (int)lab_signal);
		return;
	}
	if (res->fail == LAB_FAIL_TIMEOUT) {
		snprintf(res->err, sizeof(res->err),
			 "%s: the command did not finish within %u s and was killed "
			 "(--timeout)",
			 lab_paging_name(b->paging), b->cfg->timeout_s);
		return;
	}
	ctl_path(b, "status", path, sizeof(path));
	if (!read_text_file(path, line, sizeof(line))) {
		char *end;
		long v = strtol(line, &end, 10);

		if (end != line && !*end && v >= 0 && v < 256) {
			res->status = (int)v;
			return;
		}
		res->fail = LAB_FAIL_BOOT;
		snprintf(res->err, sizeof(res->err), "%s: %.400s", lab_paging_name(b->paging),
			 strncmp(line, "lab-error: ", 11) ? line : line + 11);
		return;
	}
	res->fail = LAB_FAIL_BOOT;
	last_line(b, ctl_exists(b, "booted") ? "console.log" : "qemu.log", last, sizeof(last));
	if (!last[0])
		last_line(b, "console.log", last, sizeof(last));
	snprintf(res->err, sizeof(res->err), "%s: the lab %s (QEMU exit %d)%s%s",
		 lab_paging_name(b->paging),
		 ctl_exists(b, "booted") ? "stopped before the command finished"
					 : "kernel did not boot",
		 qemu_status, last[0] ? ": " : "", last);
}

/* Keep the lab kernel's console next to the command's output. */
static void keep_console(const struct lab_boot *b)
{
	char src[PATH_MAX + 16], dst[PATH_MAX + 32], buf[65536];
	FILE *in, *out;
	size_t n;

	ctl_path(b, "console.log", src, sizeof(src));
	snprintf(dst, sizeof(dst), "%s/lab-console.log", b->out);
	in = fopen(src, "re");
	if (!in)
		return;
	out = fopen(dst, "we");
	while (out && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	if (out)
		fclose(out);
	fclose(in);
}

static int boot_prepare(struct lab_boot *b, const char *out_dir, char *err, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX + 16];
	int ret;

	ret = mkdir_p(out_dir);
	if (ret || !realpath(out_dir, b->out)) {
		snprintf(err, len, "cannot create output directory %.300s: %s", out_dir,
			 strerror(ret ? -ret : errno));
		return ret ? ret : -errno;
	}
	snprintf(b->ctl, sizeof(b->ctl), "%s/memvirt-lab-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(b->ctl)) {
		snprintf(err, len, "cannot create the lab's control folder %.300s: %s", b->ctl,
			 strerror(errno));
		b->ctl[0] = '\0';
		return -errno;
	}
	ctl_path(b, "initramfs.cpio", path, sizeof(path));
	ret = lab_initramfs_build(b->k, path, err, len);
	if (ret)
		return ret;
	ctl_path(b, "job", path, sizeof(path));
	ret = write_file_atomic(path, write_job, b, false);
	ctl_path(b, "cmd.sh", path, sizeof(path));
	if (!ret)
		ret = write_file_atomic(path, write_cmd, b, false);
	if (ret)
		snprintf(err, len, "cannot write the lab's job in %.300s: %s", b->ctl,
			 strerror(-ret));
	return ret;
}

int lab_run(const struct lab_config *cfg, const struct lab_machine *m, const struct lab_kernel *k,
	    enum lab_paging paging, const char *out_dir, struct lab_result *res)
{
	struct lab_boot b = {.cfg = cfg, .m = m, .k = k, .paging = paging};
	uint64_t avail = lab_mem_available(), t0;
	struct sigaction old_int, old_term;
	char sz[32], asz[32];
	int ret, qs;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (avail && cfg->mem_bytes + LAB_QEMU_SLACK > avail) {
		res->fail = LAB_FAIL_HOST;
		snprintf(res->err, sizeof(res->err),
			 "not enough memory: the lab needs --mem %s and ~256M for QEMU, the host "
			 "has %s available: use a smaller --mem",
			 format_size(cfg->mem_bytes, sz, sizeof(sz)),
			 format_size(avail & ~0xfffffULL, asz, sizeof(asz)));
		return 0;
	}
	ret = boot_prepare(&b, out_dir, res->err, sizeof(res->err));
	if (ret) {
		res->fail = LAB_FAIL_HOST;
		ctl_remove(&b);
		return 0;
	}
	if (!cfg->shell) {
		struct sigaction sa = {.sa_handler = on_signal};

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
	}
	t0 = now_ns();
	pid = qemu_start(&b);
	if (pid < 0) {
		res->fail = LAB_FAIL_HOST;
		snprintf(res->err, sizeof(res->err), "cannot start QEMU: %s", strerror(errno));
		if (!cfg->shell) {
			sigaction(SIGINT, &old_int, NULL);
			sigaction(SIGTERM, &old_term, NULL);
		}
		ctl_remove(&b);
		return 0;
	}
	qs = wait_qemu(&b, pid, t0, res);
	read_status(&b, qs, res);
	if (!cfg->shell) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	if (!cfg->shell)
		keep_console(&b);
	ret = lab_record_write(b.out, cfg, m, k, paging, res);
	if (ret)
		pr_warn("lab: cannot write %s/lab.json: %s\n", b.out, strerror(-ret));
	/* MEMVIRT_LAB_KEEP=1 keeps the control folder (initramfs, job, console) for debugging. */
	if (getenv("MEMVIRT_LAB_KEEP"))
		pr_info("lab: control folder kept in %s\n", b.ctl);
	else
		ctl_remove(&b);
	return 0;
}
