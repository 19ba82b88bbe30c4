/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smallest multiboot (v1) guest for QEMU: QEMU's -kernel loader jumps
 * here in 32-bit protected mode, paging off. It prints a marker on COM1 (the
 * start-up benchmark times its arrival), then writes 0 to isa-debug-exit at
 * port 0xf4, which ends QEMU with status (0 << 1) | 1 = 1.
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x0 /* no bit 16: QEMU loads the image from its ELF headers */
#define COM1	 0x3f8
#define EXIT_PORT 0xf4

	.section .text
	.code32
	.globl _start

	/* Multiboot spec 3.1.1: the header lies 4-aligned in the first 8K of the file. */
	.align 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

_start:
	/* QEMU's UART sends a byte written to THR at once; no set-up needed. */
	mov $marker, %esi
	mov $COM1, %dx
1:	lodsb
	test %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:	xor %eax, %eax
	mov $EXIT_PORT, %dx
	outl %eax, %dx
3:	cli
	hlt
	jmp 3b

	.section .rodata
marker:
	.asciz "MVGO\n"

	.section .note.GNU-stack, "", @progbits
