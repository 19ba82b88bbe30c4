// SPDX-License-Identifier: GPL-2.0
/* memvirt sim: file inputs (lackey text, access traces, event files) and 'sim convert'. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "mmu/atrace.h"
#include "mmu/mmu.h"
#include "src/cmd_sim.h"
#include "src/cmds.h"
#include "trace/evfile.h"
#include "mmu/ptsnap.h"

/* Open @path for reading with a large buffer; its size in *size (0 for a pipe). */
static FILE *input_open(const char *opt, const char *path, uint64_t *size, char *err, size_t errlen)
{
	struct stat sb;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "%s %s: %s", opt, path, strerror(errno));
		return NULL;
	}
	*size = !fstat(fileno(f), &sb) && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

/* One access of a trace: map its page on first touch, then access (a modify is two). */
static int input_access(struct machine *m, const struct atrace_rec *r, struct sim_input_stats *st,
			const char *where, char *err, size_t errlen)
{
	int rc;

	switch (r->kind) {
	case ATRACE_FETCH:
		st->fetches++; /* instruction fetches are not simulated */
		return 0;
	case ATRACE_LOAD:
		st->loads++;
		break;
	case ATRACE_STORE:
		st->stores++;
		break;
	case ATRACE_MODIFY:
		st->modifies++;
		break;
	default:
		return 0;
	}
	rc = machine__demand_map(m, r->addr);
	if (rc) {
		snprintf(err, errlen, "%s: cannot map address 0x%" PRIx64 ": %s", where, r->addr,
			 strerror(-rc));
		return rc;
	}
	machine__access(m, r->addr, r->kind == ATRACE_STORE);
	if (r->kind == ATRACE_MODIFY)
		machine__access(m, r->addr, true);
	return 0;
}

int sim_input_lackey(struct machine *m, const char *path, struct sim_input_stats *st, char *err,
		     size_t errlen)
{
	struct lackey_reader *lr;
	struct atrace_rec r;
	char where[600];
	uint64_t size;
	FILE *f;
	int rc;

	memset(st, 0, sizeof(*st));
	f = input_open("--lackey", path, &size, err, errlen);
	if (!f)
		return -errno;
	lr = lackey_reader__new(f, path);
	if (!lr) {
		fclose(f);
		return -ENOMEM;
	}
	machine__set_input(m, f, size);
	while ((rc = lackey_reader__next(lr, &r, err, errlen)) > 0) {
		snprintf(where, sizeof(where), "%s:%" PRIu64, path, lackey_reader__lines(lr));
		rc = input_access(m, &r, st, where, err, errlen);
		if (rc)
			break;
	}
	st->lines = lackey_reader__lines(lr);
	machine__set_input(m, NULL, 0);
	lackey_reader__free(lr);
	fclose(f);
	return rc;
}

int sim_input_atrace(struct machine *m, const char *path, struct sim_input_stats *st, char *err,
		     size_t errlen)
{
	struct atrace_reader *rd;
	struct atrace_rec r;
	char where[600];
	uint64_t size;
	FILE *f;
	int rc;

	memset(st, 0, sizeof(*st));
	f = input_open("--access-trace", path, &size, err, errlen);
	if (!f)
		return -errno;
	rd = atrace_reader__new(f, path, err, errlen);
	if (!rd) {
		rc = -errno;
		fclose(f);
		return rc;
	}
	machine__set_input(m, f, size);
	while ((rc = atrace_reader__next(rd, &r, err, errlen)) > 0) {
		snprintf(where, sizeof(where), "%s: record %" PRIu64, path,
			 atrace_reader__counts(rd)->records);
		rc = input_access(m, &r, st, where, err, errlen);
		if (rc)
			break;
	}
	st->records = atrace_reader__counts(rd)->records;
	machine__set_input(m, NULL, 0);
	atrace_reader__free(rd);
	fclose(f);
	return rc;
}

/* Where the address and the access kind of one event type are. */
struct ev_addr_field {
	const char *type, *addr, *err;
	const struct ev_rtype *t;
	int fa, fe;
};

/* #PF error code bit 1 (SDM Vol. 3A §4.7): a write; KVM's PFERR_WRITE_MASK is the same bit. */
#define EV_PF_WRITE (1u << 1)

