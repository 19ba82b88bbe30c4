// SPDX-License-Identifier: GPL-2.0
/* Temporary files unlinked on SIGINT and SIGTERM, from the signal handler. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpclean.h"

static char paths[TMPCLEAN_SLOTS][PATH_MAX];
/* 0 free, 1 being filled in, 2 a path the handler may unlink. */
static atomic_int state[TMPCLEAN_SLOTS];
static atomic_int installed;

/* Only async-signal-safe calls: unlink, sigaction, raise. */
static void on_signal(int sig)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};

	for (int i = 0; i < TMPCLEAN_SLOTS; i++)
		if (atomic_load(&state[i]) == 2)
			unlink(paths[i]);
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig); /* delivered when the handler returns: the default action, the usual status */
}

static void install(void)
{
	static const int sigs[] = {SIGINT, SIGTERM};
	struct sigaction sa = {.sa_handler = on_signal}, old;

	if (atomic_exchange(&installed, 1))
		return;
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaddset(&sa.sa_mask, sigs[i]);
	}
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
		    !(old.sa_flags & SA_SIGINFO))
			sigaction(sigs[i], &sa, NULL);
	}
}

int tmpclean_add(const char *path)
{
	size_t n = strlen(path);

	if (n >= PATH_MAX)
		return -1;
	install();
	for (int i = 0; i < TMPCLEAN_SLOTS; i++) {
		int want = 0;

		if (!atomic_compare_exchange_strong(&state[i], &want, 1))
			continue;
		memcpy(paths[i], path, n + 1);
		atomic_store(&state[i], 2);
		return i;
	}
	return -1;
}

int tmpclean_mkstemp(char *tmpl, int *slot)
{
	sigset_t block, old;
	int fd, err;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	fd = mkstemp(tmpl);
	err = errno;
	*slot = fd >= 0 ? tmpclean_add(tmpl) : -1;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return fd;
}

void tmpclean_del(int slot)
{
	if (slot >= 0 && slot < TMPCLEAN_SLOTS)
		atomic_store(&state[slot], 0);
}
