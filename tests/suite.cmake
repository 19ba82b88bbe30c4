# SPDX-License-Identifier: GPL-2.0
memvirt_test(test_util LABEL unit SOURCES tests/unit/test_util.c)
memvirt_test(test_workloads LABEL unit SOURCES tests/unit/test_workloads.c
             LIBS memvirt_workloads memvirt_workloads_traced)
memvirt_test(test_vmm LABEL kvm SOURCES tests/kvm/test_vmm.c LIBS memvirt_vmm TIMEOUT 300)
add_dependencies(test_vmm guest_kernel guest_workload)
memvirt_script_test(test_cli LABEL unit SCRIPT tests/cli/test_cli.sh)
memvirt_script_test(test_run_cli LABEL kvm SCRIPT tests/kvm/test_run_cli.sh)
memvirt_script_test(test_sim_cli LABEL unit SCRIPT tests/cli/test_sim_cli.sh)

# Each area keeps its own list: tests/suite-<area>.cmake.
file(GLOB MEMVIRT_SUITE_PARTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/suite-*.cmake)
foreach(part ${MEMVIRT_SUITE_PARTS})
  include(${part})
endforeach()
