/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest kernel entry points: exception stubs that build a struct mv_regs on
 * the kernel stack, call C, and return with iretq (the host faults on
 * sysretq), and the syscall trampoline.
 */
	.text
	.code64

/* Push the general registers in struct mv_regs order (r15 lowest). */
.macro SAVE_REGS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

.macro RESTORE_REGS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
.endm

.macro VECTOR num, has_error
	.globl mv_vector_\num
mv_vector_\num:
	.if \has_error == 0
	pushq $0
	.endif
	pushq $\num
	jmp trap_common
.endm

VECTOR 0, 0
VECTOR 1, 0
VECTOR 2, 0
VECTOR 3, 0
VECTOR 4, 0
VECTOR 5, 0
VECTOR 6, 0
VECTOR 7, 0
VECTOR 8, 1
VECTOR 9, 0
VECTOR 10, 1
VECTOR 11, 1
VECTOR 12, 1
VECTOR 13, 1
VECTOR 14, 1
VECTOR 15, 0
VECTOR 16, 0
VECTOR 17, 1
VECTOR 18, 0
VECTOR 19, 0
VECTOR 20, 0
VECTOR 21, 1
VECTOR 22, 0
VECTOR 23, 0
VECTOR 24, 0
VECTOR 25, 0
VECTOR 26, 0
VECTOR 27, 0
VECTOR 28, 0
VECTOR 29, 1
VECTOR 30, 1
VECTOR 31, 0

trap_common:
	SAVE_REGS
	movq %rsp, %rdi
	cld
	call trap_handler
	jmp return_to_frame

/*
 * The syscall trampoline. On PVM hosts `syscall` from user mode jumps to
 * LSTAR without changing privilege (measured), so LSTAR points at this
 * page, which the VMM maps user-executable: its ud2 enters the kernel
 * through #UD, on its own IST stack whatever the CPL was. The #UD handler
 * recognises the address and runs the syscall at CPL0.
 */
	.section .trampoline, "ax"
	.balign 4096
	.globl mv_syscall_entry
mv_syscall_entry:
	ud2
	.balign 4096

	.text
return_to_frame:
	RESTORE_REGS
	addq $16, %rsp			/* vector, error */
	iretq

	.section .note.GNU-stack,"",@progbits
