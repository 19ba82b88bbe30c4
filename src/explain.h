/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What 'memvirt explain' shares between its two sources of page tables: a live guest
 * stopped at the end of its run (cmd_explain.c) and a recorded run directory read offline
 * (explain_run.c). The addresses, their access kinds, and the text of the guest's levels.
 */
#ifndef MEMVIRT_SRC_EXPLAIN_H
#define MEMVIRT_SRC_EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "src/run_cli.h"

#define EXPLAIN_MAX 32

struct explain_addr {
	gva_t gva;
	const char *label;  /* why this address: "code page", ...; NULL for a requested one */
	char label_buf[96]; /* a label made for this address (label points here) */
	int access;	    /* index into the access kinds, -1: by address half */
	struct vm_chain chain;
	int ret; /* the walk's */
	/* Offline: the guest kernel's own log of a fault on this page (events.mvev). */
	bool logged;
	uint64_t log_gpa, log_offset;
	unsigned log_shift;
};

struct explain {
	struct explain_addr addr[EXPLAIN_MAX];
	unsigned n;
	bool defaults; /* no GVA given: pick instructive ones */
	int access;    /* --access, -1 when not given */
	bool inspected;
	const struct run_config *cfg;
	const char *run_dir; /* --run DIR (or --sample): explain a recorded run offline */
};

/* The access an address is checked as (WALK_ACC_*), and its name ("user-read", ...). */
unsigned explain_acc_of(const struct explain_addr *a);
const char *explain_acc_name(const struct explain_addr *a);
/* Append an address the command picked, checked as @acc unless --access says otherwise. */
struct explain_addr *explain_add(struct explain *e, gva_t gva, const char *label, unsigned acc);
/* "PTE", "PDE", ... for a level 1..5. */
const char *explain_level_name(unsigned level);

/*
 * The label line, the GVA with its index fields, and each guest level read from CR3
 * (@from: where the tables are, NULL for a live guest); for an address that does not
 * translate, the fault. The caller prints the GPA and what lies below it.
 */
void explain_print_guest(const struct explain_addr *a, const char *from);

/* memvirt explain --run: the exit status. */
int explain_run(struct explain *e, bool json);

#endif
