/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMM side of the guest page-table snapshot: written from a stopped VM.
 * The format and its reader are in mmu/ptsnap.h (docs/ptsnap.md).
 */
#ifndef MEMVIRT_VMM_PTSNAP_H
#define MEMVIRT_VMM_PTSNAP_H

#include <stddef.h>

struct vm;

/*
 * Write @dir/pagetables.bin from a stopped VM (atomically). The guest is
 * untrusted: only in-bounds, 4K-aligned tables are followed, each once.
 * Returns 0 or -errno with a message in @err.
 */
int vm__ptsnap_write(struct vm *vm, const char *dir, char *err, size_t errlen);

#endif
