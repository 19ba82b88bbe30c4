// SPDX-License-Identifier: GPL-2.0
/* KVM's counters against the model's: which counters, their relative error, the claims. */
#include <string.h>

#include "shadow/shadow.h"
#include "validate/validate.h"

#define PF_GUEST_RULE                                                                          \
	"KVM intercepts every guest #PF under shadow paging and reinjects the ones the guest " \
	"tables refuse (kvm_inject_page_fault); the model reinjects one per guest_fault record"

#define PF_FIXED_RULE                                                                          \
	"each first touch of a guest frame faults once, twice when read first (the host maps " \
	"its zero page read-only, then copy-on-write and a retry); the replay makes the same " \
	"touches from the workload's accesses, the guest's faults and its event-ring writes"

static const struct validate_counter shadow_counters[] = {
	{"pf_taken", "vcpu", VALIDATE_COMPARED, NULL},
	{"pf_fixed", "vcpu", VALIDATE_NET, PF_FIXED_RULE},
	{"pf_guest", "vcpu", VALIDATE_EXACT, PF_GUEST_RULE},
	{"pf_emulate", "vcpu", VALIDATE_COMPARED, NULL},
	{"pf_spurious", "vcpu", VALIDATE_COMPARED, NULL},
	{"invlpg", "vcpu", VALIDATE_EXACT,
	 "INVLPG exits under shadow paging and kvm_mmu_invlpg counts it; the model runs it once "
	 "per guest_tlb_flush INVLPG record"},
	{"tlb_flush", "vcpu", VALIDATE_COMPARED, NULL},
	{"mmu_cache_miss", "vm", VALIDATE_COMPARED, NULL},
	{"mmu_pte_write", "vm", VALIDATE_COMPARED, NULL},
	{"mmu_pde_zapped", "vm", VALIDATE_COMPARED, NULL},
	{"mmu_flooded", "vm", VALIDATE_COMPARED, NULL},
	{"mmu_shadow_zapped", "vm", VALIDATE_COMPARED, NULL},
	{"mmu_recycled", "vm", VALIDATE_COMPARED, NULL},
	{"mmu_unsync", "vm", VALIDATE_COMPARED, NULL},
	{"pages_4k", "vm", VALIDATE_COMPARED, NULL},
	{"pages_2m", "vm", VALIDATE_COMPARED, NULL},
};

static const struct validate_counter nested_counters[] = {
	{"pf_taken", "vcpu", VALIDATE_COMPARED, NULL},
	{"pf_fixed", "vcpu", VALIDATE_NET, PF_FIXED_RULE},
	{"pf_guest", "vcpu", VALIDATE_EXACT,
	 "with NPT/EPT guest #PFs are delivered by the CPU without an exit, so KVM reinjects "
	 "none; the model's nested machine takes no guest-fault exit"},
	{"tlb_flush", "vcpu", VALIDATE_COMPARED, NULL},
	{"pages_4k", "vm", VALIDATE_COMPARED, NULL},
	{"pages_2m", "vm", VALIDATE_COMPARED, NULL},
};

const struct validate_counter *validate_counters(enum validate_mode mode, size_t *n)
{
	if (mode == VALIDATE_NESTED) {
		*n = sizeof(nested_counters) / sizeof(nested_counters[0]);
		return nested_counters;
	}
	*n = sizeof(shadow_counters) / sizeof(shadow_counters[0]);
	return shadow_counters;
}

bool validate_rel_err(uint64_t kvm, uint64_t model, double *rel)
{
	uint64_t d = model > kvm ? model - kvm : kvm - model;

	if (!kvm) {
		*rel = 0;
		return !model;
	}
	*rel = (double)d / (double)kvm;
	return true;
}

static bool kvm_value(const struct vm_stat *kvm, unsigned nkvm, const struct validate_counter *c,
		      uint64_t *v)
{
	for (unsigned i = 0; i < nkvm; i++)
		if (!strcmp(kvm[i].name, c->name) && !strcmp(kvm[i].scope, c->scope)) {
			*v = kvm[i].value;
			return true;
		}
	return false;
}

