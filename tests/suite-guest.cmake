# SPDX-License-Identifier: GPL-2.0
# Guest tests (label kvm): the test's guest code runs at CPL0 in a small test kernel that the
# real VMM boots, its host code checks how the run ended (tests/guest/, docs/guest.md).

# The first process of every test guest: one instruction that traps into the test kernel.
memvirt_guest_image(guest_test_user test-user.elf ${PROJECT_SOURCE_DIR}/tests/guest/user.S)

# memvirt_guest_test(NAME [LIBS ...] [TIMEOUT s]): tests/guest/NAME.c compiled twice, with
# MV_GUEST freestanding into the test kernel build/guest/NAME.elf (with tests/guest/guest.c),
# and hosted into the test program NAME (with tests/guest/harness.c and the VMM).
function(memvirt_guest_test name)
  cmake_parse_arguments(G "" "TIMEOUT" "LIBS" ${ARGN})
  if(NOT G_TIMEOUT)
    set(G_TIMEOUT 120)
  endif()
  memvirt_guest_kernel(${name}_guest ${name}.elf ${PROJECT_SOURCE_DIR}/tests/guest/guest.c
                       ${PROJECT_SOURCE_DIR}/tests/guest/${name}.c)
  target_compile_definitions(${name}_guest PRIVATE MV_GUEST)
  # __FILE__ relative to the source tree: what a failed GUEST_ASSERT reports.
  target_compile_options(${name}_guest PRIVATE -fmacro-prefix-map=${PROJECT_SOURCE_DIR}/=)
  memvirt_test(${name} LABEL kvm SOURCES tests/guest/${name}.c tests/guest/harness.c
               LIBS memvirt_vmm ${G_LIBS} TIMEOUT ${G_TIMEOUT})
  target_compile_definitions(${name} PRIVATE GUEST_TEST_IMAGE="$<TARGET_FILE:${name}_guest>"
                             GUEST_TEST_USER="$<TARGET_FILE:guest_test_user>")
  add_dependencies(${name} ${name}_guest guest_test_user)
endfunction()

memvirt_guest_test(test_guest_harness)
memvirt_guest_test(test_guest_boot)
memvirt_guest_test(test_guest_evring)
