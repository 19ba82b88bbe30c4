// SPDX-License-Identifier: GPL-2.0
/* memvirt sim: a workload's, a trace's or an event file's accesses through the mmu/ simulator. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "mmu/mmu.h"
#include "src/cmd_sim.h"
#include "src/cmds.h"
#include "mmu/ptsnap.h"
#include "workloads/workload.h"

/*
 * Address layout of the synthetic machine. Guest tables sit at GPA 1M and up
 * (bump allocated), guest data frames at GPA 1G and up (sequential), and every
 * GPA is backed at HPA = GPA + SIM_HOST_OFFSET. Host (and shadow) tables live
 * at HPA 1M and up in their own sparse memory.
 */
#define SIM_TABLE_BASE	0x100000ULL
#define SIM_DATA_BASE	0x40000000ULL
#define SIM_HOST_OFFSET (1ULL << 36)
#define SIM_GUEST_LIMIT SIM_HOST_OFFSET
#define SIM_HOST_LIMIT	(1ULL << 40)
#define SIM_BATCH	1024

/* A set of page numbers (open addressing), for pages mapped on demand. */
struct page_set {
	uint64_t *slot; /* page number + 1; 0 = empty */
	size_t cap, n;
};

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	return x ^ (x >> 33);
}

static int page_set__add(struct page_set *s, uint64_t pn); /* 1 new, 0 present, -ENOMEM */

static int page_set__grow(struct page_set *s)
{
	struct page_set n = {.cap = s->cap ? s->cap * 2 : 1024};

	n.slot = calloc(n.cap, sizeof(*n.slot));
	if (!n.slot)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i])
			page_set__add(&n, s->slot[i] - 1);
	free(s->slot);
	*s = n;
	return 0;
}

static int page_set__add(struct page_set *s, uint64_t pn)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap && page_set__grow(s))
		return -ENOMEM;
	for (i = hash64(pn) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == pn + 1)
			return 0;
	s->slot[i] = pn + 1;
	s->n++;
	return 1;
}

/* One simulated machine for one paging mode. */
struct machine {
	const struct sim_opts *o;
	enum paging_mode mode;
	struct ptmem *guest, *host, *shadow;
	uint64_t groot, hroot, sroot;
	gpa_t next_table, next_data;
	gpa_t host_table_end, host_data_end; /* GPAs mapped in the host tables so far */
	struct page_set gpages, spages;
	struct sim *sim;
	int err;
	uint64_t accesses, t0, last_progress;
	bool progress;
	FILE *in_file; /* file input being read, for the progress bar */
	uint64_t in_size;
	const char *buf; /* synthetic: the host buffer the workload runs over */
	gva_t data_gva;	 /* synthetic: the GVA of buf */
	/* Accesses not yet simulated: sim__access_batch reads ahead in them. */
	struct sim_req batch[SIM_BATCH];
	size_t nbatch;
};

