/* SPDX-License-Identifier: GPL-2.0 */
/*
 * 'memvirt validate' (docs/validation.md): workloads run for real under KVM, the same runs
 * replayed through the simulator's model, and KVM's counters held against the model's.
 */
#ifndef MEMVIRT_VALIDATE_H
#define MEMVIRT_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run/run.h"
#include "sim/sim.h"

/* Which of KVM's MMUs is compared: its shadow MMU, or two-dimensional paging (NPT/EPT). */
enum validate_mode { VALIDATE_SHADOW, VALIDATE_NESTED };

/* The relative error the model claims for its exact counters. */
#define VALIDATE_TOLERANCE 0.02

#define VALIDATE_MAX_WORKLOADS 8
#define VALIDATE_MAX_ROWS      24

/* How a counter is held against KVM's. */
enum validate_claim {
	VALIDATE_EXACT,	   /* the model claims KVM's value, within VALIDATE_TOLERANCE */
	VALIDATE_NET,	   /* the same for the workload's part: both sides less the idle VM's */
	VALIDATE_COMPARED, /* compared and reported, no claim (docs/validation.md says why) */
};

/* One counter of a mode: KVM's statistic and the model's value for it. */
struct validate_counter {
	const char *name;  /* KVM's binary statistic */
	const char *scope; /* "vm" or "vcpu" */
	enum validate_claim claim;
	const char *rule; /* why the model's value is KVM's, for exact counters */
};

/*
 * The idle VM: a nop run (the guest kernel boots, the program starts and exits) and its
 * replay. Its counts are what the guest kernel's own pages cost, which the model does not
 * replay; subtracted from a workload's on both sides, they leave the workload's part.
 */
struct validate_base {
	const struct vm_stat *kvm;
	unsigned nkvm;
	const struct sim_mode_result *model;
};

/* One (workload, counter) comparison. */
struct validate_row {
	const struct validate_counter *counter;
	bool have_kvm, have_model; /* a counter KVM or the model does not have is missing */
	uint64_t kvm, model;
	bool rel_defined; /* false: a counter is missing, or KVM's is 0 and the model's not */
	double rel_err;	  /* |model - kvm| / kvm; 0 when both are 0 */
	/* net of the idle VM's counts, when a baseline was given and both sides have it */
	bool have_net;
	int64_t kvm_net, model_net;
	bool net_defined; /* false: KVM's net is 0 and the model's not, or no baseline */
	double net_err;	  /* |model_net - kvm_net| / |kvm_net| */
	bool ok;	  /* exact counters: within VALIDATE_TOLERANCE; others: true */
};

/* The counters of @mode, in the order they are reported. */
const struct validate_counter *validate_counters(enum validate_mode mode, size_t *n);
/* |model - kvm| / kvm in *rel; false when undefined (kvm 0, model not). */
bool validate_rel_err(uint64_t kvm, uint64_t model, double *rel);
/*
 * One row per counter of @mode from KVM's statistics (@kvm, @nkvm of them, as run.json's
 * kvm_stats) and the model's result for the same run (@model, NULL when there is none), with
 * net values when @base (the idle VM's, or NULL) is given. VALIDATE_NET counters are judged
 * on their net values, and not judged without a baseline. Returns the number of rows
 * written (at most @max).
 */
size_t validate_compare(enum validate_mode mode, const struct vm_stat *kvm, unsigned nkvm,
			const struct sim_mode_result *model, const struct validate_base *base,
			struct validate_row *rows, size_t max);

/* What to validate. */
struct validate_config {
	enum validate_mode mode;
	enum wl_kind workloads[VALIDATE_MAX_WORKLOADS];
	unsigned nworkloads;
	uint64_t footprint; /* bytes; 0: each workload's validation default */
	uint64_t mem;	    /* guest memory, bytes */
	const char *kernel_path, *program_path;
	char out_dir[512]; /* each workload's run goes to OUT/WORKLOAD */
	const char *preset;
};

/* One workload: its run and the comparison. */
struct validate_result {
	enum wl_kind workload;
	bool replayable;
	struct run_outcome *run; /* owned by the result */
	struct sim_input_stats in;
	struct sim_mode_result model;
	bool replayed; /* model holds the replay's result */
	struct validate_row rows[VALIDATE_MAX_ROWS];
	size_t nrows;
	char error[640]; /* the run's or the replay's failure, one line; empty when fine */
};

/* Whether the simulator replays @kind's run (its event file): every workload but crash. */
bool validate_replayable(enum wl_kind kind);
/* The run configuration used for @kind (small footprints: the lab emulates the CPU). */
void validate_run_config(const struct validate_config *vc, enum wl_kind kind,
			 struct run_config *rc);
/*
 * Run @kind under KVM as 'memvirt run' does, replay it through the model in the mode's paging
 * (the workload's every access with the event file's records, sim's SIM_IN_REPLAY), compare,
 * net of @base's counts when @base (a nop's result) is not NULL. Returns the run's failure
 * kind (RUN_OK when it ran); a replay failure is in r->error with RUN_OK returned and
 * r->nrows rows with the model missing.
 */
enum run_fail validate_workload(const struct validate_config *vc, enum wl_kind kind,
				const struct validate_result *base, struct validate_result *r);
void validate_result_free(struct validate_result *r);

#endif
