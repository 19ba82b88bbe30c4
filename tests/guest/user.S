/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The first process of every test guest. The VMM starts it at CPL3; its one
 * instruction raises #UD, which enters the test kernel (tests/guest/guest.c)
 * at CPL0 on IST2, and the kernel runs the test from there, never returning.
 */
	.text
	.globl _start
_start:
	ud2

	.section .note.GNU-stack,"",@progbits
