/* SPDX-License-Identifier: GPL-2.0 */
/* The address-translation model: page tables, walker, TLBs, page-walk caches, cost model,
 * simulator. */
#ifndef MEMVIRT_MMU_H
#define MEMVIRT_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/x86.h"

struct json;

/* ------------------------------------------------------------------------------------------ */
/* Page sizes the model maps (x86/x86.h holds the entry format and index arithmetic). */

enum page_size {
	PAGE_4K,
	PAGE_2M,
	PAGE_1G,
	PAGE_SIZES,
};

static inline unsigned page_size_shift(enum page_size ps)
{
	return pt_level_shift((unsigned)ps + 1);
}

static inline uint64_t page_size_bytes(enum page_size ps)
{
	return 1ULL << page_size_shift(ps);
}

const char *page_size_name(enum page_size ps); /* "4K", "2M", "1G" */

/*
 * Canonical addresses (SDM Vol. 1 §3.3.7.1; Vol. 3A §4.5): bits 63:47 (4-level)
 * or 63:56 (5-level) all equal. A non-canonical access raises #GP, not #PF, and
 * is refused before any TLB lookup.
 */
static inline bool va_canonical(uint64_t va, unsigned levels)
{
	unsigned bits = levels == 5 ? 57 : 48;
	int64_t s = (int64_t)(va << (64 - bits)) >> (64 - bits);

	return (uint64_t)s == va;
}

/* ------------------------------------------------------------------------------------------ */
/* Physical memory that page tables live in. */

/*
 * Any memory the walker can read tables from: a guest RAM mapping (addressed by
 * GPA, with bounds checks), or a sparse simulated memory (struct ptmem).
 * read64/write64 take an 8-byte aligned physical address in the memory's own
 * space and return 0 or -errno (-EFAULT outside the memory).
 */
struct pt_mem_ops {
	int (*read64)(void *ctx, uint64_t pa, uint64_t *val);
	int (*write64)(void *ctx, uint64_t pa, uint64_t val);
	/* Optional (may be NULL): a hint that @pa will be read soon; no effect on contents. */
	void (*prefetch)(void *ctx, uint64_t pa);
};

struct pt_mem {
	const struct pt_mem_ops *ops;
	void *ctx;
};

/*
 * Sparse simulated physical memory: 4K frames created on first write (reads of
 * untouched frames return 0), addresses below a limit, and a frame allocator
 * for page tables (bump allocator from @alloc_base unless a policy hook is set).
 */
struct ptmem;

/* Frame-allocation policy: return 0 and a 4K-aligned address in *pa, or -errno. */
typedef int (*ptmem_alloc_fn)(void *ctx, uint64_t *pa);

struct ptmem *ptmem__new(uint64_t limit, uint64_t alloc_base);
void ptmem__free(struct ptmem *m);
const struct pt_mem *ptmem__mem(struct ptmem *m);
void ptmem__set_alloc(struct ptmem *m, ptmem_alloc_fn fn, void *ctx);
/* A new zeroed 4K frame for a table. */
int ptmem__alloc_frame(struct ptmem *m, uint64_t *pa);
int ptmem__read64(struct ptmem *m, uint64_t pa, uint64_t *val);
int ptmem__write64(struct ptmem *m, uint64_t pa, uint64_t val);
uint64_t ptmem__frames(const struct ptmem *m); /* frames materialised so far */

/* ------------------------------------------------------------------------------------------ */
/* Table memory in one flat buffer: guest RAM as the VMM maps it, or a test's array. */

/*
 * Physical address pa is base[pa]; every 8-byte access is bounds-checked
 * against @size (-EFAULT outside). The optional @table_ok refuses (-EFAULT)
 * any access to a 4K table its owner may not read or write: when the tables
 * belong to an untrusted guest, an entry may point anywhere. Loads and stores
 * are single 8-byte atomics, as the MMU reads entries. Initialise in place
 * and do not move it: its pt_mem points at it.
 */
struct pt_ram {
	struct pt_mem mem;
	uint8_t *base;
	uint64_t size;
	bool (*table_ok)(void *ctx, uint64_t table);
	void *ctx;
};

