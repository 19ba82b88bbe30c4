// SPDX-License-Identifier: GPL-2.0
/* memvirt trace -p PID / trace -- COMMAND: capture with the eBPF probes. */
#include "common/log.h"
#include "src/cmds.h"

int cmd_trace_capture(int argc, char **argv)
{
	pr_err("trace: capture is not built into this binary\n");
	return EXIT_HOST;
}
