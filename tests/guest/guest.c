// SPDX-License-Identifier: GPL-2.0
/*
 * The test kernel every guest test links: the header the VMM reads, stacks,
 * boot info, and the control-port messages behind guest.h. The VMM starts
 * the user stub (user.S) at CPL3; its first instruction traps here, and the
 * kernel runs the test's guest_main() at CPL0. Any other exception is a
 * crash, reported with its registers as the production kernel reports one.
 */
#include "guest.h"

#define STACK_SIZE 0x4000

static uint8_t kstack[STACK_SIZE] __attribute__((aligned(4096)));
static uint8_t ist_stack[4096] __attribute__((aligned(4096)));
/* #UD enters on IST2 (the VMM's IDT): the user stub's trap, so the test runs on this stack. */
static uint8_t syscall_stack[STACK_SIZE] __attribute__((aligned(4096)));

struct mv_boot_info boot_info;
const struct mv_params *guest_params;
/* Read by the host after a failed assertion (report.h); the name is GT_REPORT_SYMBOL. */
struct gt_report guest_report;
static struct mv_msg msg;
static int started;

/* Called from workloads/kernel/entry.S, which this kernel shares with the production one. */
void trap_handler(struct mv_regs *regs);
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

extern char mv_syscall_entry[];
/* clang-format off */
#define V(n) extern char mv_vector_##n[];
V(0) V(1) V(2) V(3) V(4) V(5) V(6) V(7) V(8) V(9) V(10) V(11) V(12) V(13) V(14) V(15)
V(16) V(17) V(18) V(19) V(20) V(21) V(22) V(23) V(24) V(25) V(26) V(27) V(28) V(29) V(30) V(31)
#undef V
#define V(n) (uint64_t)mv_vector_##n
__attribute__((section(".mvhdr"), used)) static const struct mv_kernel_header header = {
	.magic = MV_KHDR_MAGIC,
	.abi_version = MV_ABI_VERSION,
	.nr_vectors = 32,
	.vectors = {
		V(0), V(1), V(2), V(3), V(4), V(5), V(6), V(7), V(8), V(9), V(10), V(11), V(12),
		V(13), V(14), V(15), V(16), V(17), V(18), V(19), V(20), V(21), V(22), V(23), V(24),
		V(25), V(26), V(27), V(28), V(29), V(30), V(31),
	},
	.syscall_entry = (uint64_t)mv_syscall_entry,
	.boot_info = (uint64_t)&boot_info,
	.kstack_top = (uint64_t)(kstack + STACK_SIZE),
	.ist_stack_top = (uint64_t)(ist_stack + sizeof(ist_stack)),
	.syscall_stack_top = (uint64_t)(syscall_stack + STACK_SIZE),
};
#undef V
/* clang-format on */

static __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("hlt");
}

void guest_send(uint32_t type, const void *payload, uint32_t len)
{
	/* The kernel image maps guest physical from MV_KERNEL_BASE: the message's GPA. */
	uint32_t gpa = (uint32_t)((uint64_t)&msg - MV_KERNEL_BASE);

	if (len > sizeof(msg.u))
		len = sizeof(msg.u);
	if (len)
		memcpy(&msg.u, payload, len);
	msg.type = type;
	msg.len = len;
	__asm__ volatile("outl %0, %1" : : "a"(gpa), "Nd"(MV_PORT_CTRL) : "memory");
}

void guest_puts(const char *s)
{
	uint64_t n = 0;

	while (s[n])
		n++;
	__asm__ volatile("rep outsb" : "+S"(s), "+c"(n) : "d"(MV_PORT_SERIAL) : "memory");
	__asm__ volatile("outb %0, %1" : : "a"((uint8_t)'\n'), "Nd"(MV_PORT_SERIAL));
}

void guest_done(void)
{
	struct mv_kstats k = {.status = 0};

	guest_send(MV_MSG_EXIT, &k, sizeof(k));
	halt_forever();
}

static __attribute__((noreturn)) void crash(uint64_t reason, const struct mv_regs *regs,
					    uint64_t cr2)
{
	struct mv_panic p = {.reason = reason, .cr2 = cr2, .cr3 = guest_read_cr3()};

	if (regs)
		p.regs = *regs;
	guest_send(MV_MSG_PANIC, &p, sizeof(p));
	halt_forever();
}

/* Copy at most @n - 1 bytes of @src, always NUL-terminated. */
static void copy_str(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	for (; i + 1 < n && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

void guest_assert_fail(const char *file, unsigned line, const char *expr, uint64_t a, uint64_t b,
		       uint32_t flags)
{
	/* RIP: the return address into the failing assertion, for the VMM's crash dump. */
	struct mv_regs regs = {.rip = (uint64_t)__builtin_return_address(0), .cs = MV_SEL_KCODE};

	guest_report.line = line;
	guest_report.a = a;
	guest_report.b = b;
	guest_report.flags = flags;
	copy_str(guest_report.file, sizeof(guest_report.file), file);
	copy_str(guest_report.expr, sizeof(guest_report.expr), expr);
	guest_report.magic = GT_REPORT_MAGIC;
	crash(MV_PANIC_ASSERT, &regs, 0);
}

static uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

void trap_handler(struct mv_regs *regs)
{
	if (!started && regs->vector == 6 && (regs->cs & 3) == 3) {
		started = 1;
		guest_params = (const struct mv_params *)regs->rdi;
		guest_main();
		/* No GUEST_DONE: the vCPU halts without an exit message, which the host fails. */
		halt_forever();
	}
	crash((regs->cs & 3) ? MV_PANIC_USER_FAULT : MV_PANIC_KERNEL_FAULT, regs,
	      regs->vector == 14 ? read_cr2() : 0);
}
