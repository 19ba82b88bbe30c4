/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One workload run: its configuration, the run itself (host checks, the VM,
 * verification) and its record in OUT/run.json. Used by run, explain and demo.
 */
#ifndef MEMVIRT_RUN_H
#define MEMVIRT_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "host/host.h"
#include "vmm/vmm.h"

/* The MMU mode a run asks of the host's KVM (--paging). */
enum run_paging { RUN_PAGING_AUTO, RUN_PAGING_SHADOW, RUN_PAGING_TDP };

#define RUN_MAX_TRANSLATE 64

struct run_config {
	/*
	 * The VM: workload, guest memory and its backing, images, timeout, the
	 * event ring (ev_ring_bytes 0: --no-events) and --chains (ev_chains),
	 * console_stdout (--console). The run sets console_path (OUT/console.log)
	 * and events (OUT/events.mvev) itself, and kvm_path from
	 * MEMVIRT_KVM_DEVICE when it is NULL.
	 */
	struct vm_config vm;
	char out_dir[512];
	bool json;   /* print run.json to stdout */
	bool verify; /* replay the workload on the host and compare checksums */
	bool quiet;  /* no human summary (demo prints its own table) */
	enum run_paging paging;
	uint64_t translate[RUN_MAX_TRANSLATE]; /* --translate GVAs */
	unsigned nr_translate;
	unsigned translate_sample; /* --translate-sample N over the footprint */
	bool reload_kvm;	   /* --reload-kvm: switch the host's MMU mode to --paging's */
	/* Called with the stopped VM before it is destroyed (explain reads its final state). */
	void (*inspect)(struct vm *vm, void *ctx);
	void *inspect_ctx;
	bool trace;	/* --trace: eBPF capture of this process into OUT/events.mvev */
	bool trace_all; /* --trace-all: ... with a record per emulator walk and instruction */
};

/*
 * Why a run failed. The host kinds are what the host lacks or refuses, the
 * guest kinds what went wrong in or with the guest; the command line turns a
 * kind into its exit status.
 */
enum run_fail {
	RUN_OK,
	RUN_FAIL_HOST_NO_KVM,	 /* no usable KVM device: missing, no permission, API version */
	RUN_FAIL_HOST_KVM,	 /* the host's KVM lacks what the guest needs (1G pages) */
	RUN_FAIL_HOST_PAGING,	 /* the host's KVM uses the other MMU mode than --paging */
	RUN_FAIL_HOST_RELOAD,	 /* --reload-kvm was refused or failed */
	RUN_FAIL_HOST_BACKING,	 /* the host memory --backing asks for is not there */
	RUN_FAIL_HOST_TRACE,	 /* --trace: the eBPF capture cannot start */
	RUN_FAIL_HOST_IO,	 /* the output directory, event file or run.json */
	RUN_FAIL_GUEST_IMAGE,	 /* a guest image is unreadable, no valid ELF, or does not fit */
	RUN_FAIL_VM_SETUP,	 /* building the VM: a KVM call, the event ring, console.log */
	RUN_FAIL_GUEST_CRASH,	 /* crash, triple fault, halt, or the VMM stopped the guest */
	RUN_FAIL_GUEST_TIMEOUT,	 /* --timeout elapsed */
	RUN_FAIL_GUEST_EXIT,	 /* the workload failed, or exited without a result */
	RUN_FAIL_GUEST_CHECKSUM, /* its checksum is not the host replay's */
	RUN_FAIL_SIGNAL,	 /* SIGINT or SIGTERM stopped the run */
};

struct run_outcome {
	struct vm_result res;
	bool started;
	bool verify_done, verified;
	uint64_t expected_checksum;
	uint64_t wall_ns;
	struct vm_chain chains[2 * RUN_MAX_TRANSLATE];
	unsigned nr_chains;
	struct kvm_reload reload; /* what --reload-kvm did */
	struct host_info host;	  /* the host as the run saw it, after any reload */
	char events_path[600];	  /* OUT/events.mvev once written, else empty */
	bool traced;		  /* --trace captured: records and drops below */
	uint64_t trace_records, trace_dropped;
	enum run_fail fail;
	char error[640]; /* one line when fail is not RUN_OK */
	bool recorded;	 /* OUT/run.json written at the end, whatever the outcome */
};

/* Defaults for workload @kind: 256M of anonymous memory, a 1M event ring, verified. */
void run_config_defaults(struct run_config *c, enum wl_kind kind);
/* Check sizes and combinations; one line in @err naming the fix. 0 or -EINVAL. */
int run_config_validate(const struct run_config *c, char *err, size_t errlen);
/* "auto", "shadow", "tdp"; parse returns -1 for anything else. */
const char *run_paging_name(enum run_paging p);
int run_paging_parse(const char *s);

/*
 * Check the host, run, verify, write OUT/run.json (and print it with
 * c->json). Fills @o, which the caller owns; returns o->fail.
 */
enum run_fail run_execute(const struct run_config *c, struct run_outcome *o);

#endif
