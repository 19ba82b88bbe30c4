# SPDX-License-Identifier: GPL-2.0
# The lab (label lab): the lab itself booted for real, and the kvm and bpf labels run inside
# it once per MMU mode, so that they run on every machine with QEMU, /dev/kvm or not. Each
# skips (77) where the lab cannot start (no QEMU, no lab kernel). Its errors need no boot.
memvirt_script_test(test_lab_errors LABEL unit SCRIPT tests/lab/test_lab_errors.sh)
memvirt_script_test(test_lab_cli LABEL lab SCRIPT tests/lab/test_lab_cli.sh TIMEOUT 900)
set_tests_properties(test_lab_cli PROPERTIES RUN_SERIAL TRUE)
foreach(label kvm bpf)
  foreach(mode shadow tdp)
    memvirt_script_test(lab_${label}_${mode} LABEL lab SCRIPT tests/lab/run_suite.sh
                        ARGS ${mode} ${label} TIMEOUT 1500)
    set_tests_properties(lab_${label}_${mode} PROPERTIES RUN_SERIAL TRUE)
  endforeach()
endforeach()