/* Simulate the pending accesses; done before any table changes, so the order is kept. */
static void machine__flush(struct machine *m)
{
	if (m->nbatch)
		sim__access_batch(m->sim, m->batch, m->nbatch);
	m->nbatch = 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Nested mode: back GPAs [*end, gpa_end) with host pages. */
static int machine__host_cover(struct machine *m, gpa_t *end, gpa_t gpa_end)
{
	uint64_t hsz = page_size_bytes(m->o->hps);
	int err;

	if (m->mode != PAGING_NESTED)
		return 0;
	while (*end < gpa_end) {
		err = pt__map(m->host, m->hroot, *end, *end + SIM_HOST_OFFSET, m->o->hps,
			      PTE_RW | PTE_US, m->o->cfg.host_levels);
		if (err)
			return err;
		*end += hsz;
	}
	return 0;
}

/* Guest table frames: bump allocated, and backed by the host in nested mode. */
static int machine_alloc_table(void *ctx, uint64_t *pa)
{
	struct machine *m = ctx;

	*pa = m->next_table;
	if (*pa + X86_PAGE_SIZE > SIM_DATA_BASE)
		return -ENOMEM;
	m->next_table += X86_PAGE_SIZE;
	return machine__host_cover(m, &m->host_table_end, *pa + X86_PAGE_SIZE);
}

/* Map guest pages [gva, gva + len) to the next data frames; shadow leaves are built on touch. */
static int machine__map_guest(struct machine *m, gva_t gva, uint64_t len)
{
	uint64_t gsz = page_size_bytes(m->o->gps);
	gpa_t gpa = m->next_data;
	int err;

	len = align_up(len, gsz);
	err = pt__map_range(m->guest, m->groot, gva, gpa, len, m->o->gps, PTE_RW | PTE_US,
			    m->o->cfg.levels);
	if (err)
		return err;
	m->next_data += len;
	return machine__host_cover(m, &m->host_data_end, m->next_data);
}

/*
 * Shadow mode: on the first touch of a shadow page, the hypervisor's #PF
 * exit builds the GVA->HPA leaf from the guest mapping (page size: the
 * smaller of guest and host), charged as one SIM_SHADOW_PF_EXIT.
 */
static int machine__shadow_touch(struct machine *m, gva_t va)
{
	enum page_size ps = m->o->gps < m->o->hps ? m->o->gps : m->o->hps;
	uint64_t sz = page_size_bytes(ps);
	struct walk_cpu cpu = {.root = m->groot,
			       .levels = m->o->cfg.levels,
			       .maxphyaddr = m->o->cfg.maxphyaddr,
			       .nxe = m->o->cfg.nxe};
	struct walk w;
	int err;

	err = page_set__add(&m->spages, va >> page_size_shift(ps));
	if (err <= 0)
		return err;
	if (walk__1d(ptmem__mem(m->guest), &cpu, va, 0, &w))
		return 0; /* no guest mapping: the access faults in the shadow walk too */
	machine__flush(m);
	err = pt__map(m->shadow, m->sroot, va & ~(sz - 1), ((w.pa & ~(sz - 1)) + SIM_HOST_OFFSET),
		      ps, PTE_RW | PTE_US, m->o->cfg.levels);
	if (err)
		return err;
	return sim__shadow_events(m->sim, SIM_SHADOW_PF_EXIT, 1, 0);
}

/*
 * --run: the guest's tables from the snapshot (at their GPAs, root from CR3),
 * and in nested mode host pages over all of guest RAM, as for synthetic runs.
 */
static int machine__load_run(struct machine *m)
{
	struct ptsnap_header h;
	uint64_t mem_end;
	char err[512];
	int rc = sim_run_load(m->o->in_path, m->guest, &h, &mem_end, err, sizeof(err));

	if (rc) {
		pr_err("%s\n", err);
		return rc;
	}
	m->groot = m->o->snap.cr3 & PTE_ADDR_MASK & ((1ULL << m->o->snap.maxphyaddr) - 1);
	m->data_gva = m->o->snap.data_gva;
	m->host_data_end = 0;
	return machine__host_cover(m, &m->host_data_end, mem_end);
}

static int machine__init(struct machine *m, const struct sim_opts *o, enum paging_mode mode)
{
	struct sim_tables t = {0};
	int err;

	memset(m, 0, sizeof(*m));
	m->o = o;
	m->mode = mode;
	m->next_table = SIM_TABLE_BASE;
	m->next_data = SIM_DATA_BASE;
	m->host_data_end = SIM_DATA_BASE;
	m->guest = ptmem__new(SIM_GUEST_LIMIT, SIM_TABLE_BASE);
	m->host = ptmem__new(SIM_HOST_LIMIT, SIM_TABLE_BASE);
	m->shadow = ptmem__new(SIM_HOST_LIMIT, SIM_TABLE_BASE);
	if (!m->guest || !m->host || !m->shadow)
		return -ENOMEM;
	if ((err = pt__new_root(m->host, &m->hroot)) || (err = pt__new_root(m->shadow, &m->sroot)))
		return err;
	m->data_gva = SIM_GUEST_BASE;
	if (o->input == IN_RUN) {
		err = machine__load_run(m);
		if (err)
			return err;
	} else {
		ptmem__set_alloc(m->guest, machine_alloc_table, m);
		if ((err = pt__new_root(m->guest, &m->groot)))
			return err;
	}
	t.mem = ptmem__mem(m->guest);
	t.root = m->groot;
	if (mode == PAGING_NESTED) {
		t.host_mem = ptmem__mem(m->host);
		t.host_root = m->hroot;
	} else if (mode == PAGING_SHADOW) {
		t.mem = ptmem__mem(m->shadow);
		t.root = m->sroot;
	}
	m->sim = sim__new(&o->cfg, mode, &t);
	return m->sim ? 0 : -errno;
}

static void machine__fini(struct machine *m)
{
	sim__free(m->sim);
	ptmem__free(m->guest);
	ptmem__free(m->host);
	ptmem__free(m->shadow);
	free(m->gpages.slot);
	free(m->spages.slot);
}

/*
 * "sim nested [#####.....]  52%  12.3M accesses  1.8M/s": a bar when the
 * input's size is known (a file), the count and rate otherwise.
 */
static void machine__progress_line(struct machine *m, uint64_t now)
{
	double rate = (double)m->accesses * 1e3 / (double)(now - m->t0);
	char bar[24] = "";

	if (m->in_file && m->in_size) {
		off_t pos = ftello(m->in_file);
		unsigned pct = pos > 0 ? (unsigned)((uint64_t)pos * 100 / m->in_size) : 0;

		pct = pct > 100 ? 100 : pct;
		bar[0] = '[';
		for (unsigned i = 0; i < 20; i++)
			bar[1 + i] = i < pct / 5 ? '#' : '.';
		snprintf(bar + 21, sizeof(bar) - 21, "]");
		fprintf(stderr, "\rsim %s %s %3u%%  %.1fM accesses  %.1fM/s ",
			paging_mode_name(m->mode), bar, pct, (double)m->accesses / 1e6, rate);
		return;
	}
	fprintf(stderr, "\rsim %s: %.1fM accesses  %.1fM/s ", paging_mode_name(m->mode),
		(double)m->accesses / 1e6, rate);
}

static void machine__progress(struct machine *m)
{
	uint64_t now;

	if (!m->progress || (++m->accesses & 0xffff))
		return;
	now = now_ns();
	if (now - m->t0 < 1000000000ULL || now - m->last_progress < 500000000ULL)
		return;
	m->last_progress = now;
	machine__progress_line(m, now);
}

void machine__set_input(struct machine *m, FILE *f, uint64_t size)
{
	m->in_file = f;
	m->in_size = size;
}

void machine__access(struct machine *m, gva_t va, bool write)
{
	int err;

	if (m->err)
		return;
	if (m->mode == PAGING_SHADOW && (err = machine__shadow_touch(m, va))) {
		m->err = err;
		return;
	}
	/* A fault is counted in the result. */
	m->batch[m->nbatch++] = (struct sim_req){va, WALK_ACC_USER | (write ? WALK_ACC_WRITE : 0)};
	if (m->nbatch == SIM_BATCH)
		machine__flush(m);
	machine__progress(m);
}

static void trace_cb(void *ctx, const void *addr, int is_write)
{
	struct machine *m = ctx;

	machine__access(m, m->data_gva + (uint64_t)((const char *)addr - m->buf), is_write != 0);
}

/* Map the guest page of @va on its first touch (file inputs). */
int machine__demand_map(struct machine *m, gva_t va)
{
	uint64_t gsz = page_size_bytes(m->o->gps);
	int rc = page_set__add(&m->gpages, va / gsz);

	if (rc <= 0)
		return rc;
	machine__flush(m);
	return machine__map_guest(m, va & ~(gsz - 1), gsz);
}

/* Synthetic input: the workload's buffer mapped at SIM_GUEST_BASE, traced access by access. */
static int machine__run_workload(struct machine *m, char *err, size_t errlen)
{
	const struct wl_params *p = &m->o->wl;
	uint64_t len =
		align_up(p->footprint ? p->footprint : X86_PAGE_SIZE, page_size_bytes(m->o->gps));
	struct wl_env env = {.ctx = m, .trace = trace_cb};
	struct wl_result r;
	void *buf;
	int rc;

	rc = m->o->input == IN_RUN ? 0 : machine__map_guest(m, SIM_GUEST_BASE, len);
	if (rc) {
		snprintf(err, errlen, "building guest tables for %" PRIu64 " bytes: %s", len,
			 strerror(-rc));
		return rc;
	}
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (buf == MAP_FAILED) {
		snprintf(err, errlen, "workload buffer of %" PRIu64 " bytes: %s", len,
			 strerror(errno));
		return -ENOMEM;
	}
	m->buf = buf;
	rc = wl_run_traced(p, buf, &env, &r);
	munmap(buf, len);
	if (rc)
		snprintf(err, errlen, "workload %s failed (%d)", wl_name(p->kind), rc);
	return rc;
}

static int run_input(struct machine *m, struct sim_input_stats *st, char *err, size_t errlen)
{
	switch (m->o->input) {
	case IN_LACKEY:
		return sim_input_lackey(m, m->o->in_path, st, err, errlen);
	case IN_ATRACE:
		return sim_input_atrace(m, m->o->in_path, st, err, errlen);
	case IN_EVENTS:
		return sim_input_events(m, m->o->in_path, st, err, errlen);
	case IN_RUN:
		st->table_pages = m->o->snap.npages;
		st->data_leaf_tables = sim_run_leaf_tables(
			m->guest, m->groot, m->o->snap.levels, m->o->cfg.maxphyaddr, m->data_gva,
			m->o->wl.footprint, &st->data_large_leaves);
		break;
	case IN_WORKLOAD:
		break;
	}
	return machine__run_workload(m, err, errlen);
}

static int run_mode(const struct sim_opts *o, enum paging_mode mode, struct mode_run *out,
		    struct sim_input_stats *st, char *err, size_t errlen)
{
	struct machine m;
	int rc;

	rc = machine__init(&m, o, mode);
	if (rc) {
		snprintf(err, errlen, "setting up %s mode: %s", paging_mode_name(mode),
			 strerror(-rc));
		machine__fini(&m);
		return rc;
	}
	m.progress = isatty(STDERR_FILENO);
	m.t0 = now_ns();
	rc = run_input(&m, st, err, errlen);
	machine__flush(&m);
	if (m.last_progress)
		fprintf(stderr, "\r%72s\r", "");
	if (!rc && m.err) {
		snprintf(err, errlen, "building shadow tables: %s", strerror(-m.err));
		rc = m.err;
	}
	sim__result(m.sim, &out->res);
	out->guest_frames = ptmem__frames(m.guest);
	out->host_frames = mode == PAGING_NESTED ? ptmem__frames(m.host) : 0;
	out->shadow_frames = mode == PAGING_SHADOW ? ptmem__frames(m.shadow) : 0;
	machine__fini(&m);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Options. */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: memvirt sim [options] INPUT\n"
		"       INPUT: --workload NAME | --lackey FILE | --access-trace FILE\n"
		"              | --trace FILE | --run DIR\n"
		"       memvirt sim convert --lackey FILE -o OUT.mvat\n\n"
		"Runs a workload's data accesses (or a trace's) through the\n"
		"address-translation simulator: TLBs, page-walk caches, 1D/2D walks, cost model.\n"
		"Writes OUT/sim.json and prints a table (docs/sim-command.md).\n\n"
		"options:\n"
		"  --paging MODE      native, nested, shadow or all (default native)\n"
		"  --preset NAME      textbook (default), golden-cove, zen4, zen5\n"
		"  --config FILE      configuration file (docs/sim-config.md)\n"
		"  --guest-pages SIZE guest (or native) page size: 4k (default) or 2m\n"
		"  --host-pages SIZE  host page size for nested and shadow: 4k (default) or 2m\n"
		"  --workload NAME    synthetic input: seq, stride, random, chase, gups, nop\n"
		"  --footprint SIZE   data region (default depends on the workload)\n"
		"  --iters N          passes or accesses, as for 'memvirt run'\n"
		"  --seed N           random seed (default 1)\n"
		"  --stride SIZE      stride workload: bytes between accesses (default 4K)\n"
		"  --lackey FILE      valgrind --tool=lackey --trace-mem=yes output\n"
		"  --access-trace FILE  memvirt access trace (.mvat, from 'sim convert')\n"
		"  --trace FILE       event file of a traced run: its guest fault and KVM walk\n"
		"                     addresses are the access stream\n"
		"  --run DIR          a 'memvirt run' directory: its workload over the guest's "
		"own\n"
		"                     page tables (DIR/pagetables.bin)\n"
		"  --out DIR          output directory (default memvirt-out/sim)\n"
		"  --json             print sim.json to stdout instead of the table\n"
		"  -h, --help         this text\n\n"
		"examples:\n"
		"  memvirt sim --workload stride --footprint 4M --iters 1 --paging all\n"
		"  memvirt sim --workload gups --preset zen4 --paging nested --host-pages 2m\n"
		"  valgrind --tool=lackey --trace-mem=yes ls 2>trace.txt\n"
		"  memvirt sim --lackey trace.txt --preset golden-cove --paging all --json\n"
		"  memvirt sim convert --lackey trace.txt -o trace.mvat\n"
		"  memvirt sim --access-trace trace.mvat --paging nested\n"
		"  memvirt run stride --footprint 4M --out r1\n"
		"  memvirt sim --run r1 --paging all\n"
		"  memvirt sim --trace r1/events.mvev --paging all\n\n"
		"exit status: 0 ok, 1 simulation or output failure, 2 bad usage or input\n");
}

