/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capture of KVM MMU events and host page faults of a set of processes with
 * the eBPF probes of trace/FAMILY.bpf.c (walk, spt, vmexit, hostfault, state),
 * written into an event file.
 *
 * Lifecycle: capture_check_host() -> capture__start() (open, set the pid
 * filter and ring size, load, attach, start the consumer thread) ->
 * capture__stop() (detach, drain the ring, flush walks in progress, read the
 * drop counters, destroy). The kernel detaches the probes by itself if the
 * process dies without calling capture__stop().
 */
#ifndef MEMVIRT_TRACE_CAPTURE_H
#define MEMVIRT_TRACE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "trace/events_kvm.h"

#define CAPTURE_MAX_PIDS 64

struct ev_writer;
struct json;

struct capture_config {
	pid_t pids[CAPTURE_MAX_PIDS]; /* processes (tgids) traced */
	unsigned npids;
	struct ev_writer *w; /* records go here; not closed by the capture */
	uint64_t ring_bytes; /* ring buffer size, power of two >= 4K (0: 16M) */
	unsigned poll_ms;    /* longest wait between two drains (0: 100) */
	bool all_events;     /* a record per emulator walk and emulated instruction too */
};

/* Why a probe is not attached. */
enum capture_skip {
	CAPTURE_PROBE_ATTACHED,
	CAPTURE_SKIP_NO_EVENT,	  /* the event is not in tracefs (module not loaded, old kernel) */
	CAPTURE_SKIP_NO_BTF,	  /* no BTF type for it in vmlinux nor in any module */
	CAPTURE_SKIP_REJECTED,	  /* the verifier (or libbpf) refused the program */
	CAPTURE_SKIP_EXCLUDED,	  /* MEMVIRT_TRACE_SKIP */
	CAPTURE_SKIP_ATTACH,	  /* loaded, but attaching failed */
	CAPTURE_SKIP_UNUSED,	  /* another probe does its work on this kernel */
	CAPTURE_SKIP_NO_PROGRAM,  /* this build has no program for it */
	CAPTURE_SKIP_NOT_STARTED, /* the capture failed before it got to this probe */
};

/* One probe: attached, or skipped and why. */
struct capture_probe {
	const char *system, *event;
	bool attached;
	enum capture_skip skip;
	char btf[64];	  /* where its BTF is: "vmlinux", a module ("kvm"), "" unknown */
	char detail[160]; /* the verifier's reason, the attach error, ... ("" none) */
};

#define CAPTURE_NPROBES 26

/* How host faults of get_user_pages (KVM faulting guest memory in) are seen. */
enum capture_gup_hook {
	CAPTURE_GUP_NONE,	     /* not at all */
	CAPTURE_GUP_RSS_STAT,	     /* kmem:rss_stat: one event per page charged (Linux 6.2+) */
	CAPTURE_GUP_RSS_BATCHED,     /* ... before 6.2: one event per ~64 faults, undercounted */
	CAPTURE_GUP_HANDLE_MM_FAULT, /* fexit on handle_mm_fault: every fault */
};

struct capture_stats {
	uint64_t records[EVK__LAST + 1]; /* written, per record type id */
	uint64_t total;			 /* all records written */
	uint64_t dropped_kvm;		 /* lost in the kernel (ring full), KVM records */
	uint64_t dropped_host;		 /* ... host fault records */
	uint64_t bad;			 /* samples the consumer could not write */
	uint64_t walks_flushed;		 /* walks left open at thread exit or stop, written then */
	uint64_t walk_threads_spilled;	 /* threads whose walk state was in task storage */
	uint64_t duration_ns;		 /* start to stop */
	struct kvm_ev_counts kernel;	 /* counted in the kernel, all vCPUs (vcpu: how many) */
	bool all_events;
	unsigned attached, skipped;
	unsigned kvm_attached; /* of them, on kvm and kvmmmu events */
	enum capture_gup_hook gup_hook;
	struct capture_probe probe[CAPTURE_NPROBES];
};

/* "not_in_tracefs", "no_btf", "rejected", ...: the JSON name of @skip. */
const char *capture_skip_name(enum capture_skip skip);
/* "fexit/handle_mm_fault", "tp/kmem:rss_stat", ...: the JSON name of @hook. */
const char *capture_gup_hook_name(enum capture_gup_hook hook);
/* One line: "kvm:kvm_exit: not in tracefs (...)" for a skipped probe. */
void capture_probe_describe(const struct capture_probe *p, char *buf, size_t len);

struct capture;

/*
 * What the host must offer: privileges (root, or CAP_BPF with CAP_PERFMON),
 * tracefs (MEMVIRT_TRACEFS overrides /sys/kernel/tracing) and kernel BTF
 * (MEMVIRT_BTF overrides /sys/kernel/btf/vmlinux; module BTF is looked up
 * in the same directory). 0, or -errno with one line in @err naming the fix.
 */
int capture_check_host(char *err, size_t len);

/* Start capturing; NULL with one line in @err on failure (nothing left attached). */
struct capture *capture__start(const struct capture_config *c, char *err, size_t len);
/* Stop, drain and free; fills @st (may be NULL). Returns 0 or the first write error. */
int capture__stop(struct capture *cap, struct capture_stats *st);

/* @st as a JSON object under @key: records per type name, drops, probes. */
void capture_stats_json(const struct capture_stats *st, struct json *j, const char *key);
/* Human summary: one line per record type, drops, probes skipped. */
void capture_stats_print(const struct capture_stats *st, FILE *f);

#endif