void pt_ram__init(struct pt_ram *r, void *base, uint64_t size,
		  bool (*table_ok)(void *ctx, uint64_t table), void *ctx);
const struct pt_mem *pt_ram__mem(const struct pt_ram *r);
int pt_ram__read64(const struct pt_ram *r, uint64_t pa, uint64_t *val);
int pt_ram__write64(const struct pt_ram *r, uint64_t pa, uint64_t val);

/* ------------------------------------------------------------------------------------------ */
/* Page-table builder: the one descent that installs mappings, over any table memory. */

/* Table frames: 0 and a zeroed, 4K-aligned frame of the builder's memory in *pa, or -errno. */
struct pt_alloc {
	int (*alloc)(void *ctx, uint64_t *pa);
	void *ctx;
};

/*
 * One tree of x86-64 tables (SDM Vol. 3A §4.5): entries are read and written
 * only through @mem, so a checked memory refuses what its owner may not
 * touch; missing tables come from @alloc. New intermediate entries are
 * P|RW|US, so the leaf's bits alone decide access.
 */
struct pt_builder {
	const struct pt_mem *mem;
	struct pt_alloc alloc;
	uint64_t root;	 /* the top table (CR3 or EPTP target), 4K aligned */
	unsigned levels; /* 4, or 5 with CR4.LA57 */
	bool replace;	 /* a present leaf of the same size is overwritten, not refused */
};

/* Why a build stopped (or PT_STOP_NONE). */
enum pt_stop {
	PT_STOP_NONE,
	PT_STOP_HUGE,	/* -EEXIST: a larger leaf (PS) on the way already maps the address */
	PT_STOP_TABLE,	/* -EEXIST: a table sits where the 2M or 1G leaf goes */
	PT_STOP_MAPPED, /* -EEXIST: the leaf entry is present and replace is off */
	PT_STOP_ABSENT, /* -ENOENT (lookup): the entry on the way is not present */
	PT_STOP_FAULT,	/* the memory's error: it refused an access to the table */
	PT_STOP_ALLOC,	/* the allocator's error (or -EINVAL for a frame it cannot use) */
};

/*
 * One entry of a tree: where a build stopped, or the leaf a lookup found.
 * For PT_STOP_FAULT, @level and @table are the table the memory refused and
 * @entry is 0; for PT_STOP_ALLOC, the entry that would have pointed at the
 * new table.
 */
struct pt_slot {
	enum pt_stop stop;
	uint64_t va;	/* the address being mapped or looked up */
	unsigned level; /* 1 (PTE) .. 5 (PML5E) */
	uint64_t table; /* the table holding the entry */
	uint64_t addr;	/* the entry's address: table + 8 * pt_index(va, level) */
	uint64_t entry; /* the entry's value */
};

/*
 * Map [va, va + len) to [pa, pa + len) with leaves of @ps, making missing
 * tables. @flags are the leaf's bits other than address and PS (P is always
 * set, PS for 2M and 1G leaves; PAT goes in PTE_PAT_4K or PTE_PAT_LARGE).
 * 0, or -EINVAL (bad level count or page size, misaligned, wrapping, @pa
 * beyond bit 51), or the error of @at->stop with @at (may be NULL) filled;
 * entries before the failing one stay written.
 */
int pt_build__map(const struct pt_builder *b, uint64_t va, uint64_t pa, uint64_t len,
		  enum page_size ps, uint64_t flags, struct pt_slot *at);
/*
 * A dry run of pt_build__map over the tree as it stands: the same checks in
 * the same order, nothing allocated or written. 0 and in *tables the number
 * of tables the map would make, or the error the map would meet first.
 * (Conflicts the map itself would create, such as two entries sharing one
 * table, show only when it runs.)
 */
int pt_build__plan(const struct pt_builder *b, uint64_t va, uint64_t len, enum page_size ps,
		   uint64_t *tables, struct pt_slot *at);
/*
 * The leaf that maps @va (a present PTE, or a present PS entry above it)
 * into @at: 0, -ENOENT with @at at the first entry that is not present, or
 * the memory's error.
 */
int pt_build__lookup(const struct pt_builder *b, uint64_t va, struct pt_slot *at);

/* The same over a struct ptmem, tables from ptmem__alloc_frame, present leaves replaced. */

