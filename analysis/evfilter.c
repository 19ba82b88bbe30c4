// SPDX-License-Identifier: GPL-2.0
/* Record selection for 'trace dump' (type, cpu, time, GVA range) and decoded field values. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "analysis/analysis.h"
#include "trace/evfile.h"
#include "analysis/kvmdecode.h"

/*
 * The types this build knows: the format's own, guest and VMM (evtypes.c),
 * KVM and host (events_kvm.c, which a build without the tracer lacks, hence
 * names here).
 */
static bool known_type(const char *name)
{
	static const char *const names[] = {
		"end",
		"dropped",
		"clock",
		"note",
		"kvm_mmu_walk",
		"kvm_mmu_set_spte",
		"kvm_mmu_spte_requested",
		"kvm_mmu_get_page",
		"kvm_mmu_sync_page",
		"kvm_mmu_unsync_page",
		"kvm_mmu_prepare_zap_page",
		"fast_page_fault",
		"kvm_mmu_set_accessed_bit",
		"kvm_mmu_set_dirty_bit",
		"kvm_tdp_mmu_spte_changed",
		"kvm_mmu_split_huge_page",
		"handle_mmio_page_fault",
		"kvm_mmu_zap_all_fast",
		"kvm_exit",
		"kvm_entry",
		"kvm_page_fault",
		"kvm_cr",
		"kvm_emulate_insn",
		"kvm_counts",
		"host_page_fault",
		"host_gup_fault",
	};
	static const struct ev_type *const guest[] = {
		&ev_type_guest_fault,	  &ev_type_guest_map,	    &ev_type_guest_unmap,
		&ev_type_guest_protect,	  &ev_type_guest_as_create, &ev_type_guest_as_switch,
		&ev_type_guest_tlb_flush, &ev_type_vmm_chain,	    &ev_type_vmm_memslot,
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(guest); i++)
		if (!strcmp(name, guest[i]->name))
			return true;
	return false;
}

static int set_types(struct ev_dump_filter *f, const char *val, char *err, size_t len)
{
	const char *p = val;

	f->ntypes = 0;
	while (*p) {
		size_t n = strcspn(p, ",");

		if (!n || n > EV_NAME_LEN || f->ntypes == EV_FILTER_MAX_TYPES) {
			snprintf(err, len,
				 "--type %s: give at most %d type names separated by commas", val,
				 EV_FILTER_MAX_TYPES);
			return -EINVAL;
		}
		memcpy(f->types[f->ntypes], p, n);
		f->types[f->ntypes][n] = '\0';
		if (!known_type(f->types[f->ntypes])) {
			snprintf(
				err, len,
				"--type: unknown record type '%s': 'memvirt trace stat FILE' lists "
				"a file's types",
				f->types[f->ntypes]);
			return -EINVAL;
		}
		f->ntypes++;
		p += n;
		if (*p == ',' && !*++p) {
			snprintf(err, len, "--type %s: a type name is missing after the comma",
				 val);
			return -EINVAL;
		}
	}
	if (!f->ntypes) {
		snprintf(err, len, "--type needs a record type name, e.g. --type kvm_exit");
		return -EINVAL;
	}
	return 0;
}

/* A whole unsigned number (decimal, or hex with 0x), nothing after it. */
static bool filter_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && end != s && !*end;
}

static int set_gva(struct ev_dump_filter *f, const char *val, char *err, size_t len)
{
	const char *dash = strchr(val, '-');
	char lo[32];

	if (dash && (size_t)(dash - val) < sizeof(lo)) {
		memcpy(lo, val, (size_t)(dash - val));
		lo[dash - val] = '\0';
		if (filter_u64(lo, &f->gva_lo) && filter_u64(dash + 1, &f->gva_hi) &&
		    f->gva_lo < f->gva_hi) {
			f->has_gva = true;
			return 0;
		}
	}
	snprintf(err, len,
		 "--gva %s: give START-END with START < END, e.g. --gva 0x400000-0x500000", val);
	return -EINVAL;
}

