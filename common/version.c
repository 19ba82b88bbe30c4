// SPDX-License-Identifier: GPL-2.0
/* This build's identity, from the header cmake/version.cmake generates at configure time. */
#include "common/version.h"

#include "memvirt_version.h"

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
	};

	return &b;
}