__attribute__((noreturn)) static void bad(const char *opt, const char *val, const char *what)
{
	opt_bad("sim", opt, val, what);
}

static enum page_size pages_arg(const char *opt, const char *val)
{
	if (!strcasecmp(val, "4k"))
		return PAGE_4K;
	if (!strcasecmp(val, "2m"))
		return PAGE_2M;
	bad(opt, val, "expected 4k or 2m");
}

enum {
	O_PAGING,
	O_PRESET,
	O_CONFIG,
	O_GPAGES,
	O_HPAGES,
	O_WORKLOAD,
	O_FOOT,
	O_ITERS,
	O_SEED,
	O_STRIDE,
	O_LACKEY,
	O_ATRACE,
	O_EVENTS,
	O_RUN,
	O_OUT,
	O_JSON,
	O__COUNT
};

static const struct option sim_options[] = {
	{"paging", required_argument, 0, O_PAGING},
	{"preset", required_argument, 0, O_PRESET},
	{"config", required_argument, 0, O_CONFIG},
	{"guest-pages", required_argument, 0, O_GPAGES},
	{"host-pages", required_argument, 0, O_HPAGES},
	{"workload", required_argument, 0, O_WORKLOAD},
	{"footprint", required_argument, 0, O_FOOT},
	{"iters", required_argument, 0, O_ITERS},
	{"seed", required_argument, 0, O_SEED},
	{"stride", required_argument, 0, O_STRIDE},
	{"lackey", required_argument, 0, O_LACKEY},
	{"access-trace", required_argument, 0, O_ATRACE},
	{"trace", required_argument, 0, O_EVENTS},
	{"run", required_argument, 0, O_RUN},
	{"out", required_argument, 0, O_OUT},
	{"json", no_argument, 0, O_JSON},
	{"help", no_argument, 0, 'h'},
	{0, 0, 0, 0},
};

