// SPDX-License-Identifier: GPL-2.0
/* The machine's file inputs: lackey text, access traces, event files; pages mapped on first touch.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/instream.h"
#include "mmu/atrace.h"
#include "mmu/mmu.h"
#include "sim/internal.h"
#include "trace/evfile.h"
#include "workloads/abi.h"

/* Open @path ('-': standard input; gzip and zstd decompressed); NULL with errno and @err. */
static struct in_stream *input_open(const char *opt, const char *path, char *err, size_t errlen)
{
	char why[400];
	struct in_stream *s = in_stream__open(path, why, sizeof(why));

	if (!s)
		snprintf(err, errlen, "%s %s", opt, why);
	return s;
}

/*
 * One access of a trace: map its page on first touch, then access (a modify is two). On
 * error the caller names the record: no message is made per record.
 */
static inline int input_access(struct machine *m, const struct atrace_rec *r,
			       struct sim_input_stats *st)
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
	if (rc)
		return rc;
	machine__access(m, r->addr, r->kind == ATRACE_STORE);
	if (r->kind == ATRACE_MODIFY)
		machine__access(m, r->addr, true);
	return 0;
}

static void input_map_error(const struct machine *m, const char *where, uint64_t at,
			    const char *sep, const struct atrace_rec *r, int rc, char *err,
			    size_t errlen)
{
	snprintf(err, errlen, "%s%s%" PRIu64 ": cannot map address 0x%" PRIx64 ": %s", where, sep,
		 at, r->addr, rc == -ENOSPC ? machine__full_msg(m) : strerror(-rc));
}

int sim_input_lackey(struct machine *m, const char *path, struct sim_input_stats *st, char *err,
		     size_t errlen)
{
	const char *name = machine__input_name(m, path);
	struct lackey_reader *lr;
	struct in_stream *s;
	struct atrace_rec r;
	int rc;

	memset(st, 0, sizeof(*st));
	s = input_open("--lackey", path, err, errlen);
	if (!s)
		return errno == ENOTSUP ? -EINVAL : -errno;
	lr = lackey_reader__new_stream(s, name);
	if (!lr) {
		in_stream__close(s);
		return -ENOMEM;
	}
	machine__set_input(m, s);
	while ((rc = lackey_reader__next(lr, &r, err, errlen)) > 0) {
		rc = input_access(m, &r, st);
		if (rc) {
			input_map_error(m, name, lackey_reader__lines(lr), ":", &r, rc, err,
					errlen);
			break;
		}
	}
	st->lines = lackey_reader__lines(lr);
	machine__set_input(m, NULL);
	lackey_reader__free(lr);
	in_stream__close(s);
	return rc;
}

