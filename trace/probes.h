/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to trace/: the probe table (the families' lists), where the kernel
 * describes each probe's target (tracefs, vmlinux or module BTF), and
 * libbpf's messages.
 */
#ifndef MEMVIRT_TRACE_PROBES_H
#define MEMVIRT_TRACE_PROBES_H

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>

#include <bpf/libbpf.h>

enum probe_kind {
	PROBE_TP,    /* raw BTF tracepoint (tp_btf): tracefs event and btf_trace_EVENT */
	PROBE_FEXIT, /* fexit on a kernel function: a BTF FUNC of vmlinux */
};

/* One probe: the kernel's event (or function) and the program that handles it. */
struct probe_def {
	enum probe_kind kind;
	const char *system, *event, *prog;
};

/*
 * A family of probes: the programs of one trace/NAME.bpf.c, listed with their
 * events by trace/NAME.c. The families' lists, one after the other in the
 * order below, are the probe table: probe i of the capture (its statistics,
 * its notes) is probe_def(i).
 */
struct probe_family {
	const char *name;
	const struct probe_def *probes;
	unsigned nprobes;
};

extern const struct probe_family walk_family;	   /* walks, A/D bits, the shadow fault's SPTE */
extern const struct probe_family spt_family;	   /* shadow/TDP pages, other SPTE changes */
extern const struct probe_family vmexit_family;	   /* exits, entries, CRs, emulation */
extern const struct probe_family hostfault_family; /* host page faults, gup faults */
extern const struct probe_family state_family;	   /* the walk state's thread exit */

/* Probe @i of the table (0 .. CAPTURE_NPROBES - 1), NULL past its end. */
const struct probe_def *probe_def(unsigned i);
/* Index in the table of the probe whose program is @prog, or -1. */
int probe_index(const char *prog);

/* "/sys/kernel/tracing" (MEMVIRT_TRACEFS overrides; debugfs copy when only that exists). */
const char *probe_tracefs_dir(void);
/* "/sys/kernel/btf/vmlinux" (MEMVIRT_BTF overrides; module BTF is looked up beside it). */
const char *probe_btf_path(void);
/* MEMVIRT_TRACE_SKIP=event,event,...: this probe is left out. */
bool probe_excluded(const struct probe_def *p);

/*
 * Kernel BTF: vmlinux, and the split BTF of modules (DIR/MODULE beside
 * vmlinux's file), each parsed on first need. Where KVM is a module its
 * tracepoints' types (btf_trace_kvm_*) are in DIR/kvm, not in vmlinux.
 */
struct kbtf;

/* Parse @vmlinux_path; NULL with errno set when it cannot be read. */
struct kbtf *kbtf__open(const char *vmlinux_path);
void kbtf__free(struct kbtf *kb);
/*
 * Where the raw tracepoint type btf_trace_@event is: "vmlinux", the module's
 * name (KVM's systems look in module kvm first), or NULL when in none.
 */
const char *kbtf__find_tracepoint(struct kbtf *kb, const char *system, const char *event);
/* vmlinux has a FUNC @name (an fentry/fexit target) / a struct @name. */
bool kbtf__has_func(struct kbtf *kb, const char *name);
bool kbtf__has_struct(struct kbtf *kb, const char *name);

/*
 * libbpf's messages through the project's log (libbpf_set_print), each line
 * whole: a rejected program's verifier log is shown to its end (the last
 * lines, with the reason, always; every line with -v). The program libbpf
 * last failed to load and the verifier's reason are kept for the caller.
 */
void probe_log_install(void);
/* The callback itself (tests feed it messages). */
int probe_log_print(enum libbpf_print_level level, const char *fmt, va_list ap);
/* The program that failed to load since the last reset ("" if none) and why. */
const char *probe_log_failed_prog(void);
const char *probe_log_reason(void);
void probe_log_reset(void);

#endif
