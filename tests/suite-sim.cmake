# SPDX-License-Identifier: GPL-2.0
# The simulator's inputs: access traces, lackey text, event files, run directories.
memvirt_test(test_sim_atrace LABEL unit SOURCES tests/unit/test_sim_atrace.c LIBS memvirt_mmu)
memvirt_test(test_sim_events LABEL unit SOURCES tests/unit/test_sim_events.c LIBS memvirt_evfile)
add_dependencies(test_sim_events memvirt)
memvirt_script_test(test_sim_run LABEL kvm SCRIPT tests/kvm/test_sim_run.sh)
# --tlb-sizes against a run per size, its refusals, and non-canonical accesses in a trace.
memvirt_script_test(test_sim_tlb_sizes LABEL unit SCRIPT tests/cli/test_sim_tlb_sizes.sh)