/* A new empty root table (CR3 target) in @m. */
int pt__new_root(struct ptmem *m, uint64_t *root);
/* pt_build__map of one page of @ps; -EEXIST for a larger leaf or a table in the way. */
int pt__map(struct ptmem *m, uint64_t root, uint64_t va, uint64_t pa, enum page_size ps,
	    uint64_t flags, unsigned levels);
/* pt_build__map over [va, va + len) in steps of @ps. */
int pt__map_range(struct ptmem *m, uint64_t root, uint64_t va, uint64_t pa, uint64_t len,
		  enum page_size ps, uint64_t flags, unsigned levels);
/* Clear the leaf that maps @va; returns 0 or -ENOENT. */
int pt__unmap(struct ptmem *m, uint64_t root, uint64_t va, unsigned levels);

/* ------------------------------------------------------------------------------------------ */
/* The walker (1D and 2D). */

/* The paging state a walk depends on (CR0.WP, CR4.SMEP/SMAP/LA57, EFER.NXE, MAXPHYADDR). */
struct walk_cpu {
	uint64_t root;	     /* CR3 (or nCR3/EPTP) table address, 4K aligned */
	unsigned levels;     /* 4, or 5 with CR4.LA57 */
	unsigned maxphyaddr; /* 32..52; physical-address bits above it are reserved */
	bool wp, smep, smap, nxe;
	bool set_ad; /* set accessed/dirty bits in the tables on a successful walk */
};

/* Access kind (bit set). */
#define WALK_ACC_WRITE (1u << 0)
#define WALK_ACC_USER  (1u << 1) /* CPL 3 */
#define WALK_ACC_FETCH (1u << 2)
#define WALK_ACC_AC \
	(1u << 3) /* EFLAGS.AC: lets supervisor data accesses reach user pages under SMAP */

/* Page-fault error code bits: PF_ERR_* of x86/x86.h. */

enum walk_fault_kind {
	WALK_OK,
	WALK_FAULT_NOT_PRESENT,	 /* #PF, P=0 in the error code */
	WALK_FAULT_RESERVED,	 /* #PF, P=1 RSVD=1 */
	WALK_FAULT_PROTECTION,	 /* #PF, P=1: RW, US, NX, SMEP or SMAP */
	WALK_FAULT_NONCANONICAL, /* #GP: not a #PF at all, error code 0 */
	WALK_FAULT_MEMORY,	 /* a table load failed (outside the memory) */
	WALK_FAULT_HOST,	 /* 2D: the host walk of a GPA failed (EPT violation / #NPF) */
};

const char *walk_fault_name(enum walk_fault_kind k);

struct walk_fault {
	enum walk_fault_kind kind;
	uint32_t error_code; /* x86 #PF error code (PF_ERR_*); for WALK_FAULT_HOST the host's */
	unsigned level; /* level whose entry faulted; WALK_FAULT_HOST: the guest level, 0 = final */
	uint64_t addr;	/* WALK_FAULT_HOST / MEMORY: the address that failed */
	enum walk_fault_kind host_kind; /* WALK_FAULT_HOST: why the host walk failed */
};

/* Decoded entry flags (one bit each, positions are not the hardware's). */
#define WALK_F_P   (1u << 0)
#define WALK_F_RW  (1u << 1)
#define WALK_F_US  (1u << 2)
#define WALK_F_PWT (1u << 3)
#define WALK_F_PCD (1u << 4)
#define WALK_F_A   (1u << 5)
#define WALK_F_D   (1u << 6)
#define WALK_F_PS  (1u << 7)
#define WALK_F_G   (1u << 8)
#define WALK_F_PAT (1u << 9)
#define WALK_F_NX  (1u << 10)

/* Effective permissions accumulated over the levels (SDM Vol. 3A §4.6.1). */
#define WALK_PERM_W  (1u << 0) /* RW=1 at every level */
#define WALK_PERM_U  (1u << 1) /* US=1 at every level */
#define WALK_PERM_NX (1u << 2) /* XD=1 at some level (with NXE) */

struct walk_level {
	uint64_t table;	     /* table base address */
	uint64_t entry_addr; /* address of the entry read */
	uint64_t entry;	     /* its value */
	uint32_t flags;	     /* WALK_F_* */
	uint32_t perms;	     /* WALK_PERM_* accumulated down to this level */
};