int sim_input_events(struct machine *m, const char *path, struct sim_input_stats *st, char *err,
		     size_t errlen)
{
	struct ev_addr_field use[] = {
		{"guest_fault", "cr2", "error_code", NULL, -1, -1},
		{"kvm_mmu_walk", "addr", "pferr", NULL, -1, -1},
	};
	struct ev_reader *r = NULL;
	struct ev_record rec;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = ev_reader_open(&r, path);
	if (rc) {
		snprintf(err, errlen, "--trace %s: %s", path,
			 rc == -EINVAL && r ? ev_reader_error(r) : strerror(-rc));
		ev_reader_close(r);
		return rc == -EINVAL ? -EINVAL : rc;
	}
	while ((rc = ev_read(r, &rec)) > 0) {
		struct ev_addr_field *u = NULL;
		gva_t va;
		int mrc;

		st->records++;
		for (size_t i = 0; i < sizeof(use) / sizeof(use[0]); i++) {
			if (!use[i].t) {
				use[i].t = ev_reader_type(r, use[i].type);
				if (use[i].t) {
					use[i].fa = ev_field_index(use[i].t, use[i].addr);
					use[i].fe = ev_field_index(use[i].t, use[i].err);
				}
			}
			if (use[i].t && rec.type == use[i].t && use[i].fa >= 0)
				u = &use[i];
		}
		if (!u) {
			st->other++;
			continue;
		}
		va = ev_field_u64(&rec, u->fa, 0);
		if (u == &use[0])
			st->guest_faults++;
		else
			st->kvm_walks++;
		mrc = machine__demand_map(m, va);
		if (mrc) {
			snprintf(err, errlen,
				 "%s: offset %" PRIu64 ": cannot map address 0x%" PRIx64 ": %s",
				 path, rec.offset, va, strerror(-mrc));
			ev_reader_close(r);
			return mrc;
		}
		machine__access(m, va, u->fe >= 0 && (ev_field_u64(&rec, u->fe, 0) & EV_PF_WRITE));
	}
	if (rc < 0) {
		snprintf(err, errlen, "--trace %s: %s", path, ev_reader_error(r));
		rc = -EINVAL;
	}
	ev_reader_close(r);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* --run DIR: the guest's own tables */

static int run_page(void *ctx, const struct ptsnap_page *p)
{
	struct ptmem *guest = ctx;
	const uint64_t *e = (const uint64_t *)p->data;
	int err = 0;

	for (unsigned i = 0; guest && !err && i < 512; i++)
		err = ptmem__write64(guest, p->gpa + 8 * i, e[i]);
	return err;
}

int sim_run_load(const char *dir, struct ptmem *guest, struct ptsnap_header *h, uint64_t *mem_end,
		 char *err, size_t errlen)
{
	struct ptsnap_region map[PTSNAP_MAX_MAP];
	char path[600];
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, PTSNAP_FILE) >= (int)sizeof(path)) {
		snprintf(err, errlen, "--run %s: path too long", dir);
		return -EINVAL;
	}
	rc = ptsnap_read(path, h, map, run_page, guest, err, errlen);
	*mem_end = 0;
	for (unsigned i = 0; !rc && i < h->nregions; i++)
		if (map[i].gpa + map[i].size > *mem_end)
			*mem_end = map[i].gpa + map[i].size;
	if (!rc && *mem_end > (1ULL << 36)) {
		snprintf(err, errlen, "--run %s: guest memory above 64G is not simulated", dir);
		return -EINVAL;
	}
	if (rc == -ENOENT)
		snprintf(err, errlen,
			 "--run %s: no %s: the run is older than page-table snapshots "
			 "or did not start: repeat it with 'memvirt run'",
			 dir, PTSNAP_FILE);
	else if (rc && rc != -EINVAL)
		snprintf(err, errlen, "--run %s: loading %s: %s", dir, PTSNAP_FILE, strerror(-rc));
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t count_distinct(uint64_t *v, size_t n)
{
	uint64_t d = 0;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < n; i++)
		d += !i || v[i] != v[i - 1];
	return d;
}

uint64_t sim_run_leaf_tables(struct ptmem *guest, uint64_t root, unsigned levels,
			     unsigned maxphyaddr, gva_t gva, uint64_t len, uint64_t *large)
{
	struct walk_cpu cpu = {
		.root = root, .levels = levels, .maxphyaddr = maxphyaddr, .nxe = true};
	size_t n = 0, cap = (size_t)(len >> 21) + 2;
	uint64_t *tables = calloc(cap, sizeof(*tables)), d;
	struct walk w;

	*large = 0;
	if (!tables)
		return 0;
	for (uint64_t off = 0; off < len && n < cap; off += 1ULL << 21) {
		if (walk__1d(ptmem__mem(guest), &cpu, gva + off, 0, &w))
			continue;
		if (w.leaf_level == 1)
			tables[n++] = w.lvl[1].table;
		else
			(*large)++;
	}
	d = count_distinct(tables, n);
	free(tables);
	return d;
}

/* ------------------------------------------------------------------------------------------ */
/* memvirt sim convert --lackey IN -o OUT */

