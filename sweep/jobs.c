// SPDX-License-Identifier: GPL-2.0
/* A sweep's points as child processes: started into their directories, recorded when ended. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"
#include "common/version.h"
#include "sweep/sweep.h"

bool sweep_point_done(const char *dir)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, SWEEP_DONE_FILE);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* In the child, before exec: descriptors, signals, its own process group. */
static void child_setup(const struct sweep_job *job, const char *log, const char *out)
{
	sigset_t none;
	int fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	/* Its own group: a terminal's ^C reaches the sweep, which stops its children itself. */
	setpgid(0, 0);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(127);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || dup2(fd, 2) < 0)
		_exit(127);
	if (out) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			_exit(127);
	}
	if (dup2(fd, 1) < 0)
		_exit(127);
	(void)job;
}

int sweep_job__start(struct sweep_job *job)
{
	char log[4200], out[4200];
	pid_t pid;

	snprintf(log, sizeof(log), "%s/%s", job->dir, SWEEP_LOG_FILE);
	if (job->stdout_path)
		snprintf(out, sizeof(out), "%s/%s", job->dir, job->stdout_path);
	job->t0 = now_ns();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		child_setup(job, log, job->stdout_path ? out : NULL);
		execv(job->argv[0], job->argv);
		fprintf(stderr, "memvirt: error: sweep: cannot run %s: %s\n", job->argv[0],
			strerror(errno));
		_exit(127);
	}
	/* Also here: a signal sent before the child's own setpgid finds the group. */
	setpgid(pid, pid);
	job->pid = pid;
	return 0;
}

static int fill_status(FILE *f, void *arg)
{
	const struct sweep_job *job = arg;
	struct json j;
	char when[32];
	time_t t = time(NULL);
	struct tm tm;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "schema", "memvirt-sweep-point-status/1");
	json_u64(&j, "point", job->index + 1);
	json_i64(&j, "exit_status", job->status);
	json_double(&j, "duration_s", job->seconds);
	json_str(&j, "finished", when);
	json_obj_end(&j);
	return json_finish(&j);
}

static int fill_done(FILE *f, void *arg)
{
	const struct sweep_job *job = arg;

	fprintf(f, "exit 0 after %.3f s\n", job->seconds);
	return ferror(f) ? -EIO : 0;
}

int sweep_job__record(const struct sweep_job *job)
{
	char path[4200];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", job->dir, SWEEP_STATUS_FILE);
	rc = write_file_atomic(path, fill_status, (void *)job, false);
	if (rc || job->status)
		return rc;
	/* Last, and atomically: the marker says the point's outputs are all there. */
	snprintf(path, sizeof(path), "%s/%s", job->dir, SWEEP_DONE_FILE);
	return write_file_atomic(path, fill_done, (void *)job, true);
}