struct walk {
	uint64_t va;
	uint64_t pa;	      /* the translation, when fault.kind == WALK_OK */
	enum page_size size;  /* leaf size */
	unsigned levels;      /* paging levels (4 or 5) */
	unsigned first_level; /* first level read (lower than levels after a PWC hit) */
	unsigned leaf_level;  /* level of the leaf or of the faulting entry */
	uint32_t perms;	      /* WALK_PERM_* of the translation */
	uint32_t leaf_flags;  /* WALK_F_* of the leaf */
	unsigned refs;	      /* table loads made */
	struct walk_level lvl[PT_MAX_LEVELS + 1]; /* indexed by level, 1..levels */
	struct walk_fault fault;
};

/* Decode an entry's flag bits at @level into WALK_F_*. */
uint32_t walk_decode_flags(uint64_t entry, unsigned level);

/*
 * Native 1D walk of @va through the tables at cpu->root in @mem. Returns 0 with
 * w->pa set, -EFAULT with w->fault set, or -EINVAL for a bad @cpu.
 */
int walk__1d(const struct pt_mem *mem, const struct walk_cpu *cpu, gva_t va, unsigned acc,
	     struct walk *w);

/*
 * A 2D walk record: the guest walk, and for each guest level L the host walk
 * that translated the GPA of the guest table at L (host[L]), and host[0] for
 * the final GPA. refs_guest/refs_host count table loads by level.
 */
struct walk2d {
	struct walk guest;
	struct walk host[PT_MAX_LEVELS + 1];
	uint32_t host_done; /* bit L: host[L] was walked */
	gpa_t gpa;
	hpa_t hpa;
	enum page_size size; /* effective size: the smaller of guest and host leaf */
	uint64_t refs_guest[PT_MAX_LEVELS + 1];
	uint64_t refs_host[PT_MAX_LEVELS + 1];
	unsigned refs; /* all table loads of this walk */
};

/*
 * Nested 2D walk of @va: guest tables at guest->root (a GPA) are read from
 * @gmem by GPA after each table's GPA has been translated through the host
 * tables at host->root in @hmem (host walks are user-mode accesses, AMD APM
 * Vol. 2 §15.25.5), then the final GPA is translated. Host tables use the
 * x86-64 long-mode entry format (AMD NPT). Returns 0, -EFAULT or -EINVAL.
 */
int walk__2d(const struct pt_mem *gmem, const struct walk_cpu *guest, const struct pt_mem *hmem,
	     const struct walk_cpu *host, gva_t va, unsigned acc, struct walk2d *w);

/* ------------------------------------------------------------------------------------------ */
/* Configuration: plain data, filled from presets, files or code, validated once. */

enum repl_policy {
	REPL_LRU,
	REPL_PLRU, /* tree pseudo-LRU (generalised to any number of ways, see docs/sim-model.md) */
	REPL_RANDOM,
};

const char *repl_policy_name(enum repl_policy p);

#define SIM_MAX_TLB_LEVELS   4
#define SIM_MAX_CACHE_LEVELS 3
#define SIM_NAME_LEN	     48

/* One set-associative array: entries = sets * ways; sets need not be a power of two. */
struct assoc_config {
	unsigned entries; /* 0: absent */
	unsigned ways;	  /* entries == ways: fully associative */
	enum repl_policy policy;
};

struct tlb_array_config {
	struct assoc_config geo;
	uint32_t sizes; /* bit per enum page_size held by this array */
};

struct tlb_level_config {
	unsigned narrays; /* 1..PAGE_SIZES; arrays of one level hold disjoint page sizes */
	struct tlb_array_config array[PAGE_SIZES];
	unsigned latency; /* cycles to probe this level */
};

struct tlb_config {
	unsigned nlevels; /* 1..SIM_MAX_TLB_LEVELS */
	struct tlb_level_config level[SIM_MAX_TLB_LEVELS];
};

/*
 * How the paging-structure caches are organised, in the names of Barr, Cox and
 * Rixner, "Translation caching: skip, don't walk (the page table)", ISCA 2010:
 * all three hold partial translations tagged by virtual-address bits.
 */
