// SPDX-License-Identifier: GPL-2.0
/*
 * The guest kernel: its header for the VMM, traps, syscalls, processes and
 * the control-port messages. The VMM starts the first process directly in
 * user mode, so the kernel runs only when a trap or syscall enters it.
 */
#include "kernel.h"

#define KSTACK_SIZE 0x4000

static uint8_t kstack[KSTACK_SIZE] __attribute__((aligned(4096)));
static uint8_t ist_stack[4096] __attribute__((aligned(4096)));
static uint8_t syscall_stack[KSTACK_SIZE] __attribute__((aligned(4096)));

struct mv_boot_info boot_info;
struct mv_kstats kstats;
struct proc procs[MV_MAX_PROCS];
struct proc *current = &procs[0];
static struct mv_msg msg;

extern char mv_syscall_entry[];
/* clang-format off */
#define V(n) extern char mv_vector_##n[];
V(0) V(1) V(2) V(3) V(4) V(5) V(6) V(7) V(8) V(9) V(10) V(11) V(12) V(13) V(14) V(15)
V(16) V(17) V(18) V(19) V(20) V(21) V(22) V(23) V(24) V(25) V(26) V(27) V(28) V(29) V(30) V(31)
#undef V
	/* clang-format on */

	__attribute__((section(".mvhdr"), used)) static const struct mv_kernel_header header = {
		.magic = MV_KHDR_MAGIC,
		.abi_version = MV_ABI_VERSION,
		.nr_vectors = 32,
		.vectors =
			{
				(uint64_t)mv_vector_0,	(uint64_t)mv_vector_1,
				(uint64_t)mv_vector_2,	(uint64_t)mv_vector_3,
				(uint64_t)mv_vector_4,	(uint64_t)mv_vector_5,
				(uint64_t)mv_vector_6,	(uint64_t)mv_vector_7,
				(uint64_t)mv_vector_8,	(uint64_t)mv_vector_9,
				(uint64_t)mv_vector_10, (uint64_t)mv_vector_11,
				(uint64_t)mv_vector_12, (uint64_t)mv_vector_13,
				(uint64_t)mv_vector_14, (uint64_t)mv_vector_15,
				(uint64_t)mv_vector_16, (uint64_t)mv_vector_17,
				(uint64_t)mv_vector_18, (uint64_t)mv_vector_19,
				(uint64_t)mv_vector_20, (uint64_t)mv_vector_21,
				(uint64_t)mv_vector_22, (uint64_t)mv_vector_23,
				(uint64_t)mv_vector_24, (uint64_t)mv_vector_25,
				(uint64_t)mv_vector_26, (uint64_t)mv_vector_27,
				(uint64_t)mv_vector_28, (uint64_t)mv_vector_29,
				(uint64_t)mv_vector_30, (uint64_t)mv_vector_31,
			},
		.syscall_entry = (uint64_t)mv_syscall_entry,
		.boot_info = (uint64_t)&boot_info,
		.kstack_top = (uint64_t)(kstack + KSTACK_SIZE),
		.ist_stack_top = (uint64_t)(ist_stack + sizeof(ist_stack)),
		.syscall_stack_top = (uint64_t)(syscall_stack + sizeof(syscall_stack)),
};

/* GPA of a kernel object: the kernel image maps guest physical from KERNEL_BASE. */
static uint64_t kernel_gpa(const void *p)
{
	return (uint64_t)p - MV_KERNEL_BASE;
}

static void send(uint32_t type, uint32_t len)
{
	msg.type = type;
	msg.len = len;
	__asm__ volatile("outl %0, %1"
			 :
			 : "a"((uint32_t)kernel_gpa(&msg)), "Nd"(MV_PORT_CTRL)
			 : "memory");
}

void send_discard(const uint64_t *pairs, int n)
{
	msg.u.args[0] = (uint64_t)n;
	memcpy(&msg.u.args[1], pairs, (size_t)n * 16);
	send(MV_MSG_DISCARD, (uint32_t)(8 + n * 16));
}

uint64_t send_populate(const struct mv_populate *req)
{
	msg.u.populate = *req;
	send(MV_MSG_POPULATE, sizeof(*req));
	return *(volatile uint64_t *)&msg.u.populate.tables_used;
}

void console_write(const char *s, uint64_t len)
{
	__asm__ volatile("rep outsb" : "+S"(s), "+c"(len) : "d"(MV_PORT_SERIAL) : "memory");
}

static __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("hlt");
}

void panic(uint64_t reason, struct mv_regs *regs, uint64_t cr2)
{
	uint64_t cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	msg.u.panic.reason = reason;
	msg.u.panic.cr2 = cr2;
	msg.u.panic.cr3 = cr3;
	if (regs)
		msg.u.panic.regs = *regs;
	else
		memset(&msg.u.panic.regs, 0, sizeof(msg.u.panic.regs));
	send(MV_MSG_PANIC, sizeof(msg.u.panic));
	halt_forever();
}

/*
 * The first process was built by the VMM; the kernel adopts it on its first
 * entry instead of running boot code (kernel mode is emulated on PVM hosts).
 */
