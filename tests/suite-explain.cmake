# SPDX-License-Identifier: GPL-2.0
# The four address spaces: walker-based translation checked against KVM, 'memvirt explain',
# --reload-kvm on a real KVM that can switch (against fake host trees: host/CMakeLists.txt).
memvirt_test(test_translate LABEL kvm SOURCES tests/kvm/test_translate.c LIBS memvirt_vmm
             TIMEOUT 300)
add_dependencies(test_translate guest_kernel guest_workload)
memvirt_script_test(test_explain LABEL kvm SCRIPT tests/cli/test_explain.sh)
# Real module reloads (root, kvm_amd or kvm_intel as a module): one at a time.
memvirt_script_test(test_paging_reload LABEL kvm SCRIPT tests/kvm/test_paging_reload.sh)
set_tests_properties(test_paging_reload PROPERTIES RUN_SERIAL TRUE)
# The sample run in docs/sample-run, with no KVM: trace, sim and explain --run over it.
memvirt_script_test(test_sample_run LABEL unit SCRIPT tests/cli/test_sample_run.sh)