static void apply_paging(struct sim_opts *o, const char *val)
{
	o->paging = val;
	if (!strcmp(val, "all")) {
		o->all = true;
		o->modes[PAGING_NATIVE] = o->modes[PAGING_NESTED] = o->modes[PAGING_SHADOW] = true;
		return;
	}
	for (int mo = 0; mo < SIM_MODES; mo++)
		if (!strcmp(val, paging_mode_name(mo))) {
			o->modes[mo] = true;
			return;
		}
	bad("--paging", val, "expected native, nested, shadow or all");
}

static void apply_config(struct sim_opts *o, const char *const *v)
{
	char err[256];

	if (v[O_PRESET] && v[O_CONFIG])
		die(EXIT_USAGE, "--preset and --config both given: use one (a file can start "
				"with 'preset = NAME')\n");
	o->config_is_file = v[O_CONFIG] != NULL;
	o->config_src = v[O_CONFIG] ? v[O_CONFIG] : v[O_PRESET] ? v[O_PRESET] : "textbook";
	if (o->config_is_file ? sim_config__load(&o->cfg, o->config_src, err, sizeof(err))
			      : sim_config__preset(&o->cfg, o->config_src, err, sizeof(err)))
		die(EXIT_USAGE, "%s\n", err);
}

static void apply_workload(struct sim_opts *o, const char *const *v)
{
	int kind = wl_from_name(v[O_WORKLOAD]);

	if (kind < 0)
		bad("--workload", v[O_WORKLOAD], "unknown workload");
	if (kind == WL_CHURN || kind == WL_PINGPONG || kind == WL_CRASH)
		bad("--workload", v[O_WORKLOAD],
		    "not supported by the simulator (it maps memory or switches processes)");
	wl_defaults(&o->wl, kind);
	o->wl.kind = (uint32_t)kind;
	if (v[O_FOOT])
		o->wl.footprint = opt_size("sim", "--footprint", v[O_FOOT]);
	if (v[O_ITERS])
		o->wl.iters = opt_u64("sim", "--iters", v[O_ITERS]);
	if (v[O_SEED])
		o->wl.seed = opt_u64("sim", "--seed", v[O_SEED]);
	if (v[O_STRIDE])
		o->wl.stride = opt_size("sim", "--stride", v[O_STRIDE]);
	o->wl.page_size = page_size_bytes(o->gps);
	if (kind != WL_NOP && (!o->wl.footprint || o->wl.footprint % SZ_4K))
		bad("--footprint", v[O_FOOT] ? v[O_FOOT] : "default",
		    "must be a non-zero multiple of 4K");
	if (kind == WL_STRIDE && (!o->wl.stride || o->wl.stride % 8))
		bad("--stride", v[O_STRIDE] ? v[O_STRIDE] : "default",
		    "must be a non-zero multiple of 8");
}

