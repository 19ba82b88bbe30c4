/* SPDX-License-Identifier: GPL-2.0 */
/* One workload run: options, validation, the run itself and its record. Used by run and demo. */
#ifndef MEMVIRT_RUNNER_H
#define MEMVIRT_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "host/kvmreload.h"
#include "vmm/vmm.h"

struct run_config {
	struct wl_params wl;
	uint64_t mem_size;
	enum vm_backing backing;
	double timeout_s;
	char out_dir[512];
	const char *kernel_path;
	const char *program_path;
	bool json;
	bool console;
	bool verify;
	bool quiet; /* no human summary (demo prints its own table) */
	enum run_paging { RUN_PAGING_AUTO, RUN_PAGING_SHADOW, RUN_PAGING_TDP } paging;
#define RUN_MAX_TRANSLATE 64
	uint64_t translate[RUN_MAX_TRANSLATE]; /* --translate GVAs */
	unsigned nr_translate;
	unsigned translate_sample; /* --translate-sample N over the footprint */
	bool reload_kvm;	   /* --reload-kvm: switch the host's MMU mode to --paging's */
	/* Called with the stopped VM before it is destroyed (explain reads its final state). */
	void (*inspect)(struct vm *vm, void *ctx);
	void *inspect_ctx;
	uint64_t ring_size; /* --ring-size: event ring slot bytes; 0: --no-events */
	bool chains;	    /* --chains: a GVA->GPA->HVA->HPA chain per guest fault */
	bool trace;	    /* --trace: eBPF capture of this process into OUT/events.mvev */
	bool trace_all;	    /* --trace-all: ... with a record per emulator walk and instruction */
};

struct run_outcome {
	struct vm_result res;
	bool started;
	bool verify_done, verified;
	uint64_t expected_checksum;
	uint64_t wall_ns;
	struct vm_chain chains[2 * RUN_MAX_TRANSLATE];
	unsigned nr_chains;
	struct kvm_reload reload;     /* what --reload-kvm did */
	const struct host_info *host; /* the host as the run saw it, after any reload */
	char events_path[600];	      /* OUT/events.mvev once written, else empty */
	bool traced;		      /* --trace captured: records and drops below */
	uint64_t trace_records, trace_dropped;
	char error[640];
	int status; /* process exit status */
};

void run_config_defaults(struct run_config *c, enum wl_kind kind);
/* Check sizes and combinations; one line in @err naming the fix. 0 or -EINVAL. */
int run_config_validate(const struct run_config *c, char *err, size_t errlen);
/* "auto", "shadow", "tdp"; parse returns -1 for anything else. */
const char *run_paging_name(enum run_paging p);
int run_paging_parse(const char *s);

/*
 * The workload and VM options 'run' and 'explain' share: their getopt_long
 * values, and the entries of their option tables. A command numbers its own
 * options from RO__COUNT and keeps every value in one array indexed by them.
 */
enum run_common_opt {
	RO_FOOT,
	RO_ITERS,
	RO_PSIZE,
	RO_MEM,
	RO_SEED,
	RO_STRIDE,
	RO_NPROC,
	RO_OUT,
	RO_KERNEL,
	RO_PROGRAM,
	RO_PAGING,
	RO_BACKING,
	RO_RELOAD,
	RO__COUNT
};

/* clang-format off */
#define RUN_COMMON_LONG_OPTIONS \
	{"footprint", required_argument, 0, RO_FOOT}, \
	{"iters", required_argument, 0, RO_ITERS}, \
	{"page-size", required_argument, 0, RO_PSIZE}, \
	{"mem", required_argument, 0, RO_MEM}, \
	{"seed", required_argument, 0, RO_SEED}, \
	{"stride", required_argument, 0, RO_STRIDE}, \
	{"nproc", required_argument, 0, RO_NPROC}, \
	{"out", required_argument, 0, RO_OUT}, \
	{"kernel", required_argument, 0, RO_KERNEL}, \
	{"program", required_argument, 0, RO_PROGRAM}, \
	{"paging", required_argument, 0, RO_PAGING}, \
	{"backing", required_argument, 0, RO_BACKING}, \
	{"reload-kvm", no_argument, 0, RO_RELOAD}
/* clang-format on */

/* Apply the values @v[RO_*] (NULL: not given) to @c; a bad value is one error line naming
 * 'memvirt @cmd --help', exit 2. */
void run_apply_common(const char *cmd, struct run_config *c, const char *const *v);
/*
 * The run's event file OUT/events.mvev, one writer shared by every source
 * (the guest event channel, the tracer). NULL when no source is on, or on
 * error (then o->error says why).
 */
struct ev_writer *run_events_open(const struct run_config *c, struct run_outcome *o);
/* Run, verify, write OUT/run.json. Fills @o; returns o->status. */
int run_execute(const struct run_config *c, struct run_outcome *o);
/* Print the human summary of a finished run. */
void run_print_summary(const struct run_config *c, const struct run_outcome *o);

#endif
