# SPDX-License-Identifier: GPL-2.0
# The eBPF tracer (label bpf: root, tracefs, BTF, KVM). Each test skips (77) on a host
# without them. They load and count BPF programs host-wide, so they run one at a time.
if(MEMVIRT_HAVE_BPF)
  # The probe table's BTF lookup and libbpf log handling need no privilege: unit.
  memvirt_test(test_probes LABEL unit SOURCES tests/unit/test_probes.c LIBS memvirt_trace)
  add_executable(mvev_walks bpf/mvev_walks.c)
  memvirt_host_target(mvev_walks)
  target_link_libraries(mvev_walks PRIVATE memvirt_evfile)
  foreach(t walks pid detach cli counts touch qemu)
    memvirt_script_test(test_bpf_${t} LABEL bpf SCRIPT tests/bpf/test_bpf_${t}.sh)
    set_tests_properties(test_bpf_${t} PROPERTIES RUN_SERIAL TRUE)
  endforeach()
  # The scripts run the helper from the build tree.
  add_dependencies(memvirt mvev_walks)
endif()
