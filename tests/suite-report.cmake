# SPDX-License-Identifier: GPL-2.0
# memvirt report: inputs made by memvirt sim and a synthetic traced run directory
# (report_rundir, written with the event-file writer), the files, gnuplot and the HTML.
add_executable(report_rundir cli/report_rundir.c)
memvirt_host_target(report_rundir)
target_link_libraries(report_rundir PRIVATE memvirt_evfile)
memvirt_script_test(test_report LABEL unit SCRIPT tests/cli/test_report.sh TIMEOUT 120)
memvirt_script_test(test_report_html LABEL unit SCRIPT tests/cli/test_report_html.sh TIMEOUT 120)
memvirt_test(test_jsonval LABEL unit SOURCES tests/unit/test_jsonval.c LIBS memvirt_analysis)