/* --run DIR: the run's workload and paging from its page-table snapshot. */
static void apply_run(struct sim_opts *o, const char *const *v)
{
	uint64_t mem_end;
	char err[700];
	int kind;

	o->input = IN_RUN;
	o->in_path = v[O_RUN];
	if (v[O_GPAGES])
		bad("--guest-pages", v[O_GPAGES], "the run's own tables decide the guest pages");
	if (sim_run_load(o->in_path, NULL, &o->snap, &mem_end, err, sizeof(err)))
		die(EXIT_USAGE, "%s\n", err);
	kind = (int)o->snap.wl_kind;
	if (kind < 0 || kind >= WL__COUNT || kind == WL_CHURN || kind == WL_PINGPONG ||
	    kind == WL_CRASH || kind == WL_NOP)
		bad("--run", o->in_path,
		    "its workload is not one the simulator replays (seq, stride, random, chase, "
		    "gups)");
	if (o->snap.levels != o->cfg.levels)
		die(EXIT_USAGE,
		    "--run %s: the guest used %u-level paging, the configuration %u: use a "
		    "configuration with [paging] levels = %u\n",
		    o->in_path, o->snap.levels, o->cfg.levels, o->snap.levels);
	o->wl = (struct wl_params){.kind = o->snap.wl_kind,
				   .nproc = o->snap.wl_nproc,
				   .footprint = o->snap.wl_footprint,
				   .iters = o->snap.wl_iters,
				   .page_size = o->snap.wl_page_size,
				   .seed = o->snap.wl_seed,
				   .stride = o->snap.wl_stride};
	o->gps = o->wl.page_size == page_size_bytes(PAGE_2M) ? PAGE_2M : PAGE_4K;
}

