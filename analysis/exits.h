/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM exits by reason for 'trace stat', as perf kvm stat report shows them:
 * per (vendor, exit code) the count and the kvm_exit -> kvm_entry time.
 */
#ifndef MEMVIRT_EXITS_H
#define MEMVIRT_EXITS_H

#include <stdint.h>
#include <stdio.h>

#include "analysis/analysis.h"
#include "trace/evfile.h"

struct json;
struct exit_table;

/* NULL (errno set) when out of memory. */
struct exit_table *exit_table__new(void);
void exit_table__free(struct exit_table *t);
/* Count a kvm_exit record by its isa and exit_code; its vCPU waits for a kvm_entry. */
void exit_table__exit(struct exit_table *t, const struct ev_record *rec);
/* The kvm_entry on @cpu came @ns after its exit (-1: no exit was pending). */
void exit_table__entry(struct exit_table *t, uint16_t cpu, int64_t ns);
/* Most frequent first; call once reading ends (pending exits are forgotten). */
void exit_table__sort(struct exit_table *t);
const struct ev_exit_stat *exit_table__rows(const struct exit_table *t, size_t *n);
uint64_t exit_table__unknown(const struct exit_table *t);
void exit_table__print(const struct exit_table *t, FILE *out);
/* "exits": {"vendor", "without_reason", "reasons": [...]}. */
void exit_table__json(const struct exit_table *t, struct json *j);

#endif
