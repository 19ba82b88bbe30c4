// SPDX-License-Identifier: GPL-2.0
/* Explaining a guest crash: the registers, the faulting address, and Capstone's view of RIP. */
#include <capstone/capstone.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "common/util.h"
#include "vmm/internal.h"

#define DISASM_BYTES 64
#define DISASM_INSNS 6

static const char *vector_name(uint64_t v)
{
	static const char *const names[] = {
		"#DE divide error",
		"#DB debug",
		"NMI",
		"#BP breakpoint",
		"#OF overflow",
		"#BR bound range",
		"#UD invalid opcode",
		"#NM no FPU",
		"#DF double fault",
		"coprocessor overrun",
		"#TS invalid TSS",
		"#NP segment not present",
		"#SS stack fault",
		"#GP general protection",
		"#PF page fault",
		"reserved",
		"#MF x87 error",
		"#AC alignment check",
		"#MC machine check",
		"#XM SIMD exception",
		"#VE virtualization",
		"#CP control protection",
	};

	return v < ARRAY_SIZE(names) ? names[v] : "exception";
}

void vm_describe_panic(const struct mv_panic *p, char *buf, size_t len)
{
	const struct mv_regs *r = &p->regs;
	const char *mode = (r->cs & 3) == 3 ? "user" : "kernel";

	switch (p->reason) {
	case MV_PANIC_USER_FAULT:
	case MV_PANIC_KERNEL_FAULT:
		if (r->vector == 14)
			snprintf(buf, len,
				 "guest crashed: %s-mode page fault at RIP 0x%" PRIx64
				 " on %s of 0x%" PRIx64 " (error 0x%" PRIx64 ": %s)",
				 mode, r->rip,
				 (r->error & 16)  ? "fetch"
				 : (r->error & 2) ? "write"
						  : "read",
				 p->cr2, r->error,
				 (r->error & 1) ? "protection violation" : "address not mapped");
		else
			snprintf(buf, len,
				 "guest crashed: %s-mode %s (vector %" PRIu64 ") at RIP 0x%" PRIx64
				 ", error code 0x%" PRIx64,
				 mode, vector_name(r->vector), r->vector, r->rip, r->error);
		break;
	case MV_PANIC_OOM:
		snprintf(buf, len,
			 "guest ran out of memory at RIP 0x%" PRIx64 " (fault at 0x%" PRIx64
			 "): use a larger --mem",
			 r->rip, p->cr2);
		break;
	default:
		snprintf(buf, len, "guest kernel panic, reason %" PRIu64, p->reason);
	}
}

/*
 * Copy up to @len bytes at @rip through the guest's tables at @cr3, a page at
 * a time (the code may cross into another page), read as the crashed mode
 * would (user or supervisor). Returns the bytes copied.
 */
static size_t fetch_code(struct vm *vm, uint64_t cr3, bool user, gva_t rip, uint8_t *code,
			 size_t len)
{
	size_t have = 0;

	while (have < len) {
		struct vm_chain c;
		const uint8_t *p;
		uint64_t n;

		if (vm__walk_cr3(vm, &vm->paging, cr3, rip + have, user ? WALK_ACC_USER : 0, &c) ||
		    !c.gva_mapped)
			break;
		n = c.guest_page_size - (c.gpa & (c.guest_page_size - 1));
		if (n > len - have)
			n = len - have;
		p = vm__gpa_to_hva(vm, c.gpa, n);
		if (!p)
			break;
		memcpy(code + have, p, n);
		have += n;
	}
	return have;
}

static size_t disassemble(struct vm *vm, uint64_t cr3, bool user, gva_t rip, char *buf, size_t len)
{
	uint8_t code[DISASM_BYTES];
	size_t n = 0, have = fetch_code(vm, cr3, user, rip, code, sizeof(code)), off = 0;
	csh cs;
	cs_insn *insn;

	if (!have)
		return (size_t)snprintf(buf, len, "  (no code mapped at RIP 0x%" PRIx64 ")\n", rip);
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return (size_t)snprintf(buf, len, "  (capstone unavailable)\n");
	n = cs_disasm(cs, code, have, rip, DISASM_INSNS, &insn);
	for (size_t i = 0; i < n && off < len; i++) {
		char hex[3 * 16 + 1] = "";

		for (size_t b = 0; b < insn[i].size && b < 15; b++)
			snprintf(hex + 3 * b, sizeof(hex) - 3 * b, "%02x ", insn[i].bytes[b]);
		off += (size_t)snprintf(buf + off, len - off,
					"  %s 0x%016" PRIx64 ": %-24s %s %s\n",
					i == 0 ? "=>" : "  ", insn[i].address, hex,
					insn[i].mnemonic, insn[i].op_str);
	}
	if (n)
		cs_free(insn, n);
	else
		off = (size_t)snprintf(buf, len, "  (bytes at RIP do not decode)\n");
	cs_close(&cs);
	return off;
}

void vm__dump_crash(struct vm *vm, const struct mv_regs *r, uint64_t cr3, char *buf, size_t len)
{
	size_t off;

	off = (size_t)snprintf(buf, len,
			       "registers:\n"
			       "  rip %016" PRIx64 "  rsp %016" PRIx64 "  rflags %08" PRIx64
			       "  cs %04" PRIx64 "  ss %04" PRIx64 "\n"
			       "  rax %016" PRIx64 "  rbx %016" PRIx64 "  rcx %016" PRIx64 "\n"
			       "  rdx %016" PRIx64 "  rsi %016" PRIx64 "  rdi %016" PRIx64 "\n"
			       "  rbp %016" PRIx64 "  r8  %016" PRIx64 "  r9  %016" PRIx64 "\n"
			       "  r10 %016" PRIx64 "  r11 %016" PRIx64 "  r12 %016" PRIx64 "\n"
			       "  r13 %016" PRIx64 "  r14 %016" PRIx64 "  r15 %016" PRIx64 "\n"
			       "  cr3 %016" PRIx64 "\n"
			       "code at rip:\n",
			       r->rip, r->rsp, r->rflags, r->cs, r->ss, r->rax, r->rbx, r->rcx,
			       r->rdx, r->rsi, r->rdi, r->rbp, r->r8, r->r9, r->r10, r->r11, r->r12,
			       r->r13, r->r14, r->r15, cr3);
	if (off < len)
		disassemble(vm, cr3, (r->cs & 3) == 3, r->rip, buf + off, len - off);
}