/* Exactly one input; the workload options only with --workload. */
static void apply_input(struct sim_opts *o, const char *const *v)
{
	static const struct {
		int opt;
		const char *name;
		enum sim_input in;
	} files[] = {{O_LACKEY, "--lackey", IN_LACKEY},
		     {O_ATRACE, "--access-trace", IN_ATRACE},
		     {O_EVENTS, "--trace", IN_EVENTS}};
	int n = (v[O_WORKLOAD] != NULL) + (v[O_RUN] != NULL);

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		n += v[files[i].opt] != NULL;
	if (n != 1)
		die(EXIT_USAGE, "give one input, --workload NAME, --lackey FILE, --access-trace "
				"FILE, --trace FILE or --run DIR: run 'memvirt sim --help'\n");
	if (v[O_WORKLOAD]) {
		apply_workload(o, v);
		return;
	}
	if (v[O_FOOT] || v[O_ITERS] || v[O_SEED] || v[O_STRIDE])
		die(EXIT_USAGE, "--footprint, --iters, --seed and --stride apply to --workload "
				"only, not to a file input or a run\n");
	if (v[O_RUN]) {
		apply_run(o, v);
		return;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!v[files[i].opt])
			continue;
		o->input = files[i].in;
		o->in_path = v[files[i].opt];
		if (access(o->in_path, R_OK))
			bad(files[i].name, o->in_path, strerror(errno));
	}
}

