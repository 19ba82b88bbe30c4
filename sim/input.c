// SPDX-License-Identifier: GPL-2.0
/* The machine's file inputs: lackey text, access traces, event files; pages mapped on first touch.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "mmu/atrace.h"
#include "mmu/mmu.h"
#include "sim/internal.h"
#include "trace/evfile.h"

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
