# SPDX-License-Identifier: GPL-2.0
# The guest event channel: the ring consumer on hostile input (unit), and real guests (kvm).
memvirt_test(test_evring LABEL unit SOURCES tests/unit/test_evring.c LIBS memvirt_vmm)
memvirt_test(test_evring_kvm LABEL kvm SOURCES tests/kvm/test_evring_kvm.c
             LIBS memvirt_vmm TIMEOUT 300)
add_dependencies(test_evring_kvm guest_kernel guest_workload)
memvirt_script_test(test_evring_cli LABEL kvm SCRIPT tests/kvm/test_evring_cli.sh)
