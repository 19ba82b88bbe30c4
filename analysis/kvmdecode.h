/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names for the numbers KVM records carry: VM-exit reasons (Intel VMX basic
 * exit reasons, AMD SVM exit codes), x86 page-fault error codes with KVM's
 * upper bits, and shadow page roles (union kvm_mmu_page_role).
 */
#ifndef MEMVIRT_KVMDECODE_H
#define MEMVIRT_KVMDECODE_H

#include <stddef.h>
#include <stdint.h>

/* The kvm_exit tracepoint's isa argument. */
#define KVM_DEC_ISA_VMX 1
#define KVM_DEC_ISA_SVM 2

/* "vmx", "svm" or "?". */
const char *kvm_isa_name(unsigned isa);
/*
 * Name of exit @code on @isa ("EPT_VIOLATION", "NPF"), or the code in hex
 * ("0x1234") when the table has none; range names and hex go into @buf (24
 * bytes are enough). For VMX only the basic exit reason (bits 15:0) counts.
 */
const char *kvm_exit_format(unsigned isa, uint64_t code, char *buf, size_t len);

/*
 * Page-fault error code bits as "W|U|GUEST_FINAL" into @buf ("-" for 0);
 * bits without a name are appended as one hex value ("W|0x100").
 */
void kvm_pferr_format(uint64_t code, char *buf, size_t len);
/* A shadow page role word as "level=4 direct access=7 cr0_wp ..." into @buf. */
void kvm_role_format(uint32_t role, char *buf, size_t len);

#endif
