# SPDX-License-Identifier: GPL-2.0
# Populated mappings (run --populate, MV_MSG_POPULATE): the VMM's checks on hostile
# messages over a fake guest memory (unit), and real guests (kvm).
memvirt_test(test_populate_msg LABEL unit SOURCES tests/unit/test_populate_msg.c LIBS memvirt_vmm)
memvirt_test(test_populate LABEL kvm SOURCES tests/kvm/test_populate.c
             LIBS memvirt_vmm TIMEOUT 600)
add_dependencies(test_populate guest_kernel guest_workload)
