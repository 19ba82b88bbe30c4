// SPDX-License-Identifier: GPL-2.0
/* lab.json: one boot of the lab, what ran in it and what came out (docs/lab.md). */
#include <errno.h>
#include <stdio.h>

#include "common/json.h"
#include "common/util.h"
#include "lab/lab_internal.h"

#define LAB_RECORD_SCHEMA 1

struct record_arg {
	const struct lab_config *cfg;
	const struct lab_machine *m;
	const struct lab_kernel *k;
	enum lab_paging paging;
	const struct lab_result *res;
};

static const char *fail_name(enum lab_fail f)
{
	return f == LAB_OK	       ? "none"
	       : f == LAB_FAIL_HOST    ? "host"
	       : f == LAB_FAIL_BOOT    ? "boot"
	       : f == LAB_FAIL_TIMEOUT ? "timeout"
	       : f == LAB_FAIL_SIGNAL  ? "interrupted"
				       : "unknown";
}

static int fill(FILE *f, void *p)
{
	const struct record_arg *a = p;
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_u64(&j, "schema", LAB_RECORD_SCHEMA);
	json_str(&j, "memvirt_version", a->cfg->version ? a->cfg->version : "");
	json_obj_begin(&j, "lab");
	json_str(&j, "kernel", a->k->version);
	json_str(&j, "kernel_image", a->k->image);
	json_str(&j, "qemu", a->m->qemu_version);
	json_str(&j, "qemu_path", a->m->qemu);
	json_str(&j, "accel", lab_accel_name(a->m->accel));
	json_str(&j, "accel_reason", a->m->accel_why);
	json_str(&j, "cpu_model", a->m->cpu_model);
	json_str(&j, "paging", lab_paging_name(a->paging));
	json_str(&j, "kvm_module", a->res->kvm);
	json_str(&j, "thp",
		 lab_thp_name(a->cfg->thp) ? lab_thp_name(a->cfg->thp) : "kernel default");
	json_u64(&j, "mem_bytes", a->cfg->mem_bytes);
	json_u64(&j, "cpus", a->cfg->cpus);
	/* Under TCG every time inside is that of an emulated CPU; counts are KVM's own. */
	json_bool(&j, "times_emulated", a->m->accel == LAB_ACCEL_TCG);
	json_obj_end(&j);
	json_arr_begin(&j, "command");
	for (int i = 0; i < a->cfg->argc; i++)
		json_str(&j, NULL, a->cfg->argv[i]);
	json_arr_end(&j);
	json_obj_begin(&j, "result");
	json_str(&j, "failure", fail_name(a->res->fail));
	if (a->res->fail == LAB_OK)
		json_i64(&j, "exit_status", a->res->status);
	else
		json_str(&j, "error", a->res->err);
	json_double(&j, "boot_to_command_s", a->res->boot_s);
	json_double(&j, "wall_s", a->res->wall_s);
	json_obj_end(&j);
	json_obj_end(&j);
	return json_finish(&j);
}

int lab_record_write(const char *out_dir, const struct lab_config *cfg, const struct lab_machine *m,
		     const struct lab_kernel *k, enum lab_paging paging,
		     const struct lab_result *res)
{
	struct record_arg a = {cfg, m, k, paging, res};
	char path[4200];

	if (snprintf(path, sizeof(path), "%s/lab.json", out_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return write_file_atomic(path, fill, &a, false);
}