enum pwc_org {
	PWC_ORG_SPLIT,	 /* one cache per level (Intel's PSCs; their STC) */
	PWC_ORG_UNIFIED, /* one cache, entries of any level tagged by level and VA prefix (UTC) */
	PWC_ORG_PATH,	 /* one fully associative cache, an entry per upper path (TPC) */
};

const char *pwc_org_name(enum pwc_org o);

/* Paging-structure caches, one per non-leaf level (SDM Vol. 3A §4.10.3), or one shared. */
struct pwc_config {
	struct assoc_config level[PT_MAX_LEVELS + 1]; /* index 2 (PDE) .. 5 (PML5E); 0, 1 unused */
	unsigned latency;			      /* cycles for a lookup that hits */
	enum pwc_org org;			      /* split uses level[], the others @one */
	struct assoc_config one;		      /* unified and path; entries 0: absent */
	bool host_off; /* host (nested-dimension) walks get no PWC ([pwc] host = no) */
};

struct cache_level_config {
	struct assoc_config geo; /* entries = lines */
	unsigned latency;	 /* load-to-use cycles when found here */
};

/* The data caches page-table loads go through (and data accesses, if model_data). */
struct cache_config {
	unsigned nlevels; /* 0: no caches, every table load goes to memory */
	unsigned line;	  /* bytes, power of two */
	struct cache_level_config level[SIM_MAX_CACHE_LEVELS];
	bool model_data; /* data accesses also fill the caches */
};

/*
 * Per-event costs of shadow paging, charged for counts the caller reports; each cost is the
 * whole event, VM exit round trip included (docs/sim-model.md).
 */
enum sim_shadow_event {
	SIM_SHADOW_PF_EXIT,	/* #PF exit: fixed, spurious, or reinjected into the guest */
	SIM_SHADOW_WRPROT_EXIT, /* #PF exit on a store to a write-tracked guest table, emulated */
	SIM_SHADOW_CR3_EXIT,	/* MOV CR3 intercepted */
	SIM_SHADOW_INVLPG_EXIT, /* INVLPG intercepted */
	SIM_SHADOW_SYNC,	/* one unsync shadow page synced (inside another exit) */
	SIM_SHADOW_EVENTS,
};

const char *sim_shadow_event_name(enum sim_shadow_event ev);

struct sim_config {
	char name[SIM_NAME_LEN];
	unsigned levels;      /* guest (or native) paging levels, 4 or 5 */
	unsigned host_levels; /* host (EPT/NPT) levels for nested mode */
	unsigned maxphyaddr;
	bool nxe, set_ad;
	struct tlb_config tlb;
	struct pwc_config pwc;	  /* guest/native and host walks each get one of this geometry */
	struct assoc_config ntlb; /* nested TLB: GPA->HPA, any page size; entries 0: absent */
	unsigned ntlb_latency;
	struct cache_config cache;
	unsigned mem_latency; /* cycles of a table load that misses every cache */
	uint64_t shadow_cost[SIM_SHADOW_EVENTS]; /* cycles per shadow event */
	uint64_t seed;				 /* random replacement */
};

/* The 'textbook' configuration: 4-level, one 64-entry 4-way TLB, no PWC, no caches. */
void sim_config__textbook(struct sim_config *c);
/*
 * Parse configuration text (docs/sim-config.md) over the current contents of
 * @c. @file names the text in errors. Returns 0, or -EINVAL with one line
 * "FILE:LINE: key 'x': problem" in @err.
 */
int sim_config__parse(struct sim_config *c, const char *text, const char *file, char *err,
		      size_t errlen);
/*
 * Read and parse a configuration file (starting from textbook defaults unless it names a preset):
 * a text file of at most SIM_CONFIG_MAX_BYTES. Returns 0, or -errno with one line in @err.
 */
#define SIM_CONFIG_MAX_BYTES (1024u * 1024u)
int sim_config__load(struct sim_config *c, const char *path, char *err, size_t errlen);
/* Load a preset by name: "textbook", "golden-cove", "zen4", "zen5". */
int sim_config__preset(struct sim_config *c, const char *name, char *err, size_t errlen);
/* The preset names, NULL-terminated. */
const char *const *sim_config_presets(void);
/* Check a configuration built in code; same rules and messages (without FILE:LINE). */
int sim_config__validate(const struct sim_config *c, char *err, size_t errlen);
/* Write a configuration back as text in the file format. */
int sim_config__write(const struct sim_config *c, char *buf, size_t len);

