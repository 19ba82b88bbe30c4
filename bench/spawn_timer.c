// SPDX-License-Identifier: GPL-2.0
/*
 * bench_spawn: wall time of one command from the moment it is spawned to its
 * exit, and optionally to the first appearance of a marker on its stdout.
 *
 *   bench_spawn [--marker TEXT | --first-kvm-run] [--stdout FILE] -- COMMAND [ARGS...]
 *
 * Prints one JSON line: {"exit_ns":..., "marker_ns":..., "kvm_run_ns":...,
 * "status":...}. The clock (CLOCK_MONOTONIC) is read just before the child
 * is created and again when waitpid() returns, so exit_ns covers fork/exec,
 * dynamic linking, the program's whole run and its teardown.
 *
 * --marker: marker_ns is when the parent read TEXT from the child's stdout
 * pipe; it includes the writer's output path (for QEMU, the serial device
 * model and a write(2)), a few microseconds.
 *
 * --first-kvm-run: kvm_run_ns is when the child entered its first
 * ioctl(KVM_RUN). The child installs a seccomp filter that returns
 * SECCOMP_RET_TRACE for that one ioctl only and runs under ptrace, so the
 * program runs unmodified with three extra stops (exec and each KVM_RUN).
 * The time is read when the tracer wakes, so it is late by one wake-up.
 * Only for single-threaded VMMs: a KVM_RUN from an untraced thread would get
 * ENOSYS.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

extern char **environ;

struct spawn_config {
	const char *marker; /* NULL: no marker */
	const char *out;    /* child's stdout goes here; NULL: discarded */
	int first_kvm_run;  /* time the first ioctl(KVM_RUN) */
	char **argv;
};

static void parse(int argc, char **argv, struct spawn_config *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--marker") && i + 1 < argc)
			c->marker = argv[++i];
		else if (!strcmp(argv[i], "--stdout") && i + 1 < argc)
			c->out = argv[++i];
		else if (!strcmp(argv[i], "--first-kvm-run"))
			c->first_kvm_run = 1;
		else
			die(2,
			    "usage: bench_spawn [--marker TEXT | --first-kvm-run] [--stdout FILE] "
			    "-- COMMAND [ARGS...]\n");
	}
	if (c->marker && c->first_kvm_run)
		die(2, "bench_spawn: --marker and --first-kvm-run do not combine\n");
	if (i + 1 >= argc)
		die(2, "bench_spawn: no command after '--'\n");
	c->argv = argv + i + 1;
}

/*
 * Copy the child's stdout from @fd to @out until EOF and return when
 * @marker first appeared (0 if never). A marker may straddle two reads, so
 * the last mlen-1 bytes of each chunk are carried into the next search.
 */
static uint64_t drain(int fd, FILE *out, const char *marker)
{
	char buf[8192 + 256];
	size_t mlen = marker ? strlen(marker) : 0, keep = 0, have;
	uint64_t seen = 0, t;
	ssize_t n;

	if (mlen >= 256)
		die(2, "bench_spawn: marker longer than 255 bytes\n");
	for (;;) {
		n = read(fd, buf + keep, 8192);
		t = now_ns();
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out)
			fwrite(buf + keep, 1, (size_t)n, out);
		if (!mlen || seen)
			continue;
		have = keep + (size_t)n;
		if (memmem(buf, have, marker, mlen)) {
			seen = t;
			continue;
		}
		keep = have < mlen - 1 ? have : mlen - 1;
		memmove(buf, buf + have - keep, keep);
	}
	return seen;
}

/* The seccomp filter: trace ioctl(fd, KVM_RUN, ...) on x86-64, allow everything else. */
static void install_kvm_run_trap(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, KVM_RUN, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = ARRAY_SIZE(f), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0)) {
		perror("bench_spawn: seccomp");
		_exit(127);
	}
}

/* Child side of --first-kvm-run: traced, filtered, then the command. */
static void __attribute__((noreturn)) exec_traced(const struct spawn_config *c, int out_fd)
{
	if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(127);
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(127);
	install_kvm_run_trap();
	execvp(c->argv[0], c->argv);
	perror("bench_spawn: exec");
	_exit(127);
}

/*
 * Tracer loop: continue the child through its stops, noting the first
 * seccomp stop (an ioctl(KVM_RUN) entry). Returns the child's wait status.
 */
static int trace_child(pid_t pid, uint64_t *t_first)
{
	int status, sig;
	uint64_t t;

	*t_first = 0;
	for (;;) {
		if (waitpid(pid, &status, 0) < 0) {
			if (errno == EINTR)
				continue;
			die(3, "bench_spawn: waitpid: %s\n", strerror(errno));
		}
		t = now_ns();
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return status;
		sig = WSTOPSIG(status);
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
			if (!*t_first)
				*t_first = t;
			sig = 0;
		} else if (sig == SIGTRAP) {
			/* The post-exec stop of PTRACE_TRACEME: arm the seccomp events. */
			ptrace(PTRACE_SETOPTIONS, pid, NULL,
			       (void *)(long)(PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL));
			sig = 0;
		}
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
}

static void print_result(uint64_t t0, uint64_t t_exit, uint64_t t_marker, uint64_t t_run,
			 int status)
{
	printf("{\"exit_ns\":%" PRIu64 ",\"marker_ns\":%" PRIu64 ",\"kvm_run_ns\":%" PRIu64
	       ",\"status\":%d}\n",
	       t_exit - t0, t_marker ? t_marker - t0 : 0, t_run ? t_run - t0 : 0,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static int run_traced(const struct spawn_config *c)
{
	int fd = -1, status;
	uint64_t t0, t_run;
	pid_t pid;

	fd = open(c->out ? c->out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(3, "bench_spawn: cannot write %s: %s\n", c->out ? c->out : "/dev/null",
		    strerror(errno));
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die(3, "bench_spawn: fork: %s\n", strerror(errno));
	if (pid == 0)
		exec_traced(c, fd);
	close(fd);
	status = trace_child(pid, &t_run);
	print_result(t0, now_ns(), 0, t_run, status);
	return 0;
}

int main(int argc, char **argv)
{
	struct spawn_config c;
	posix_spawn_file_actions_t fa;
	int pipefd[2], status, err;
	uint64_t t0, t_marker, t_exit;
	FILE *out = NULL;
	pid_t pid;

	parse(argc, argv, &c);
	if (c.first_kvm_run)
		return run_traced(&c);
	if (c.out && !(out = fopen(c.out, "w")))
		die(3, "bench_spawn: cannot write %s: %s\n", c.out, strerror(errno));
	if (pipe2(pipefd, O_CLOEXEC))
		die(3, "bench_spawn: pipe: %s\n", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);

	t0 = now_ns();
	err = posix_spawnp(&pid, c.argv[0], &fa, NULL, c.argv, environ);
	if (err)
		die(3, "bench_spawn: cannot run %s: %s\n", c.argv[0], strerror(err));
	close(pipefd[1]);
	t_marker = drain(pipefd[0], out, c.marker);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			die(3, "bench_spawn: waitpid: %s\n", strerror(errno));
	}
	t_exit = now_ns();

	print_result(t0, t_exit, t_marker, 0, status);
	if (out)
		fclose(out);
	posix_spawn_file_actions_destroy(&fa);
	return 0;
}