static int filter_set(struct ev_dump_filter *f, const char *opt, const char *val, char *err,
		      size_t len)
{
	uint64_t v;

	if (!strcmp(opt, "type"))
		return set_types(f, val, err, len);
	if (!strcmp(opt, "gva"))
		return set_gva(f, val, err, len);
	if (!filter_u64(val, &v) || (!strcmp(opt, "cpu") && v > UINT16_MAX)) {
		snprintf(err, len, "--%s %s: give a whole number%s", opt, val,
			 !strcmp(opt, "cpu") ? " from 0 to 65535" : " of ns (the dump's time_ns)");
		return -EINVAL;
	}
	if (!strcmp(opt, "cpu")) {
		f->has_cpu = true;
		f->cpu = (uint16_t)v;
	} else if (!strcmp(opt, "since")) {
		f->has_since = true;
		f->since = v;
	} else if (!strcmp(opt, "until")) {
		f->has_until = true;
		f->until = v;
	} else {
		snprintf(err, len, "--%s: not a dump filter", opt);
		return -EINVAL;
	}
	if (f->has_since && f->has_until && f->since > f->until) {
		snprintf(err, len, "--since %" PRIu64 " is after --until %" PRIu64, f->since,
			 f->until);
		return -EINVAL;
	}
	return 0;
}

/* On a bad value @f is left as it was. */
int ev_dump_filter_set(struct ev_dump_filter *f, const char *opt, const char *val, char *err,
		       size_t len)
{
	struct ev_dump_filter n = *f;
	int ret = filter_set(&n, opt, val, err, len);

	if (!ret)
		*f = n;
	return ret;
}

bool ev_dump_filter_active(const struct ev_dump_filter *f)
{
	return f && (f->ntypes || f->has_cpu || f->has_since || f->has_until || f->has_gva);
}

/*
 * The field of @rec that holds a guest virtual address, or -1. Guest, VMM and
 * KVM records only: gva, cr2 and va always; addr and address (KVM's
 * cr2_or_gpa: a GVA under shadow paging, a GPA under TDP). The host's
 * address fields are host virtual addresses and never count.
 */
int ev_gva_field(const struct ev_record *rec)
{
	static const char *const names[] = {"gva", "cr2", "va", "addr", "address"};

	if (rec->source != EV_SRC_GUEST && rec->source != EV_SRC_VMM && rec->source != EV_SRC_KVM)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		int f = ev_field_index(rec->type, names[i]);

		if (f >= 0 && rec->type->field[f].kind != EV_K_CHAR)
			return f;
	}
	return -1;
}

bool ev_dump_filter_match(const struct ev_dump_filter *f, const struct ev_record *rec,
			  uint64_t time_ns)
{
	if (!f)
		return true;
	if (f->ntypes) {
		unsigned i;

		for (i = 0; i < f->ntypes; i++)
			if (!strcmp(f->types[i], rec->type->name))
				break;
		if (i == f->ntypes)
			return false;
	}
	if (f->has_cpu && rec->cpu != f->cpu)
		return false;
	if ((f->has_since && time_ns < f->since) || (f->has_until && time_ns > f->until))
		return false;
	if (f->has_gva) {
		int g = ev_gva_field(rec);
		uint64_t v;

		if (g < 0)
			return false;
		v = ev_field_u64(rec, g, 0);
		if (v < f->gva_lo || v >= f->gva_hi)
			return false;
	}
	return true;
}

static bool is_named(const struct ev_record *rec, int f, const char *name)
{
	return !strcmp(rec->type->field[f].name, name);
}

static bool type_is(const struct ev_record *rec, const char *name)
{
	return !strcmp(rec->type->name, name);
}

bool ev_decode_field(const struct ev_record *rec, int f, char *buf, size_t len)
{
	uint64_t v = ev_field_u64(rec, f, 0);

	if (rec->type->field[f].count != 1 || rec->type->field[f].kind == EV_K_CHAR)
		return false;
	if (type_is(rec, "kvm_exit") && is_named(rec, f, "exit_code")) {
		int isa = ev_field_index(rec->type, "isa");
		int known = ev_field_index(rec->type, "reason_known");
		char tmp[24];

		if (known >= 0 && !ev_field_u64(rec, known, 0))
			return false;
		snprintf(buf, len, "%s",
			 kvm_exit_format(isa >= 0 ? (unsigned)ev_field_u64(rec, isa, 0) : 0, v, tmp,
					 sizeof(tmp)));
		return true;
	}
	if (type_is(rec, "kvm_exit") && is_named(rec, f, "isa")) {
		snprintf(buf, len, "%s", kvm_isa_name((unsigned)v));
		return true;
	}
	if (is_named(rec, f, "error_code") || is_named(rec, f, "pferr") ||
	    (type_is(rec, "kvm_mmu_walk") && is_named(rec, f, "error") && v)) {
		kvm_pferr_format(v, buf, len);
		return true;
	}
	if (is_named(rec, f, "role") && !strncmp(rec->type->name, "kvm_mmu_", 8)) {
		kvm_role_format((uint32_t)v, buf, len);
		return true;
	}
	return false;
}