/* ------------------------------------------------------------------------------------------ */
/* TLB, page-walk cache and data-cache models (usable alone; the simulator composes them). */

struct tlb;
struct pwc;
struct dcache;

/* A translation as a TLB holds it. */
struct tlb_entry {
	uint64_t va; /* any address inside the page */
	uint64_t pa; /* the page's base (HPA in nested and shadow modes) */
	enum page_size size;
	uint32_t perms; /* WALK_PERM_* */
	bool global, dirty;
};

/* Tags: PCID 0..4095 (CR3[11:0]), VPID 0..65535 (0 = host). */
struct tlb_tag {
	uint16_t pcid, vpid;
};

struct tlb *tlb__new(const struct tlb_config *cfg, uint64_t seed);
void tlb__free(struct tlb *t);
/* Probe level @lvl (0-based); on a hit fill *e and return true (replacement state updated). */
bool tlb__lookup(struct tlb *t, unsigned lvl, struct tlb_tag tag, uint64_t va, struct tlb_entry *e);
/* Insert at level @lvl; no-op if no array there holds e->size. */
void tlb__insert(struct tlb *t, unsigned lvl, struct tlb_tag tag, const struct tlb_entry *e);
/* Mark a present entry dirty (a write hit a clean entry); returns true if found. */
bool tlb__set_dirty(struct tlb *t, unsigned lvl, struct tlb_tag tag, uint64_t va,
		    enum page_size size);
void tlb__flush_all(struct tlb *t);				  /* every entry, global too */
void tlb__flush_pcid(struct tlb *t, struct tlb_tag tag);	  /* non-global, this PCID+VPID */
void tlb__flush_vpid(struct tlb *t, uint16_t vpid);		  /* every entry of this VPID */
void tlb__invlpg(struct tlb *t, struct tlb_tag tag, uint64_t va); /* this page, incl. global */
unsigned tlb__levels(const struct tlb *t);
bool tlb__holds(const struct tlb *t, unsigned lvl, enum page_size size); /* an array for @size */

/* The deepest cached non-leaf entry for an address: resume the walk at @level in @table. */
struct pwc_hit {
	unsigned level; /* level of the table to read next */
	uint64_t table;
	uint32_t perms; /* WALK_PERM_* accumulated above @level */
};

struct pwc *pwc__new(const struct pwc_config *cfg, unsigned levels, uint64_t seed);
void pwc__free(struct pwc *p);
/* Probe from the deepest cache up; true and *hit on a hit, with hit->level < levels. */
bool pwc__lookup(struct pwc *p, uint32_t tag, uint64_t va, struct pwc_hit *hit);
/* Cache every non-leaf entry a completed walk read (levels first_level..leaf_level+1). */
void pwc__fill(struct pwc *p, uint32_t tag, const struct walk *w);
void pwc__flush_all(struct pwc *p);
void pwc__flush_tag(struct pwc *p, uint32_t tag);
bool pwc__present(const struct pwc *p); /* any level configured */
/* A cache level above @leaf_level is configured (the lookup-counting rule, docs/sim-model.md). */
bool pwc__could_hold(const struct pwc *p, unsigned leaf_level);

struct dcache *dcache__new(const struct cache_config *cfg, uint64_t seed);
void dcache__free(struct dcache *d);
/* Look @pa up, filling the levels above where it was found; returns that level (nlevels = memory).
 */
unsigned dcache__access(struct dcache *d, uint64_t pa);
/* Host-side hint only: bring the state dcache__access(@pa) will touch into the host's caches. */
void dcache__prefetch(const struct dcache *d, uint64_t pa);

/* ------------------------------------------------------------------------------------------ */
/* The simulator. */

enum paging_mode {
	PAGING_NATIVE, /* 1D over native tables */
	PAGING_NESTED, /* 2D: guest tables through host (EPT/NPT) tables */
	PAGING_SHADOW, /* 1D over shadow tables (GVA->HPA) kept by shadow/ */
};