static void adopt_first_process(void)
{
	if (procs[0].used)
		return;
	procs[0].used = 1;
	procs[0].cr3 = boot_info.root_pt;
	procs[0].mmap_next = MV_MMAP_BASE;
	kstats.procs = 1;
	kstats.pt_pages = boot_info.nr_pt_pages;
	ev_emit(MV_EV_WORD0(MV_EV_AS_CREATE, 0, 0), procs[0].cr3, 0, 0, 0);
}

/*
 * A syscall arrives as #UD at the trampoline with the state `syscall` left:
 * RCX = return RIP, R11 = RFLAGS. Turn the frame into the return frame.
 */
static int syscall_from_trap(struct mv_regs *regs)
{
	if (regs->vector != 6 || regs->rip != MV_TRAMPOLINE)
		return 0;
	regs->rip = regs->rcx;
	/* Only the arithmetic flags and DF come back from the user; IF is set. */
	regs->rflags = (regs->r11 & 0xcd5) | 0x202;
	regs->cs = MV_SEL_UCODE;
	regs->ss = MV_SEL_UDATA;
	syscall_handler(regs);
	return 1;
}

void trap_handler(struct mv_regs *regs)
{
	adopt_first_process();
	if (syscall_from_trap(regs))
		return;
	if (regs->vector == 14) {
		uint64_t cr2 = read_cr2();

		if ((regs->cs & 3) == 3 && handle_page_fault(regs, cr2) == 0)
			return;
		panic((regs->cs & 3) ? MV_PANIC_USER_FAULT : MV_PANIC_KERNEL_FAULT, regs, cr2);
	}
	panic((regs->cs & 3) ? MV_PANIC_USER_FAULT : MV_PANIC_KERNEL_FAULT, regs, 0);
}

static long sys_exit(uint64_t status)
{
	kstats.status = status;
	msg.u.kstats = kstats;
	send(MV_MSG_EXIT, sizeof(msg.u.kstats));
	halt_forever();
}

static long sys_report(uint64_t uptr)
{
	if (!user_range_ok(uptr, sizeof(struct mv_result), 0))
		return -EFAULT;
	memcpy(&msg.u.result, (const void *)uptr, sizeof(struct mv_result));
	send(MV_MSG_RESULT, sizeof(struct mv_result));
	return 0;
}

static long sys_write(uint64_t uptr, uint64_t len)
{
	if (len > 4096 || !user_range_ok(uptr, len, 0))
		return -EFAULT;
	console_write((const char *)uptr, len);
	return (long)len;
}

static long sys_spawn(uint64_t entry, uint64_t arg)
{
	for (int pid = 1; pid < MV_MAX_PROCS; pid++) {
		struct proc *p = &procs[pid];

		if (p->used)
			continue;
		memset(p, 0, sizeof(*p));
		p->cr3 = new_address_space();
		if (!p->cr3)
			return -ENOMEM;
		p->used = 1;
		p->mmap_next = MV_MMAP_BASE;
		p->regs.rip = entry;
		p->regs.rdi = arg;
		p->regs.rsp = MV_STACK_TOP - 72; /* as if called: rsp % 16 == 8 */
		p->regs.cs = MV_SEL_UCODE;
		p->regs.ss = MV_SEL_UDATA;
		p->regs.rflags = 0x202;
		kstats.procs++;
		ev_emit(MV_EV_WORD0(MV_EV_AS_CREATE, 0, pid), p->cr3, current->cr3, 0, 0);
		return pid;
	}
	return -ENOMEM;
}

/* Save the caller's frame, load the target's, and switch address spaces. */
static long sys_switch(struct mv_regs *regs, uint64_t pid)
{
	struct proc *next;

	if (pid >= MV_MAX_PROCS || !procs[pid].used)
		return -ESRCH;
	next = &procs[pid];
	if (next == current)
		return 0;
	regs->rax = 0;
	current->regs = *regs;
	*regs = next->regs;
	ev_emit(MV_EV_WORD0(MV_EV_AS_SWITCH, 0, pid), next->cr3, current->cr3, 0, 0);
	current = next;
	write_cr3(next->cr3);
	kstats.cr3_switches++;
	return (long)regs->rax;
}

void syscall_handler(struct mv_regs *regs)
{
	uint64_t a0 = regs->rdi, a1 = regs->rsi, a2 = regs->rdx;
	long ret;

	kstats.syscalls++;
	switch (regs->rax) {
	case MV_SYS_EXIT:
		ret = sys_exit(a0);
		break;
	case MV_SYS_WRITE:
		ret = sys_write(a0, a1);
		break;
	case MV_SYS_MMAP:
		ret = sys_mmap(a0, a1, a2);
		break;
	case MV_SYS_MUNMAP:
		ret = sys_munmap(a0, a1);
		break;
	case MV_SYS_MPROTECT:
		ret = sys_mprotect(a0, a1, a2);
		break;
	case MV_SYS_REPORT:
		ret = sys_report(a0);
		break;
	case MV_SYS_SPAWN:
		ret = sys_spawn(a0, a1);
		break;
	case MV_SYS_SWITCH:
		/* On success the frame belongs to the next process: keep its rax. */
		ret = sys_switch(regs, a0);
		if (ret < 0)
			regs->rax = (uint64_t)ret;
		return;
	case MV_SYS_GETPID:
		ret = current - procs;
		break;
	case MV_SYS_FAULTS:
		ret = (long)kstats.page_faults;
		break;
	default:
		ret = -ENOSYS;
	}
	regs->rax = (uint64_t)ret;
}
