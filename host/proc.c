// SPDX-License-Identifier: GPL-2.0
/* The processes a capture follows: thread groups, a command held until released, their end. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "host/host.h"

pid_t host_pid_tgid(pid_t pid)
{
	char path[64], line[128];
	pid_t tgid = pid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return pid;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Tgid:", 5)) {
			tgid = (pid_t)strtol(line + 5, NULL, 10);
			break;
		}
	}
	fclose(f);
	return tgid;
}

pid_t host_spawn_held(char **argv, const char *who, int *release_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		char c;

		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "memvirt: %s: cannot run %s: %s\n", who, argv[0], strerror(errno));
		_exit(127);
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return -1;
	}
	*release_fd = p[1];
	return pid;
}

int host_release_held(int release_fd)
{
	int ret = write(release_fd, "g", 1) == 1 ? 0 : -errno;

	close(release_fd);
	return ret;
}

static int pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Without pidfds (old kernels): how many are alive, by signal 0; @child may be a zombie. */
static unsigned count_alive(const pid_t *pids, unsigned n, pid_t child)
{
	unsigned alive = 0;

	for (unsigned i = 0; i < n; i++) {
		if (pids[i] == child)
			alive += waitpid(child, NULL, WNOHANG | WNOWAIT) == 0;
		else
			alive += kill(pids[i], 0) == 0 || errno == EPERM;
	}
	return alive;
}

void host_wait_pids(const pid_t *pids, unsigned n, pid_t child, uint64_t deadline_ns,
		    volatile sig_atomic_t *stop, int *child_status)
{
	int fds[HOST_WAIT_MAX_PIDS];
	unsigned alive;

	n = n > HOST_WAIT_MAX_PIDS ? HOST_WAIT_MAX_PIDS : n;
	alive = n;
	for (unsigned i = 0; i < n; i++)
		fds[i] = pidfd_of(pids[i]);
	while (alive && !*stop) {
		struct pollfd pf[HOST_WAIT_MAX_PIDS];
		unsigned npf = 0;
		int timeout = 200;

		if (deadline_ns) {
			uint64_t now = now_ns();

			if (now >= deadline_ns)
				break;
			if ((deadline_ns - now) / 1000000 < (uint64_t)timeout)
				timeout = (int)((deadline_ns - now) / 1000000) + 1;
		}
		for (unsigned i = 0; i < n; i++) {
			if (fds[i] >= 0)
				pf[npf++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		}
		if (npf == 0) {
			alive = count_alive(pids, n, child);
			if (alive)
				usleep((useconds_t)timeout * 1000);
			continue;
		}
		if (poll(pf, npf, timeout) <= 0)
			continue;
		for (unsigned i = 0; i < npf; i++) {
			if (!(pf[i].revents & (POLLIN | POLLHUP)))
				continue;
			for (unsigned k = 0; k < n; k++) {
				if (fds[k] == pf[i].fd) {
					close(fds[k]);
					fds[k] = -1;
					alive--;
				}
			}
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
	if (child > 0) {
		if (*stop || alive)
			kill(child, *stop ? *stop : SIGTERM);
		while (waitpid(child, child_status, 0) < 0 && errno == EINTR)
			;
	}
}
