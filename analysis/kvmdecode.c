// SPDX-License-Identifier: GPL-2.0
/* Decoding tables for KVM records: exit reasons, page-fault error codes, shadow page roles. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "analysis/kvmdecode.h"

/* Intel SDM Vol. 3C, Appendix C "VMX Basic Exit Reasons". */
static const char *const vmx_reasons[] = {
	[0] = "EXCEPTION_NMI",
	[1] = "EXTERNAL_INTERRUPT",
	[2] = "TRIPLE_FAULT",
	[3] = "INIT_SIGNAL",
	[4] = "SIPI_SIGNAL",
	[5] = "IO_SMI",
	[6] = "OTHER_SMI",
	[7] = "INTERRUPT_WINDOW",
	[8] = "NMI_WINDOW",
	[9] = "TASK_SWITCH",
	[10] = "CPUID",
	[11] = "GETSEC",
	[12] = "HLT",
	[13] = "INVD",
	[14] = "INVLPG",
	[15] = "RDPMC",
	[16] = "RDTSC",
	[17] = "RSM",
	[18] = "VMCALL",
	[19] = "VMCLEAR",
	[20] = "VMLAUNCH",
	[21] = "VMPTRLD",
	[22] = "VMPTRST",
	[23] = "VMREAD",
	[24] = "VMRESUME",
	[25] = "VMWRITE",
	[26] = "VMOFF",
	[27] = "VMON",
	[28] = "CR_ACCESS",
	[29] = "DR_ACCESS",
	[30] = "IO_INSTRUCTION",
	[31] = "MSR_READ",
	[32] = "MSR_WRITE",
	[33] = "INVALID_STATE",
	[34] = "MSR_LOAD_FAIL",
	[36] = "MWAIT_INSTRUCTION",
	[37] = "MONITOR_TRAP_FLAG",
	[39] = "MONITOR_INSTRUCTION",
	[40] = "PAUSE_INSTRUCTION",
	[41] = "MCE_DURING_VMENTRY",
	[43] = "TPR_BELOW_THRESHOLD",
	[44] = "APIC_ACCESS",
	[45] = "EOI_INDUCED",
	[46] = "GDTR_IDTR",
	[47] = "LDTR_TR",
	[48] = "EPT_VIOLATION",
	[49] = "EPT_MISCONFIG",
	[50] = "INVEPT",
	[51] = "RDTSCP",
	[52] = "PREEMPTION_TIMER",
	[53] = "INVVPID",
	[54] = "WBINVD",
	[55] = "XSETBV",
	[56] = "APIC_WRITE",
	[57] = "RDRAND",
	[58] = "INVPCID",
	[59] = "VMFUNC",
	[60] = "ENCLS",
	[61] = "RDSEED",
	[62] = "PML_FULL",
	[63] = "XSAVES",
	[64] = "XRSTORS",
	[66] = "SPP",
	[67] = "UMWAIT",
	[68] = "TPAUSE",
	[69] = "LOADIWKEY",
	[74] = "BUS_LOCK",
	[75] = "NOTIFY",
};