/*
 * The model's value: shadow mode, KVM's counter as the shadow MMU model keeps it; nested
 * mode, the TDP faults, flushes and 4K entries of the nested machine over anonymous host
 * memory (tdp_valid), else the first-touch faults of a host mapping guest memory 4K at a time
 * (every NPT fault a fixed fault: pf_taken = pf_fixed, one 4K TDP page each); no reinjected
 * guest fault.
 */
static bool model_value(enum validate_mode mode, const struct sim_mode_result *m,
			const struct validate_counter *c, uint64_t *v)
{
	if (mode == VALIDATE_SHADOW)
		return !shadow_stat_get(&m->shadow.st, c->name, v);
	if (m->tdp_valid && !strcmp(c->name, "pf_taken"))
		*v = m->tdp.pf_taken;
	else if (m->tdp_valid && !strcmp(c->name, "pf_fixed"))
		*v = m->tdp.pf_fixed;
	else if (m->tdp_valid && !strcmp(c->name, "pages_4k"))
		*v = m->tdp.pages_4k;
	else if (m->tdp_valid && !strcmp(c->name, "tlb_flush"))
		*v = m->tdp.tlb_flush;
	else if (m->tdp_valid && !strcmp(c->name, "pages_2m"))
		*v = m->tdp.pages_2m;
	else if (!strcmp(c->name, "pf_taken") || !strcmp(c->name, "pf_fixed") ||
		 !strcmp(c->name, "pages_4k"))
		*v = m->guest_pages_used;
	else if (!strcmp(c->name, "pf_guest"))
		*v = m->shadow.guest_fault_exits;
	else if (!strcmp(c->name, "pages_2m"))
		*v = 0;
	else
		return false;
	return true;
}

/* |model - kvm| / |kvm| of two net values; false when undefined (kvm 0, model not). */
static bool net_err(int64_t kvm, int64_t model, double *rel)
{
	double d = (double)model - (double)kvm;

	if (!kvm) {
		*rel = 0;
		return !model;
	}
	*rel = (d < 0 ? -d : d) / (double)(kvm < 0 ? -kvm : kvm);
	return true;
}

size_t validate_compare(enum validate_mode mode, const struct vm_stat *kvm, unsigned nkvm,
			const struct sim_mode_result *model, const struct validate_base *base,
			struct validate_row *rows, size_t max)
{
	size_t n, out = 0;
	const struct validate_counter *c = validate_counters(mode, &n);

	for (size_t i = 0; i < n && out < max; i++) {
		struct validate_row *r = &rows[out++];
		uint64_t bk, bm;

		memset(r, 0, sizeof(*r));
		r->counter = &c[i];
		r->have_kvm = kvm_value(kvm, nkvm, &c[i], &r->kvm);
		r->have_model = model && model_value(mode, model, &c[i], &r->model);
		r->rel_defined = r->have_kvm && r->have_model &&
				 validate_rel_err(r->kvm, r->model, &r->rel_err);
		r->have_net = base && r->have_kvm && r->have_model &&
			      kvm_value(base->kvm, base->nkvm, &c[i], &bk) &&
			      model_value(mode, base->model, &c[i], &bm);
		if (r->have_net) {
			r->kvm_net = (int64_t)r->kvm - (int64_t)bk;
			r->model_net = (int64_t)r->model - (int64_t)bm;
			r->net_defined = net_err(r->kvm_net, r->model_net, &r->net_err);
		}
		switch (c[i].claim) {
		case VALIDATE_EXACT:
			r->ok = r->rel_defined && r->rel_err <= VALIDATE_TOLERANCE;
			break;
		case VALIDATE_NET:
			r->ok = !base || (r->net_defined && r->net_err <= VALIDATE_TOLERANCE);
			break;
		case VALIDATE_COMPARED:
			r->ok = true;
			break;
		}
	}
	return out;
}
