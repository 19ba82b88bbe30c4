/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to trace/: the capture object, and the parts of its lifecycle that
 * belong to one probe family's user-space half: hostfault.c chooses the hook
 * that sees host gup faults, state.c configures, fills and reads the state
 * the families share (trace/state.bpf.h). capture.c calls them in order.
 */
#ifndef MEMVIRT_TRACE_CAPTURE_INTERNAL_H
#define MEMVIRT_TRACE_CAPTURE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/libbpf.h>

#include "trace/capture.h"

struct kvmmmu; /* the skeleton of the linked object (kvmmmu.skel.h) */
struct kbtf;

struct capture {
	struct kvmmmu *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[CAPTURE_NPROBES];
	struct ev_writer *w;
	int gup_primary, gup_standby; /* probe indexes of the host gup fault hooks, -1 none */
	bool rss_batched;	      /* this kernel batches kmem:rss_stat (before 6.2) */
	pthread_t thread;
	bool thread_running;
	atomic_bool stop;
	int poll_ms;
	int poll_err;
	uint64_t t0;
	struct capture_stats st;
};

/* Probe @i is left out for @why; the detail is printf-formatted. */
void capture__skip_probe(struct capture *cap, unsigned i, enum capture_skip why, const char *fmt,
			 ...) __attribute__((format(printf, 4, 5)));
/* Probe @i (-1: none) is still to be loaded and attached: nothing skipped it. */
bool capture__probe_candidate(const struct capture *cap, int i);
/* Attach probe @i; false when it failed, the probe then skipped with the error. */
bool capture__attach_probe(struct capture *cap, unsigned i);

/* ---- hostfault.c: the hook that sees host faults of get_user_pages ---- */

/* Choose it among the probes this kernel offers (at most one stand-by). */
void hostfault_choose_gup_hook(struct capture *cap, struct kbtf *kb);
/* Probe @i is the chosen hook or its stand-by: attached by hostfault_attach_gup_hook(). */
bool hostfault_is_gup_hook(const struct capture *cap, int i);
/* The verifier refused probe @i: if it was the hook, its stand-by takes its place. */
void hostfault_rejected(struct capture *cap, int i);
/* Attach the chosen hook, else its stand-by; note which one counts (st.gup_hook). */
void hostfault_attach_gup_hook(struct capture *cap);

/* ---- state.c: the state the families share ---- */

/* Before load: the ring's size (@ring_bytes) and the read-only configuration. */
void state_configure(struct capture *cap, const struct capture_config *c, uint64_t ring_bytes);
/* After load: the traced processes. 0, or -errno with one line in @err. */
int state_set_filter(struct capture *cap, const struct capture_config *c, char *err, size_t len);
/* After detach: the walks and shadow faults still held go into the ring. */
void state_flush_walks(struct capture *cap);
/* At stop: the records lost in the kernel, per source, into the stats and the file. */
void state_read_drops(struct capture *cap);
/* At stop: the kernel's counts, one kvm_counts record per vCPU with any. */
void state_read_counts(struct capture *cap);

#endif