int sim_input_atrace(struct machine *m, const char *path, struct sim_input_stats *st, char *err,
		     size_t errlen)
{
	const char *name = machine__input_name(m, path);
	struct atrace_reader *rd;
	struct in_stream *s;
	struct atrace_rec r;
	int rc;

	memset(st, 0, sizeof(*st));
	s = input_open("--access-trace", path, err, errlen);
	if (!s)
		return errno == ENOTSUP ? -EINVAL : -errno;
	rd = atrace_reader__new_stream(s, name, err, errlen);
	if (!rd) {
		rc = -errno;
		in_stream__close(s);
		return rc;
	}
	machine__set_input(m, s);
	while ((rc = atrace_reader__next(rd, &r, err, errlen)) > 0) {
		rc = input_access(m, &r, st);
		if (rc) {
			input_map_error(m, name, atrace_reader__counts(rd)->records, ": record ",
					&r, rc, err, errlen);
			break;
		}
	}
	st->records = atrace_reader__counts(rd)->records;
	machine__set_input(m, NULL);
	atrace_reader__free(rd);
	in_stream__close(s);
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

/*
 * Leaf bits of a mapping with MV_PROT_* @prot, as the guest kernel makes them (prot_flags
 * in workloads/kernel/mm.c): user, writable with MV_PROT_WRITE, NX unless MV_PROT_EXEC.
 */
static uint64_t ev_prot_bits(uint64_t prot)
{
	return PTE_US | ((prot & MV_PROT_WRITE) ? PTE_RW : 0) |
	       ((prot & MV_PROT_EXEC) ? 0 : PTE_NX);
}

/*
 * munmap and mprotect: the kernel rewrites each present leaf of the mapping (one store
 * each; munmap clears it and frees the frame); the INVLPGs or CR3 reload that follow are
 * their own records.
 */
static int ev_replay_range(struct machine *m, const struct ev_record *rec,
			   const struct ev_update_type *u, bool unmap, struct ev_discards *d)
{
	uint64_t va = ev_field_u64(rec, u->fva, 0), len = ev_field_u64(rec, u->flen, 0);
	uint64_t set = 0, end = va + len, size;
	gva_t next;
	gpa_t pa;
	int rc;

	if (!unmap)
		set = ev_prot_bits(u->fprot >= 0 ? ev_field_u64(rec, u->fprot, 0) : 0);
	if (u->fva < 0 || u->flen < 0 || end < va)
		return -EINVAL;
	/* Leaf by leaf; a missing table skips the region it would map, so any range is quick. */
	for (; va < end; va = next) {
		rc = machine__set_leaf(m, va, unmap, PTE_RW | PTE_NX | PTE_US, set, &next, &pa,
				       &size);
		if (rc < 0)
			return rc;
		if (rc && unmap && (rc = ev_discard_add(d, pa, size)))
			return rc;
		if (next <= va)
			break;
	}
	return 0;
}

int ev_discard_add(struct ev_discards *d, gpa_t pa, uint64_t size)
{
	struct ev_range *r = d->n ? &d->v[d->n - 1] : NULL;

	/* frame_free(): a frame right after the last range extends it (one madvise each) */
	if (r && r->start + r->len == pa) {
		r->len += size;
		return 0;
	}
	if (d->n == d->cap) {
		unsigned cap = d->cap ? 2 * d->cap : 16;
		struct ev_range *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = (struct ev_range){pa, size};
	return 0;
}

/*
 * The VMM discards the freed frames (MV_MSG_DISCARD after munmap's flushes): the kernel sends
 * them MV_DISCARD_MAX ranges to a message, one exit each.
 */
int ev_discard_apply(struct machine *m, struct ev_discards *d)
{
	gpa_t start[MV_DISCARD_MAX];
	uint64_t len[MV_DISCARD_MAX];
	int rc = 0;

	for (unsigned i = 0; i < d->n && !rc; i += MV_DISCARD_MAX) {
		unsigned k = d->n - i < MV_DISCARD_MAX ? d->n - i : MV_DISCARD_MAX;

		for (unsigned j = 0; j < k; j++) {
			start[j] = d->v[i + j].start;
			len[j] = d->v[i + j].len;
		}
		rc = machine__host_discard(m, start, len, k);
	}
	d->n = 0;
	return rc;
}

int ev_replay(struct machine *m, const struct ev_record *rec, const struct ev_update_type *u,
	      enum ev_update k, struct ev_discards *d)
{
	uint64_t cr3 = u->fcr3 >= 0 ? ev_field_u64(rec, u->fcr3, 0) : 0;

	/* the discards of an unmap follow its flushes */
	if (k != UPD_FLUSH) {
		int rc = ev_discard_apply(m, d);

		if (rc)
			return rc;
	}
	switch (k) {
	case UPD_MAP: /* demand paging: the kernel writes no entry until a fault */
		return machine__as_seen(m, cr3);
	case UPD_UNMAP:
	case UPD_PROTECT:
		return ev_replay_range(m, rec, u, k == UPD_UNMAP, d);
	case UPD_AS_CREATE:
		return machine__as_seen(m, cr3);
	case UPD_AS_SWITCH:
		return machine__cr3_load(m, cr3);
	case UPD_FLUSH:
		switch (u->fkind >= 0 ? ev_field_u64(rec, u->fkind, 0) : ~0ULL) {
		case EV_FLUSH_INVLPG:
			return machine__invlpg(m, u->fva >= 0 ? ev_field_u64(rec, u->fva, 0) : 0);
		case EV_FLUSH_CR3:
			return machine__cr3_load(m, cr3);
		case EV_FLUSH_ALL:
			return machine__flush_guest(m);
		default:
			return -EINVAL;
		}
	case UPD_N:
		break;
	}
	return -EINVAL;
}

void ev_update_types_init(struct ev_update_type upd[UPD_N])
{
	static const char *const names[UPD_N] = {"guest_map",	    "guest_unmap",
						 "guest_protect",   "guest_as_create",
						 "guest_as_switch", "guest_tlb_flush"};

	for (unsigned k = 0; k < UPD_N; k++)
		upd[k] = (struct ev_update_type){names[k], NULL, -1, -1, -1, -1, -1};
}

enum ev_update ev_update_of(struct ev_reader *r, const struct ev_record *rec,
			    struct ev_update_type *upd)
{
	for (unsigned k = 0; k < UPD_N; k++) {
		struct ev_update_type *u = &upd[k];

		if (!u->t && (u->t = ev_reader_type(r, u->type))) {
			u->fva = ev_field_index(u->t, "va");
			u->flen = ev_field_index(u->t, "len");
			u->fcr3 = ev_field_index(u->t, "cr3");
			u->fprot = ev_field_index(u->t, "prot");
			u->fkind = ev_field_index(u->t, "kind");
		}
		if (u->t && rec->type == u->t)
			return (enum ev_update)k;
	}
	return UPD_N;
}

int sim_input_events(struct machine *m, const char *path, struct sim_input_stats *st, char *err,
		     size_t errlen)
{
	struct ev_addr_field use[] = {
		{"guest_fault", "cr2", "error_code", NULL, -1, -1},
		{"kvm_mmu_walk", "addr", "pferr", NULL, -1, -1},
	};
	struct ev_update_type upd[UPD_N];
	struct ev_discards d = {0};
	bool replay = m->spt != NULL; /* shadow mode replays the guest's table updates */
	struct ev_reader *r = NULL;
	struct ev_record rec;
	int rc;

	memset(st, 0, sizeof(*st));
	ev_update_types_init(upd);
	rc = ev_reader_open(&r, path);
	path = machine__input_name(m, path);
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
			enum ev_update k = replay ? ev_update_of(r, &rec, upd) : UPD_N;

			st->other++;
			if (k == UPD_N)
				continue;
			st->replayed++;
			mrc = ev_replay(m, &rec, &upd[k], k, &d);
			if (mrc) {
				snprintf(err, errlen, "%s: offset %" PRIu64 ": replaying %s: %s",
					 path, rec.offset, upd[k].type, strerror(-mrc));
				ev_reader_close(r);
				free(d.v);
				return mrc == -EINVAL ? -EINVAL : mrc;
			}
			continue;
		}
		va = ev_field_u64(&rec, u->fa, 0);
		if (u == &use[0])
			st->guest_faults++;
		else
			st->kvm_walks++;
		mrc = replay ? machine__fault_map(m, va) : machine__demand_map(m, va);
		if (mrc) {
			snprintf(err, errlen,
				 "%s: offset %" PRIu64 ": cannot map address 0x%" PRIx64 ": %s",
				 path, rec.offset, va, strerror(-mrc));
			ev_reader_close(r);
			free(d.v);
			return mrc;
		}
		machine__access(m, va, u->fe >= 0 && (ev_field_u64(&rec, u->fe, 0) & EV_PF_WRITE));
	}
	if (rc < 0) {
		snprintf(err, errlen, "--trace %s: %s", path, ev_reader_error(r));
		rc = -EINVAL;
	}
	if (!rc && (rc = ev_discard_apply(m, &d)))
		snprintf(err, errlen, "%s: replaying the last discards: %s", path, strerror(-rc));
	free(d.v);
	ev_reader_close(r);
	return rc;
}

