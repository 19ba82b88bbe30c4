/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Temporary files that SIGINT or SIGTERM must not leave behind: a writer
 * registers its temporary while it exists, and a signal that would end the
 * program unlinks every registered one, then ends it as the signal would.
 */
#ifndef MEMVIRT_TMPCLEAN_H
#define MEMVIRT_TMPCLEAN_H

/* Temporaries registered at once (nested writers); more are simply not cleaned. */
#define TMPCLEAN_SLOTS 8

/*
 * Register @path (copied) until tmpclean_del(). The handlers are installed
 * only where SIGINT/SIGTERM still have their default action: a program that
 * handles them itself (a run's graceful stop) keeps its handler, and its
 * writers remove their temporaries on their own error path. Returns a slot
 * for tmpclean_del(), or -1 if none is free or @path is too long.
 */
int tmpclean_add(const char *path);
/*
 * mkstemp(@tmpl) and tmpclean_add() with SIGINT and SIGTERM held off in
 * between, so no signal finds the file made and not yet registered. Returns
 * the descriptor with its slot in *@slot (-1 if none was free), or -1 and errno.
 */
int tmpclean_mkstemp(char *tmpl, int *slot);
/* The temporary of @slot is renamed or removed: forget it. -1 is ignored. */
void tmpclean_del(int slot);

#endif
