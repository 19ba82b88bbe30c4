/* SPDX-License-Identifier: GPL-2.0 */
/* Guest program entry: RDI points at struct mv_params; the stack is 16-byte aligned. */
	.text
	.globl _start
_start:
	andq $-16, %rsp
	call user_main
	ud2

	.section .note.GNU-stack,"",@progbits
