/* SPDX-License-Identifier: GPL-2.0 */
/* This build's identity: version, git commit and the optional parts built in. */
#ifndef MEMVIRT_COMMON_VERSION_H
#define MEMVIRT_COMMON_VERSION_H

#include <stdbool.h>

/* The project version, "0.1.0". */
const char *memvirt_version(void);
/* The source commit at configure time: "8ce185e0a1b2", "...-dirty" with changes, or "unknown". */
const char *memvirt_commit(void);

/*
 * What the build includes beyond the core (the simulator, the VMM and the lab are always in):
 * the eBPF tracer (memvirt trace, run --trace) and "libbpf 1.1.2" or why it was left out;
 * Capstone's version (fault disassembly); where the guest images are relative to the
 * installed binary, "../share/memvirt".
 */
struct memvirt_build {
	bool tracer;
	const char *tracer_note;
	const char *capstone;
	const char *data_reldir;
	const char *doc_reldir; /* the documentation, "../share/doc/memvirt" */
	const char *source_dir; /* the source tree the build was configured from */
};

const struct memvirt_build *memvirt_build(void);

/* The process's command line, kept by main() once for the documents it writes. */
void memvirt_set_command_line(int argc, char **argv);

struct json;
/*
 * Where a document came from, as one object named "provenance": memvirt's version and
 * commit, the command line (arguments joined by spaces, as given), the time it was written
 * (UTC, ISO 8601).
 */
void memvirt_provenance_json(struct json *j);

#endif