/* Whether the text at @p looks like lackey output: its first line other than a "==PID==" one. */
static bool looks_lackey(const uint8_t *p, size_t n)
{
	char line[128];
	struct atrace_rec r;

	while (n) {
		const uint8_t *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t)(nl - p) : n;

		if (len >= sizeof(line))
			return false;
		memcpy(line, p, len);
		line[len] = 0;
		if (strncmp(line, "==", 2))
			return lackey_parse_line(line, &r) > 0;
		if (!nl)
			return false;
		n -= len + 1;
		p += len + 1;
	}
	return false;
}

int sim_input_detect(const char *path, char *err, size_t errlen)
{
	char sub[4096], why[400];
	struct in_stream *s;
	const uint8_t *p;
	struct stat sb;
	ssize_t n;
	int kind;

	if (!stat(path, &sb) && S_ISDIR(sb.st_mode)) {
		snprintf(sub, sizeof(sub), "%s/run.json", path);
		if (!access(sub, R_OK))
			return SIM_IN_RUN;
		snprintf(err, errlen, "%s: a directory without run.json: not a run directory",
			 path);
		return -EINVAL;
	}
	s = in_stream__open(path, why, sizeof(why));
	if (!s) {
		snprintf(err, errlen, "%s", why);
		return errno == ENOTSUP ? -EINVAL : -errno;
	}
	n = in_stream__peek(s, &p, 65536);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, in_stream__error(s));
		in_stream__close(s);
		return -EINVAL;
	}
	kind = (size_t)n >= sizeof(EV_MAGIC) - 1 && !memcmp(p, EV_MAGIC, sizeof(EV_MAGIC) - 1)
		       ? SIM_IN_EVENTS
	       : n >= 8 && !memcmp(p, ATRACE_MAGIC, 8) ? SIM_IN_ATRACE
	       : looks_lackey(p, (size_t)n)	       ? SIM_IN_LACKEY
						       : -EINVAL;
	in_stream__close(s);
	if (kind >= 0)
		return kind;
	snprintf(err, errlen,
		 "%s: not an input memvirt sim knows (an event file, an access trace, lackey "
		 "text or a run directory): give --workload, --lackey, --access-trace, --trace "
		 "or --run",
		 path);
	return -EINVAL;
}