const char *paging_mode_name(enum paging_mode m);

struct sim_tables {
	/* native: physical memory; nested: guest memory by GPA; shadow: memory holding the shadow
	 * tables */
	const struct pt_mem *mem;
	uint64_t root; /* CR3, guest CR3 (a GPA) or shadow root */
	/* nested only: host-physical memory holding the host tables, and their root */
	const struct pt_mem *host_mem;
	hpa_t host_root;
};

enum sim_flush {
	SIM_FLUSH_ALL,	  /* every TLB, PWC and nested-TLB entry, global too */
	SIM_FLUSH_PCID,	  /* non-global entries of PCID @arg (current VPID), and its PWC entries */
	SIM_FLUSH_ADDR,	  /* INVLPG @arg: the page in the current PCID (and global), current PCID's
			     PWC */
	SIM_FLUSH_VPID,	  /* every entry tagged with VPID @arg */
	SIM_FLUSH_NESTED, /* the nested TLB and host PWC (INVEPT) */
};

#define SIM_HIST_BUCKETS 40 /* refs-per-walk histogram: 0..38, and 39+ */

/* Cycles by category (docs/sim-model.md, cost model). */
struct sim_cycles {
	uint64_t tlb[SIM_MAX_TLB_LEVELS]; /* probes of each TLB level */
	uint64_t pwc;			  /* guest/native PWC hits */
	uint64_t host_pwc;		  /* host PWC hits */
	uint64_t ntlb;			  /* nested TLB hits */
	uint64_t loads[SIM_MAX_CACHE_LEVELS +
		       1]; /* table loads by where found; [SIM_MAX_CACHE_LEVELS]: memory */
	uint64_t shadow[SIM_SHADOW_EVENTS]; /* shadow-paging VM exits and syncs */
	uint64_t total;
};

/*
 * One pass, every size (docs/sim-model.md, "TLB size sweeps"): the misses of
 * one LRU TLB level at several sizes of the array that holds its 4K pages (the
 * level's first array if none does), from the LRU stack distances of the
 * lookups reaching the level. Its other arrays keep their geometry.
 */
#define TLB_SWEEP_MAX_SIZES   32
#define TLB_SWEEP_MAX_ENTRIES 65536u

struct tlb_sweep_config {
	unsigned level;	 /* 0-based TLB level */
	unsigned sets;	 /* 0: fully associative at every size; else ways = entries / sets */
	unsigned nsizes; /* 1..TLB_SWEEP_MAX_SIZES */
	unsigned entries[TLB_SWEEP_MAX_SIZES]; /* strictly increasing */
};

struct tlb_sweep_result {
	bool on;
	unsigned level, sets, nsizes; /* sets 0: fully associative */
	uint32_t array_sizes;	      /* page sizes (bits) the swept array holds */
	unsigned entries[TLB_SWEEP_MAX_SIZES];
	uint64_t misses[TLB_SWEEP_MAX_SIZES];
	double mpka[TLB_SWEEP_MAX_SIZES]; /* misses per thousand accesses */
	uint64_t lookups;		  /* lookups that reached the level */
	uint64_t inexact;		  /* events after which the pass may differ from runs */
	char why[96];			  /* the first of them */
};

/*
 * Check a sweep against a configuration: 0, or -EINVAL with one line in @err
 * (no such level, a policy other than LRU, sizes the set count does not divide).
 */
int tlb_sweep_check(const struct sim_config *c, const struct tlb_sweep_config *sw, char *err,
		    size_t errlen);

