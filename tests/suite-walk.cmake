# SPDX-License-Identifier: GPL-2.0
# Guest page sizes mixed within one run: fault counts and leaf sizes on real KVM.
memvirt_test(test_mixed LABEL kvm SOURCES tests/kvm/test_mixed.c LIBS memvirt_vmm TIMEOUT 300)
add_dependencies(test_mixed guest_kernel guest_workload)