static void parse(int argc, char **argv, struct sim_opts *o)
{
	const char *v[O__COUNT] = {0};
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", sim_options, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (opt == ':')
			die(EXIT_USAGE, "option '%s' needs a value: run 'memvirt sim --help'\n",
			    argv[optind - 1]);
		if (opt < 0 || opt >= O__COUNT)
			die(EXIT_USAGE, "unknown option '%s': run 'memvirt sim --help'\n",
			    argv[optind - 1]);
		v[opt] = optarg ? optarg : "";
	}
	if (optind < argc)
		die(EXIT_USAGE,
		    "unexpected argument '%s': options only, see 'memvirt sim --help'\n",
		    argv[optind]);
	memset(o, 0, sizeof(*o));
	apply_paging(o, v[O_PAGING] ? v[O_PAGING] : "native");
	apply_config(o, v);
	o->gps = v[O_GPAGES] ? pages_arg("--guest-pages", v[O_GPAGES]) : PAGE_4K;
	o->hps = v[O_HPAGES] ? pages_arg("--host-pages", v[O_HPAGES]) : PAGE_4K;
	apply_input(o, v);
	if (snprintf(o->out_dir, sizeof(o->out_dir), "%s",
		     v[O_OUT] ? v[O_OUT] : "memvirt-out/sim") >= (int)sizeof(o->out_dir))
		bad("--out", v[O_OUT], "path too long");
	o->json = v[O_JSON] != NULL;
}

int cmd_sim(int argc, char **argv)
{
	static struct sim_opts o;
	static struct mode_run runs[SIM_MODES];
	struct sim_input_stats st = {0};
	struct report rep = {.o = &o, .runs = runs, .st = &st};
	char err[512], path[600];
	int rc;

	if (argc > 1 && !strcmp(argv[1], "convert"))
		return cmd_sim_convert(argc - 1, argv + 1);
	parse(argc, argv, &o);
	for (int mo = 0; mo < SIM_MODES; mo++) {
		if (!o.modes[mo])
			continue;
		rc = run_mode(&o, mo, &runs[mo], &st, err, sizeof(err));
		if (rc == -EINVAL && o.input != IN_WORKLOAD)
			die(EXIT_USAGE, "%s\n", err);
		if (rc)
			die(1, "%s\n", err);
	}
	rc = mkdir_p(o.out_dir);
	snprintf(path, sizeof(path), "%s/sim.json", o.out_dir);
	if (!rc)
		rc = write_file_atomic(path, sim_report_fill_json, &rep, false);
	if (rc)
		die(1, "writing %s: %s: check --out\n", path, strerror(-rc));
	if (o.json)
		sim_report_json(&rep, stdout);
	else
		sim_report_table(&rep);
	return 0;
}
