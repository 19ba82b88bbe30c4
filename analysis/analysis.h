/* SPDX-License-Identifier: GPL-2.0 */
/*
 * analysis/: what is read out of an event file rather than captured into one:
 * statistics ('trace stat'), printing ('trace dump'), its filters and decoders.
 * The format, reader and writer stay in trace/evfile.h.
 */
#ifndef MEMVIRT_ANALYSIS_H
#define MEMVIRT_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "trace/evfile.h"

/* ---- statistics (analysis/evstat.c) ---- */

/*
 * Latency between paired events, ns: n, min, max and avg exact; p50 and p99
 * nearest-rank over every sample, read from a log-linear histogram
 * (analysis/pcthist.h): never below the exact value, above it by less than
 * PCT_HIST_REL_ERROR (2^-7) of it.
 */
struct ev_latency {
	uint64_t n, min, max, p50, p99;
	double avg;
};

enum ev_pair {
	EV_PAIR_EXIT_ENTRY, /* kvm_exit -> next kvm_entry on the same cpu */
	EV_PAIR_WALK_SPTE,  /* kvm_mmu_walk -> next kvm_mmu_set_spte on the same cpu */
	EV_PAIR_COUNT
};

/* Shadow MMU pages, from the kvm_mmu_* records. */
struct ev_shadow_counts {
	uint64_t get_page; /* kvm_mmu_get_page records */
	uint64_t created;  /* ... with created != 0 */
	uint64_t synced, unsynced, zapped;
};

#define EV_STAT_MAX_LEVELS 8 /* walk-length histogram: 0..7 levels, 8 = more */

/* KVM exits of one reason (the kvm_exit records' isa and exit_code). */
struct ev_exit_stat {
	unsigned isa;	/* 1 VMX, 2 SVM */
	uint64_t code;	/* VMX exit reason or SVM exit code */
	uint64_t count; /* kvm_exit records */
	uint64_t lat_n; /* ... followed by a kvm_entry on the same vCPU */
	uint64_t min_ns, max_ns;
	double sum_ns; /* exit-to-entry time, summed */
};

/* Distributions kept as log2 histograms over every sample (analysis/hist.h). */
enum ev_stat_hist {
	EV_HIST_EXIT_ENTRY = EV_PAIR_EXIT_ENTRY, /* ns */
	EV_HIST_WALK_SPTE = EV_PAIR_WALK_SPTE,	 /* ns */
	EV_HIST_WALK_LEVELS,			 /* paging elements read per KVM walk */
	EV_HIST_COUNT
};

struct ev_stat;
struct log2_hist;
/*
 * Read the rest of @r into statistics. Returns 0, or -1 when the file is bad
 * or truncated (ev_reader_error says why; *s still holds what was read).
 * Returns -ENOMEM with *s NULL when out of memory.
 */
int ev_stat_read(struct ev_reader *r, struct ev_stat **s);
void ev_stat_free(struct ev_stat *s);
uint64_t ev_stat_count(const struct ev_stat *s, const char *type_name);
uint64_t ev_stat_cpu_count(const struct ev_stat *s, unsigned source, unsigned cpu);
uint64_t ev_stat_walk_levels(const struct ev_stat *s, unsigned levels);
void ev_stat_latency(const struct ev_stat *s, enum ev_pair pair, struct ev_latency *out);
void ev_stat_shadow(const struct ev_stat *s, struct ev_shadow_counts *out);
/* Exit reasons, most frequent first; *n of them (valid until ev_stat_free). */
const struct ev_exit_stat *ev_stat_exits(const struct ev_stat *s, size_t *n);
/* kvm_exit records whose file has no exit_code (or reason_known 0). */
uint64_t ev_stat_exits_unknown(const struct ev_stat *s);
const struct log2_hist *ev_stat_hist(const struct ev_stat *s, enum ev_stat_hist which);
uint64_t ev_stat_dropped(const struct ev_stat *s, enum ev_source source);
/* Join counts for the report (see analysis/join.h): guest faults, with a KVM walk, with a host
 * fault.
 */
