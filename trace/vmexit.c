// SPDX-License-Identifier: GPL-2.0
/*
 * The probes of trace/vmexit.bpf.c: KVM exits and entries, the guest page
 * faults KVM sees, control-register accesses and emulated instructions.
 */
#include "common/util.h"
#include "trace/probes.h"

static const struct probe_def vmexit_probes[] = {
	{PROBE_TP, "kvm", "kvm_exit", "mv_kvm_exit"},
	{PROBE_TP, "kvm", "kvm_entry", "mv_kvm_entry"},
	{PROBE_TP, "kvm", "kvm_page_fault", "mv_kvm_pf"},
	{PROBE_TP, "kvm", "kvm_cr", "mv_kvm_cr"},
	{PROBE_TP, "kvm", "kvm_emulate_insn", "mv_emulate"},
};

const struct probe_family vmexit_family = {"vmexit", vmexit_probes, ARRAY_SIZE(vmexit_probes)};
