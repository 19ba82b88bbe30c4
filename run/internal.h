/* SPDX-License-Identifier: GPL-2.0 */
/* Private state of one run, shared by the files of run/. */
#ifndef MEMVIRT_RUN_INTERNAL_H
#define MEMVIRT_RUN_INTERNAL_H

#include "run/run.h"
#ifdef MEMVIRT_HAVE_BPF
#include "trace/capture.h"
#endif

/*
 * Everything a run holds while it runs, on run_execute's stack: nothing of
 * it outlives the call except what it copies into the outcome.
 */
struct run_session {
	const struct run_config *cfg;
	struct run_outcome *o;
	struct vm_config vm; /* cfg->vm with the run's console, event file and KVM device */
	char console_path[600];
	char record_path[600]; /* OUT/run.json */
	char started_at[32];   /* ISO 8601 UTC */
	struct run_record rec;
#ifdef MEMVIRT_HAVE_BPF
	struct capture *capture; /* --trace, between run_trace_start and run_trace_stop */
	struct capture_stats capture_stats;
#endif
};

/*
 * paging.c: --paging against the host's KVM mode in o->host, switching it
 * with --reload-kvm. RUN_OK, or the kind with one line in o->error.
 */
enum run_fail run_paging_check(const struct run_config *c, struct run_outcome *o);

/*
 * trace.c: --trace, the eBPF capture of this process into the run's event
 * file. Start: 0, or -1 with one line in o->error. Stop: once the VM is gone,
 * counts into the outcome and the capture's statistics into the record; a
 * second call does nothing.
 */
int run_trace_start(struct run_session *s);
void run_trace_stop(struct run_session *s);

#endif
