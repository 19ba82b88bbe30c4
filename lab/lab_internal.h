/* SPDX-License-Identifier: GPL-2.0 */
/* The lab's private parts: module dependency lists and the embedded init. */
#ifndef MEMVIRT_LAB_INTERNAL_H
#define MEMVIRT_LAB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lab/lab.h"

#define LAB_MAX_MODULES 32

/* Module paths relative to the modules folder, dependencies first (load order). */
struct lab_modlist {
	char path[LAB_MAX_MODULES][256];
	int n;
};

/*
 * Add @name ("9p", "kvm-amd"; '-' and '_' alike) and everything it depends on,
 * per @modules/modules.dep, to @l in load order. -ENOENT names the module in
 * @err when modules.dep does not list it.
 */
int lab_modules_add(const char *modules, const char *name, struct lab_modlist *l, char *err,
		    size_t len);

/* MemAvailable from /proc/meminfo in bytes, 0 when unknown. */
uint64_t lab_mem_available(void);

/* lab.json in @out_dir: what booted, how, and what the command gave. */
int lab_record_write(const char *out_dir, const struct lab_config *cfg, const struct lab_machine *m,
		     const struct lab_kernel *k, enum lab_paging paging,
		     const struct lab_result *res);

/* The init script (lab/init.sh), built into the binary. */
extern const unsigned char lab_init_script[];
extern const size_t lab_init_script_len;

#endif