void ev_stat_set_join(struct ev_stat *s, uint64_t faults, uint64_t with_walk, uint64_t with_host);
/* The report, as text or JSON; @error is the reader's error or NULL. */
void ev_stat_write(const struct ev_stat *s, FILE *out, bool json, const char *error);
/*
 * 'memvirt trace stat FILE': read @path, join and print. Returns 0, -EINVAL
 * for a bad file (the report of what was read is printed, then one error
 * line through pr_err), or -errno.
 */
int ev_stat_print(const char *path, FILE *out, bool json);

/* ---- printing (analysis/evdump.c) ---- */

enum ev_dump_format {
	EV_DUMP_TEXT,	    /* one line per record */
	EV_DUMP_CSV,	    /* long format: one row per field */
	EV_DUMP_PERFETTO,   /* Chrome trace-event JSON */
	EV_DUMP_CSV_TABLES, /* one wide table per record type, "# type NAME" before each */
};
/* Print one record's fields as "name=value ..." into @buf (always NUL-terminated). */
void ev_format_fields(const struct ev_record *rec, char *buf, size_t len);
/*
 * Print the rest of @r to @out. Returns 0, -1 when the file is bad or
 * truncated (ev_reader_error says why; what was read is printed, and the
 * perfetto JSON is still closed), or -errno for an output error.
 */
int ev_dump(struct ev_reader *r, FILE *out, enum ev_dump_format fmt);
/*
 * ev_dump, and for EV_DUMP_PERFETTO a slice per joined guest fault of @join
 * (analysis/join.h; NULL for none) on the guest vCPU's track: from the guest
 * fault to the last of the KVM walk, shadow entry and host fault that served it.
 */
struct ev_join;
int ev_dump_joined(struct ev_reader *r, FILE *out, enum ev_dump_format fmt,
		   const struct ev_join *join);

/* ---- selecting and decoding for 'trace dump' (analysis/evfilter.c) ---- */

#define EV_FILTER_MAX_TYPES 16

/* Records a dump prints: all conditions given hold (zeroed: every record). */
struct ev_dump_filter {
	char types[EV_FILTER_MAX_TYPES][EV_NAME_LEN + 1]; /* type names, any of them */
	unsigned ntypes;
	bool has_cpu, has_since, has_until, has_gva;
	uint16_t cpu;		 /* the record header's cpu */
	uint64_t since, until;	 /* time_ns (CLOCK_MONOTONIC ns, as printed), inclusive */
	uint64_t gva_lo, gva_hi; /* [gva_lo, gva_hi) of the field ev_gva_field() names */
};

/*
 * Set filter @opt ("type", "cpu", "since", "until", "gva") from the text
 * @val. Returns 0, or -EINVAL with one line saying why in @err.
 */
int ev_dump_filter_set(struct ev_dump_filter *f, const char *opt, const char *val, char *err,
		       size_t len);
bool ev_dump_filter_active(const struct ev_dump_filter *f);
/* Does @rec, at @time_ns (ev_clock_ns), pass @f (NULL passes everything)? */
bool ev_dump_filter_match(const struct ev_dump_filter *f, const struct ev_record *rec,
			  uint64_t time_ns);
/* The field of @rec that --gva tests, or -1 (see docs/trace-format.md). */
int ev_gva_field(const struct ev_record *rec);
/*
 * A name for the value of field @f of @rec, into @buf: exit reasons, error
 * code bits, shadow page roles. False when the field has none.
 */
bool ev_decode_field(const struct ev_record *rec, int f, char *buf, size_t len);
/*
 * ev_dump_joined with only the records @filter passes (NULL: all), and
 * EV_DUMP_CSV_TABLES: one wide table per type.
 */
int ev_dump_filtered(struct ev_reader *r, FILE *out, enum ev_dump_format fmt,
		     const struct ev_join *join, const struct ev_dump_filter *filter);

#endif
