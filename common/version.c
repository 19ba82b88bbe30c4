// SPDX-License-Identifier: GPL-2.0
/* This build's identity, from the header cmake/version.cmake generates at configure time. */
#include "common/version.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "memvirt_version.h"

static int cmd_argc;
static char **cmd_argv;

void memvirt_set_command_line(int argc, char **argv)
{
	cmd_argc = argc;
	cmd_argv = argv;
}

void memvirt_provenance_json(struct json *j)
{
	char line[4096] = "", when[32] = "";
	size_t n = 0;
	time_t now = time(NULL);
	struct tm tm;

	for (int i = 0; i < cmd_argc && n < sizeof(line) - 1; i++) {
		int w = snprintf(line + n, sizeof(line) - n, "%s%s", i ? " " : "", cmd_argv[i]);

		if (w < 0)
			break;
		n += (size_t)w < sizeof(line) - n ? (size_t)w : sizeof(line) - n - 1;
	}
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_obj_begin(j, "provenance");
	json_str(j, "memvirt_version", MEMVIRT_VERSION);
	json_str(j, "commit", MEMVIRT_COMMIT);
	json_str(j, "command_line", line);
	json_str(j, "written_at", when);
	json_obj_end(j);
}

const char *memvirt_version(void)
{
	return MEMVIRT_VERSION;
}

const char *memvirt_commit(void)
{
	return MEMVIRT_COMMIT;
}

const struct memvirt_build *memvirt_build(void)
{
	static const struct memvirt_build b = {
		.tracer = MEMVIRT_TRACER_BUILT,
		.tracer_note = MEMVIRT_TRACER_NOTE,
		.capstone = MEMVIRT_CAPSTONE_VERSION,
		.data_reldir = MEMVIRT_DATA_RELDIR,
		.doc_reldir = MEMVIRT_DOC_RELDIR,
		.source_dir = MEMVIRT_SOURCE_DIR,
	};

	return &b;
}
