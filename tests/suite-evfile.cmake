# SPDX-License-Identifier: GPL-2.0
# The event file format: library tests (writer, reader, corrupt files, threads, stat, join) and the CLI.
memvirt_test(test_evfile LABEL unit SOURCES tests/unit/test_evfile.c LIBS memvirt_analysis)
memvirt_script_test(test_trace_cli LABEL unit SCRIPT tests/cli/test_trace_cli.sh)
memvirt_test(test_evstat LABEL unit SOURCES tests/unit/test_evstat.c LIBS memvirt_analysis)
# The log-linear histogram behind trace stat's percentiles, against exact sorted percentiles.
memvirt_test(test_pcthist LABEL unit SOURCES tests/unit/test_pcthist.c LIBS memvirt_analysis)