static void convert_usage(FILE *f)
{
	fprintf(f,
		"usage: memvirt sim convert --lackey FILE -o OUT.mvat\n\n"
		"Converts valgrind lackey output (valgrind --tool=lackey --trace-mem=yes) into\n"
		"memvirt's binary access trace (docs/access-trace.md), streamed: memory use does\n"
		"not grow with the trace. FILE may be '-' for standard input, OUT '-' for\n"
		"standard output.\n\n"
		"examples:\n"
		"  valgrind --tool=lackey --trace-mem=yes ls 2>ls.lackey\n"
		"  memvirt sim convert --lackey ls.lackey -o ls.mvat\n"
		"  memvirt sim --access-trace ls.mvat --paging all\n\n"
		"exit status: 0 ok, 1 output failure, 2 bad usage or input\n");
}

/* Write @out as @out.tmp and rename when complete, so no partial trace is left behind. */
static int convert_run(FILE *in, const char *inname, FILE *out, struct atrace_counts *n,
		       uint64_t *lines, char *err, size_t errlen)
{
	struct lackey_reader *lr = lackey_reader__new(in, inname);
	struct atrace_writer *w = atrace_writer__new(out);
	struct atrace_rec r;
	int rc;

	if (!lr || !w) {
		lackey_reader__free(lr);
		atrace_writer__free(w);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while ((rc = lackey_reader__next(lr, &r, err, errlen)) > 0) {
		if (atrace_writer__put(w, &r)) {
			snprintf(err, errlen, "writing the trace: %s",
				 strerror(errno ? errno : EIO));
			rc = -EIO;
			break;
		}
	}
	*lines = lackey_reader__lines(lr);
	*n = *atrace_writer__counts(w);
	lackey_reader__free(lr);
	if (rc) {
		atrace_writer__free(w);
		return rc;
	}
	rc = atrace_writer__finish(w);
	if (rc)
		snprintf(err, errlen, "writing the trace: %s", strerror(-rc));
	return rc;
}

int cmd_sim_convert(int argc, char **argv)
{
	static const struct option opts[] = {{"lackey", required_argument, 0, 'l'},
					     {"output", required_argument, 0, 'o'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	const char *in = NULL, *out = NULL;
	struct atrace_counts n;
	char err[700], tmp[600];
	uint64_t lines = 0;
	FILE *fi, *fo;
	int opt, rc;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		if (opt == 'h') {
			convert_usage(stdout);
			return 0;
		}
		if (opt == 'l')
			in = optarg;
		else if (opt == 'o')
			out = optarg;
		else
			die(EXIT_USAGE, "%s '%s': run 'memvirt sim convert --help'\n",
			    opt == ':' ? "option needs a value" : "unknown option",
			    argv[optind - 1]);
	}
	if (optind < argc || !in || !out)
		die(EXIT_USAGE,
		    "give --lackey FILE and -o OUT: run 'memvirt sim convert --help'\n");
	fi = strcmp(in, "-") ? fopen(in, "r") : stdin;
	if (!fi)
		die(EXIT_USAGE, "--lackey %s: %s\n", in, strerror(errno));
	setvbuf(fi, NULL, _IOFBF, 1 << 20);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", out) >= (int)sizeof(tmp))
		die(EXIT_USAGE, "-o %s: path too long\n", out);
	fo = strcmp(out, "-") ? fopen(tmp, "w") : stdout;
	if (!fo)
		die(1, "-o %s: %s: check the directory\n", tmp, strerror(errno));
	rc = convert_run(fi, strcmp(in, "-") ? in : "<stdin>", fo, &n, &lines, err, sizeof(err));
	if (fo != stdout && fclose(fo) && !rc) {
		snprintf(err, sizeof(err), "closing %s: %s", tmp, strerror(errno));
		rc = -EIO;
	}
	if (fi != stdin)
		fclose(fi);
	if (!rc && fo != stdout && rename(tmp, out)) {
		snprintf(err, sizeof(err), "renaming %s to %s: %s", tmp, out, strerror(errno));
		rc = -EIO;
	}
	if (rc) {
		if (fo != stdout)
			unlink(tmp);
		die(rc == -EINVAL ? EXIT_USAGE : 1, "%s\n", err);
	}
	fprintf(stderr,
		"%s: %" PRIu64 " lines, %" PRIu64 " records (%" PRIu64 " loads, %" PRIu64
		" stores, %" PRIu64 " modifies, %" PRIu64 " fetches)\n",
		out, lines, n.records, n.kind[ATRACE_LOAD], n.kind[ATRACE_STORE],
		n.kind[ATRACE_MODIFY], n.kind[ATRACE_FETCH]);
	return 0;
}
