// SPDX-License-Identifier: GPL-2.0
/*
 * The process helpers of host/proc.c on real processes: a held command does
 * not run before it is released, and runs after; closing the pipe instead
 * makes it exit 127; waiting ends with the process, at the deadline (the
 * command then gets SIGTERM) or on a stop signal; a thread's thread group is
 * its process.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

#include "common/util.h"
#include "host/host.h"

static char dir[] = "/tmp/memvirt-proc-XXXXXX";

static bool exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static void check_held_then_released(void)
{
	char flag[128];
	char *argv[] = {"sh", "-c", "touch \"$0\"; exit 5", flag, NULL};
	volatile sig_atomic_t stop = 0;
	int release = -1, status = 0;
	pid_t child;

	snprintf(flag, sizeof(flag), "%s/ran", dir);
	child = host_spawn_held(argv, "test", &release);
	CHECK(child > 0 && release >= 0);
	if (child <= 0)
		return;
	usleep(200 * 1000);
	CHECK(!exists(flag)); /* held: still reading its pipe */
	CHECK(host_release_held(release) == 0);
	host_wait_pids(&child, 1, child, 0, &stop, &status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5);
	CHECK(exists(flag));
}

static void check_never_released(void)
{
	char *argv[] = {"true", NULL};
	volatile sig_atomic_t stop = 0;
	int release = -1, status = 0;
	pid_t child = host_spawn_held(argv, "test", &release);

	CHECK(child > 0);
	if (child <= 0)
		return;
	close(release);
	host_wait_pids(&child, 1, child, 0, &stop, &status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 127);
}

static void check_exec_failure(void)
{
	char *argv[] = {"/nonexistent/memvirt-no-such-command", NULL};
	volatile sig_atomic_t stop = 0;
	int release = -1, status = 0;
	pid_t child = host_spawn_held(argv, "test", &release);

	CHECK(child > 0);
	if (child <= 0)
		return;
	CHECK(host_release_held(release) == 0);
	host_wait_pids(&child, 1, child, 0, &stop, &status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 127);
}

/* A command that outlives the deadline is ended with SIGTERM once it passes. */
static void check_deadline(void)
{
	char *argv[] = {"sleep", "30", NULL};
	volatile sig_atomic_t stop = 0;
	int release = -1, status = 0;
	pid_t child = host_spawn_held(argv, "test", &release);
	uint64_t deadline;

	CHECK(child > 0);
	if (child <= 0)
		return;
	CHECK(host_release_held(release) == 0);
	deadline = now_ns() + 300ULL * 1000 * 1000;
	host_wait_pids(&child, 1, child, deadline, &stop, &status);
	CHECK(now_ns() >= deadline);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

/* A stop signal already set ends the wait at once and is passed to the command. */
static void check_stop(void)
{
	char *argv[] = {"sleep", "30", NULL};
	volatile sig_atomic_t stop = SIGINT;
	int release = -1, status = 0;
	pid_t child = host_spawn_held(argv, "test", &release);

	CHECK(child > 0);
	if (child <= 0)
		return;
	CHECK(host_release_held(release) == 0);
	host_wait_pids(&child, 1, child, 0, &stop, &status);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
}

static pid_t thread_tid;
static int thread_pipe[2];

/* Tells its thread id, then lives until main writes to the pipe. */
static void *thread_main(void *arg)
{
	char c;

	(void)arg;
	__atomic_store_n(&thread_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	if (read(thread_pipe[0], &c, 1) != 1)
		return NULL;
	return NULL;
}

/* A thread's group is the process; the process is its own; an unknown pid is itself. */
static void check_tgid(void)
{
	pid_t tid;
	pthread_t t;

	CHECK(host_pid_tgid(getpid()) == getpid());
	CHECK(pipe(thread_pipe) == 0);
	CHECK(pthread_create(&t, NULL, thread_main, NULL) == 0);
	while (!(tid = __atomic_load_n(&thread_tid, __ATOMIC_ACQUIRE)))
		usleep(1000);
	CHECK(tid != getpid());
	CHECK(host_pid_tgid(tid) == getpid());
	CHECK(write(thread_pipe[1], "x", 1) == 1);
	pthread_join(t, NULL);
	close(thread_pipe[0]);
	close(thread_pipe[1]);
	CHECK(host_pid_tgid(0x3fffffff) == 0x3fffffff);
}

int main(void)
{
	CHECK(mkdtemp(dir) != NULL);
	check_held_then_released();
	check_never_released();
	check_exec_failure();
	check_deadline();
	check_stop();
	check_tgid();
	{
		char flag[160];

		snprintf(flag, sizeof(flag), "%s/ran", dir);
		unlink(flag);
		rmdir(dir);
	}
	TEST_DONE();
}