/* AMD APM Vol. 2, Appendix C "SVM Intercept Exit Codes" (codes outside the ranges below). */
static const struct {
	uint16_t code;
	const char *name;
} svm_codes[] = {
	{0x60, "INTR"},
	{0x61, "NMI"},
	{0x62, "SMI"},
	{0x63, "INIT"},
	{0x64, "VINTR"},
	{0x65, "CR0_SEL_WRITE"},
	{0x66, "IDTR_READ"},
	{0x67, "GDTR_READ"},
	{0x68, "LDTR_READ"},
	{0x69, "TR_READ"},
	{0x6a, "IDTR_WRITE"},
	{0x6b, "GDTR_WRITE"},
	{0x6c, "LDTR_WRITE"},
	{0x6d, "TR_WRITE"},
	{0x6e, "RDTSC"},
	{0x6f, "RDPMC"},
	{0x70, "PUSHF"},
	{0x71, "POPF"},
	{0x72, "CPUID"},
	{0x73, "RSM"},
	{0x74, "IRET"},
	{0x75, "SWINT"},
	{0x76, "INVD"},
	{0x77, "PAUSE"},
	{0x78, "HLT"},
	{0x79, "INVLPG"},
	{0x7a, "INVLPGA"},
	{0x7b, "IOIO"},
	{0x7c, "MSR"},
	{0x7d, "TASK_SWITCH"},
	{0x7e, "FERR_FREEZE"},
	{0x7f, "SHUTDOWN"},
	{0x80, "VMRUN"},
	{0x81, "VMMCALL"},
	{0x82, "VMLOAD"},
	{0x83, "VMSAVE"},
	{0x84, "STGI"},
	{0x85, "CLGI"},
	{0x86, "SKINIT"},
	{0x87, "RDTSCP"},
	{0x88, "ICEBP"},
	{0x89, "WBINVD"},
	{0x8a, "MONITOR"},
	{0x8b, "MWAIT"},
	{0x8c, "MWAIT_COND"},
	{0x8d, "XSETBV"},
	{0x8e, "RDPRU"},
	{0x8f, "EFER_WRITE_TRAP"},
	{0xa2, "INVPCID"},
	{0xa5, "BUS_LOCK"},
	{0xa6, "IDLE_HLT"},
	{0x400, "NPF"},
	{0x401, "AVIC_INCOMPLETE_IPI"},
	{0x402, "AVIC_UNACCELERATED_ACCESS"},
	{0x403, "VMGEXIT"},
};

/* Exception vectors 0..31 for SVM's EXCP_BASE + vector codes (0x40..0x5f). */
static const char *const svm_excp[32] = {
	[0] = "DE",  [1] = "DB",  [2] = "NMI", [3] = "BP",  [4] = "OF",	 [5] = "BR",
	[6] = "UD",  [7] = "NM",  [8] = "DF",  [9] = "CSO", [10] = "TS", [11] = "NP",
	[12] = "SS", [13] = "GP", [14] = "PF", [16] = "MF", [17] = "AC", [18] = "MC",
	[19] = "XM", [20] = "VE", [21] = "CP", [29] = "VC", [30] = "SX",
};

const char *kvm_isa_name(unsigned isa)
{
	return isa == KVM_DEC_ISA_VMX ? "vmx" : isa == KVM_DEC_ISA_SVM ? "svm" : "?";
}

/* The SVM codes that come in ranges: CR/DR reads and writes, exceptions, CR write traps. */
static const char *svm_range_name(unsigned code, char *buf, size_t len)
{
	if (code < 0x10)
		snprintf(buf, len, "READ_CR%u", code);
	else if (code < 0x20)
		snprintf(buf, len, "WRITE_CR%u", code - 0x10);
	else if (code < 0x30)
		snprintf(buf, len, "READ_DR%u", code - 0x20);
	else if (code < 0x40)
		snprintf(buf, len, "WRITE_DR%u", code - 0x30);
	else if (code < 0x60 && svm_excp[code - 0x40])
		snprintf(buf, len, "EXCP_%s", svm_excp[code - 0x40]);
	else if (code < 0x60)
		snprintf(buf, len, "EXCP_%u", code - 0x40);
	else if (code >= 0x90 && code < 0xa0)
		snprintf(buf, len, "CR%u_WRITE_TRAP", code - 0x90);
	else
		return NULL;
	return buf;
}

static const char *exit_name(unsigned isa, uint64_t code, char *buf, size_t len)
{
	if (isa == KVM_DEC_ISA_VMX) {
		unsigned basic = (unsigned)(code & 0xffff);

		return basic < ARRAY_SIZE(vmx_reasons) ? vmx_reasons[basic] : NULL;
	}
	if (isa != KVM_DEC_ISA_SVM)
		return NULL;
	if (code == UINT64_MAX || code == UINT32_MAX)
		return "ERR"; /* VMEXIT_INVALID: the VMRUN itself failed */
	for (size_t i = 0; i < ARRAY_SIZE(svm_codes); i++)
		if (svm_codes[i].code == code)
			return svm_codes[i].name;
	return code < 0xa0 ? svm_range_name((unsigned)code, buf, len) : NULL;
}

