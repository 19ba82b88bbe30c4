// SPDX-License-Identifier: GPL-2.0
/* The lab seen from inside: which kernel, QEMU, accelerator and mode a run is in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "lab/lab.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "";
}

bool lab_inside(struct lab_identity *id)
{
	if (!getenv("MEMVIRT_LAB_KERNEL"))
		return false;
	if (id) {
		id->kernel = env("MEMVIRT_LAB_KERNEL");
		id->qemu = env("MEMVIRT_LAB_QEMU");
		id->accel = env("MEMVIRT_LAB_ACCEL");
		id->cpu_model = env("MEMVIRT_LAB_CPU");
		id->paging = env("MEMVIRT_LAB_PAGING");
		id->times_emulated = !strcmp(id->accel, "tcg");
	}
	return true;
}

void lab_identity_json(struct json *j, const char *key)
{
	struct lab_identity id;

	if (!lab_inside(&id))
		return;
	json_obj_begin(j, key);
	json_str(j, "kernel", id.kernel);
	json_str(j, "qemu", id.qemu);
	json_str(j, "accel", id.accel);
	json_str(j, "cpu_model", id.cpu_model);
	json_str(j, "paging", id.paging);
	json_bool(j, "times_emulated", id.times_emulated);
	json_obj_end(j);
}

bool lab_describe(char *buf, size_t len)
{
	struct lab_identity id;

	if (!lab_inside(&id))
		return false;
	/* Short enough for an event-file note: QEMU's version without its package suffix. */
	snprintf(buf, len, "Linux %s, QEMU %.*s, %s, %s paging%s", id.kernel,
		 (int)strcspn(id.qemu, " "), id.qemu, id.accel, id.paging,
		 id.times_emulated ? "; times are an emulated CPU's" : "");
	return true;
}
