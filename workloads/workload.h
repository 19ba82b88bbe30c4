/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Workload generators, compiled twice: freestanding into the guest program
 * and hosted into memvirt (checksum verification, simulator address
 * streams). No libc, no host dependency: memory comes through struct wl_env.
 */
#ifndef MEMVIRT_WORKLOAD_H
#define MEMVIRT_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wl_kind {
	WL_NOP,	     /* returns at once: start-up cost */
	WL_SEQ,	     /* sequential scan, one 8-byte read-modify-write per 64-byte line */
	WL_STRIDE,   /* one read-modify-write every `stride` bytes */
	WL_RANDOM,   /* uniform random 8-byte reads */
	WL_CHASE,    /* pointer chase through one random cycle, one element per 4K page */
	WL_GUPS,     /* random 8-byte read-modify-write (xor) */
	WL_CHURN,    /* mmap, touch, munmap repeatedly: page-table update heavy */
	WL_PINGPONG, /* processes alternately touch private buffers: CR3 switches */
	WL_CRASH,    /* writes to an unmapped address: a guest crash on purpose */
	WL_TOUCH,    /* one 8-byte store per 4K page in order, then one load per page */
	WL__COUNT,
};

#define WL_LINE 64ULL

struct wl_params {
	uint32_t kind;
	uint32_t nproc;	    /* pingpong: processes besides the driver (>= 1) */
	uint64_t footprint; /* bytes of the data region */
	/* passes (seq, stride, churn, pingpong, touch) or accesses (random, chase, gups) */
	uint64_t iters;
	uint64_t page_size; /* guest page size for the data region: 4K, 2M, 1G or WL_PAGE_MIXED */
	uint64_t seed;
	uint64_t stride; /* bytes, stride workload */
	/*
	 * Guest only (memvirt run --populate): every data mapping is mapped at
	 * mmap time through the VMM (MV_MAP_POPULATE), so first touches take no
	 * guest fault. Results do not depend on it.
	 */
	bool populate;
};

struct wl_result {
	uint64_t checksum;
	uint64_t accesses; /* 8-byte loads and stores the workload made to its data region */
};

/*
 * page_size of a data region in two page sizes within one run (--page-size
 * mixed): one contiguous virtual range whose first wl_mixed_2m_bytes() bytes
 * are mapped with 2M pages and the rest with 4K pages. The value is the set
 * of the two sizes, so "larger than 4K" tests (alignment slack) still hold;
 * it is not a size to divide by.
 */
#define WL_PAGE_MIXED ((2ULL << 20) | 4096ULL)

/* The 2M part of a mixed region: half the footprint, rounded down to 2M (0 below 4M). */
static inline uint64_t wl_mixed_2m_bytes(uint64_t footprint)
{
	return (footprint / 2) & ~((2ULL << 20) - 1);
}

/* Memory and scheduling the workload needs from its host (guest kernel or memvirt). */
struct wl_env {
	void *ctx;
	/* Map @len zero-filled bytes with @page_size pages; NULL on failure. */
	void *(*map)(void *ctx, uint64_t len, uint64_t page_size);
	int (*unmap)(void *ctx, void *addr, uint64_t len);
	/*
	 * Only in the traced build (wl_run_traced): called before every 8-byte
	 * data access the workload makes, with the address it uses.
	 */
	void (*trace)(void *ctx, const void *addr, int is_write);
	/*
	 * Only in the traced build, and only when set: called with an enum wl_phase where the
	 * workload's accesses change role (the simulator counts the measured ones alone).
	 */
	void (*phase)(void *ctx, int phase);
};

/*
 * The parts of a workload's accesses: its set-up (a chase builds its cycle), its measured
 * region (what the workload is for; every workload has one, from its start unless it has a
 * set-up), and its check after it (gups reads back a sample of its table, touch one word
 * per page).
 */
enum wl_phase {
	WL_PHASE_SETUP,
	WL_PHASE_MEASURED,
	WL_PHASE_CHECK,
};

/*
 * Map a data region of @p (p->footprint bytes, zero-filled) through @env:
 * one mapping of p->page_size pages, or for WL_PAGE_MIXED a 2M mapping and
 * a 4K mapping right after it (the guest kernel places mappings in order,
 * each aligned to its page size). NULL on failure, or if the two parts of
 * a mixed region are not contiguous.
 */
void *wl_map_data(const struct wl_params *p, struct wl_env *env);

/* Name, one-line description and parsing. */
const char *wl_name(enum wl_kind kind);
const char *wl_describe(enum wl_kind kind);
int wl_from_name(const char *name); /* kind, or -1 */
/* "4K", "2M", "1G", "mixed" for a page_size value; "?" otherwise. */
const char *wl_page_size_name(uint64_t page_size);

/* Defaults for a kind: footprint, iterations, stride. */
void wl_defaults(struct wl_params *p, enum wl_kind kind);

/* The largest data region: the largest guest memory 'memvirt run' gives (--mem 64G). */
#define WL_FOOTPRINT_MAX (64ULL << 30)

/*
 * Hosted only: the one check of a workload's parameters, for options and for
 * values read back from a file alike: a known kind, a page size, a footprint
 * that is a multiple of it and at most WL_FOOTPRINT_MAX, what each generator
 * needs (chase two pages, stride a multiple of 8 up to the footprint, iters
 * at least 1, pingpong's nproc). Each parameter is named @pre then its name
 * ("--" gives the option, "" the field). 0, or -EINVAL with one line in @err.
 */
int wl_params_check(const struct wl_params *p, const char *pre, char *err, size_t errlen);

/*
 * Run the workload over @buf (footprint bytes, zero-filled, mapped by the
 * caller with p->page_size pages) except churn (maps its own) and pingpong
 * (see wl_pingpong_round). Returns 0, or a negative code if env failed.
 */
int wl_run(const struct wl_params *p, void *buf, struct wl_env *env, struct wl_result *r);

/*
 * One round of process @proc (1-based) of a pingpong workload over its
 * private buffer @buf (footprint bytes). Rounds run in order 0..iters-1 for
 * each process; the checksum is the sum over processes of the round values.
 */
uint64_t wl_pingpong_round(const struct wl_params *p, uint32_t proc, uint64_t round, void *buf);

/*
 * The 8-byte loads and stores the workload of @p makes to its data region (wl_result's
 * accesses), known before it runs: pingpong's over all its processes, a chase's and gups's
 * and touch's with their set-up and check. 0 for nop.
 */
uint64_t wl_accesses(const struct wl_params *p);

/*
 * The traced build: the same generators, compiled again with a trace hook
 * on every data access, for the simulator. Same results, same checksums.
 */
int wl_run_traced(const struct wl_params *p, void *buf, struct wl_env *env, struct wl_result *r);
uint64_t wl_pingpong_round_traced(const struct wl_params *p, uint32_t proc, uint64_t round,
				  void *buf, struct wl_env *env);

/*
 * Hosted only: replay the workload over host memory for the checksum a
 * correct guest run reports. 0 or -ENOMEM.
 */
int wl_expected(const struct wl_params *p, struct wl_result *r);

/* splitmix64: the one random generator of every workload. */
static inline uint64_t wl_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