const char *kvm_exit_format(unsigned isa, uint64_t code, char *buf, size_t len)
{
	const char *name = exit_name(isa, code, buf, len);

	if (name)
		return name;
	snprintf(buf, len, "0x%" PRIx64, code);
	return buf;
}

/* Bit names of the #PF error code (SDM Vol. 3A 4.7) and KVM's PFERR_GUEST_* (mmu.h). */
static const struct {
	unsigned bit;
	const char *name;
} pferr_bits[] = {
	{0, "P"},
	{1, "W"},
	{2, "U"},
	{3, "RSVD"},
	{4, "I/F"},
	{5, "PK"},
	{6, "SS"},
	{7, "HLAT"},
	{15, "SGX"},
	{31, "GUEST_RMP"},
	{32, "GUEST_FINAL"},
	{33, "GUEST_PAGE"},
	{34, "GUEST_ENC"},
	{35, "GUEST_SIZEM"},
};

struct out {
	char *p;
	size_t len, n;
};

static void out_add(struct out *o, const char *sep, const char *s)
{
	int k;

	if (o->n + 1 >= o->len)
		return;
	k = snprintf(o->p + o->n, o->len - o->n, "%s%s", o->n ? sep : "", s);
	if (k > 0)
		o->n = o->n + (size_t)k < o->len ? o->n + (size_t)k : o->len - 1;
}

void kvm_pferr_format(uint64_t code, char *buf, size_t len)
{
	struct out o = {.p = buf, .len = len};
	uint64_t rest = code;
	char hex[24];

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(pferr_bits); i++)
		if (code & (1ULL << pferr_bits[i].bit)) {
			out_add(&o, "|", pferr_bits[i].name);
			rest &= ~(1ULL << pferr_bits[i].bit);
		}
	if (rest) {
		snprintf(hex, sizeof(hex), "0x%" PRIx64, rest);
		out_add(&o, "|", hex);
	}
	if (!o.n)
		out_add(&o, "", "-");
}

/* union kvm_mmu_page_role (arch/x86/include/asm/kvm_host.h): one-bit flags above the fields. */
static const struct {
	unsigned bit;
	const char *name;
} role_flags[] = {
	{4, "has_4_byte_gpte"}, /* older kernels: gpte_is_8_bytes, the opposite sense */
	{7, "direct"},		{11, "invalid"},	{12, "efer_nx"},     {13, "cr0_wp"},
	{14, "smep_andnot_wp"}, {15, "smap_andnot_wp"}, {16, "ad_disabled"}, {17, "guest_mode"},
	{18, "passthrough"},	{19, "is_mirror"},
};

void kvm_role_format(uint32_t role, char *buf, size_t len)
{
	struct out o = {.p = buf, .len = len};
	char tmp[24];

	if (!len)
		return;
	buf[0] = '\0';
	snprintf(tmp, sizeof(tmp), "level=%u", role & 0xf);
	out_add(&o, " ", tmp);
	if ((role >> 5) & 3) {
		snprintf(tmp, sizeof(tmp), "quadrant=%u", (role >> 5) & 3);
		out_add(&o, " ", tmp);
	}
	snprintf(tmp, sizeof(tmp), "access=%u", (role >> 8) & 7);
	out_add(&o, " ", tmp);
	for (size_t i = 0; i < ARRAY_SIZE(role_flags); i++)
		if (role & (1u << role_flags[i].bit))
			out_add(&o, " ", role_flags[i].name);
	if (role >> 24) {
		snprintf(tmp, sizeof(tmp), "smm=%u", role >> 24);
		out_add(&o, " ", tmp);
	}
}