struct sim_result {
	char config[SIM_NAME_LEN];
	enum paging_mode mode;
	unsigned tlb_levels, cache_levels;
	uint64_t accesses, writes, faults;
	uint64_t noncanonical; /* accesses refused with #GP before any lookup (among faults) */
	uint64_t tlb_hits[SIM_MAX_TLB_LEVELS][PAGE_SIZES];
	uint64_t tlb_misses[SIM_MAX_TLB_LEVELS];
	uint64_t walks;
	uint64_t walk_sizes[PAGE_SIZES]; /* completed walks by (effective) page size */
	uint64_t pwc_lookups, pwc_hits[PT_MAX_LEVELS + 1]; /* by level of the cached entry */
	uint64_t host_pwc_lookups, host_pwc_hits[PT_MAX_LEVELS + 1];
	uint64_t ntlb_lookups, ntlb_hits;
	uint64_t refs_guest[PT_MAX_LEVELS +
			    1]; /* first-dimension table loads (native, guest, shadow) */
	uint64_t refs_host[PT_MAX_LEVELS + 1]; /* host-table loads (nested) */
	uint64_t refs_data;		       /* data references (translated accesses) */
	uint64_t refs_walk;		       /* all table loads */
	uint64_t loads_at[SIM_MAX_CACHE_LEVELS +
			  1]; /* table loads found in cache k; [SIM_MAX_CACHE_LEVELS]: memory */
	uint64_t refs_hist[SIM_HIST_BUCKETS];
	uint64_t shadow_events[SIM_SHADOW_EVENTS];
	uint64_t shadow_cycles[SIM_SHADOW_EVENTS]; /* as reported with the events */
	double refs_per_walk;
	double tlb_mpka[SIM_MAX_TLB_LEVELS]; /* misses per thousand accesses */
	double pwc_hit_rate, host_pwc_hit_rate, ntlb_hit_rate;
	double cycles_per_access;
	struct sim_cycles cycles;
	struct tlb_sweep_result sweep; /* when a sweep was set */
};

/*
 * A simulator over @t's tables with a validated copy of @cfg. Returns NULL and
 * sets errno (EINVAL: bad config or tables for @mode; ENOMEM).
 */
struct sim *sim__new(const struct sim_config *cfg, enum paging_mode mode,
		     const struct sim_tables *t);
void sim__free(struct sim *s);
/* Sweep one TLB level's sizes in this run (before the first access); 0 or -EINVAL/-ENOMEM. */
int sim__set_sweep(struct sim *s, const struct tlb_sweep_config *sw);
/*
 * Translate one data access: TLB levels, then a walk on a miss. The hot path:
 * no allocation, no I/O. Returns 0, or -EFAULT if the walk faulted or the
 * address is not canonical (counted in faults, the latter also in noncanonical
 * with no lookup and no walk; nothing is cached).
 */
int sim__access(struct sim *s, gva_t va, bool write);

/* One access of a batch: a GVA and WALK_ACC_* bits. */
struct sim_req {
	gva_t va;
	uint32_t acc;
};

/*
 * sim__access_acc() on each of @n requests in order, with the same results;
 * while accesses keep missing the TLBs it reads ahead in the batch and has the
 * host prefetch the table entries and cache-model sets later walks will use
 * (the simulator is bound by host memory latency there). Returns the number
 * of accesses that faulted.
 */
uint64_t sim__access_batch(struct sim *s, const struct sim_req *req, size_t n);
/* The same for any access kind (WALK_ACC_*: supervisor, fetch); sim__access is a user data access.
 */
int sim__access_acc(struct sim *s, gva_t va, unsigned acc);
/* The record of the last walk (valid after a miss; host parts in nested mode). */
const struct walk2d *sim__last_walk(const struct sim *s);
/*
 * Load a new root (CR3/gCR3/shadow root; 0 keeps the current one) with tags
 * @pcid and @vpid. Unless @noflush, the non-global entries of the new tags are
 * flushed, as MOV CR3 with bit 63 clear does (SDM Vol. 3A §4.10.4.1).
 */
int sim__switch(struct sim *s, uint64_t root, uint16_t pcid, uint16_t vpid, bool noflush);
int sim__flush(struct sim *s, enum sim_flush kind, uint64_t arg);
/* Shadow mode: @count events of @ev, each costing @cycles (0: the configured cost). */
int sim__shadow_events(struct sim *s, enum sim_shadow_event ev, uint64_t count, uint64_t cycles);
void sim__reset_stats(struct sim *s);
void sim__result(const struct sim *s, struct sim_result *r);
/* Write @r's members into the JSON object the caller has opened (json_obj_begin). */
void sim_result_json(const struct sim_result *r, struct json *j);

/* Cost model: cycles from event counts and the configuration's latencies. */
void cost__breakdown(const struct sim_config *cfg, const struct sim_result *r,
		     struct sim_cycles *c);

#endif
