# SPDX-License-Identifier: GPL-2.0
# The bounds-checked ELF64 loader for guest images, its unit test and its libFuzzer harness.
add_library(memvirt_elf STATIC vmm/elf.c)
memvirt_host_target(memvirt_elf)
target_link_libraries(memvirt_elf PUBLIC memvirt_common)
list(APPEND MEMVIRT_LIBS memvirt_elf)

memvirt_test(test_elf LABEL unit SOURCES tests/unit/test_elf.c LIBS memvirt_elf)

# Seeds in tests/fuzz/corpus/elf/ come from the test's image builder:
#   build/test_elf --write-corpus tests/fuzz/corpus/elf
option(MEMVIRT_FUZZ "Build libFuzzer harnesses (needs clang)" OFF)
if(MEMVIRT_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "MEMVIRT_FUZZ needs clang: configure with -DCMAKE_C_COMPILER=clang")
  endif()
  # elf.c is compiled into the harness so that it gets coverage instrumentation.
  add_executable(fuzz_elf tests/fuzz/fuzz_elf.c vmm/elf.c)
  memvirt_host_target(fuzz_elf)
  target_compile_options(fuzz_elf PRIVATE -fsanitize=fuzzer,address,undefined
                         -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(fuzz_elf PRIVATE -fsanitize=fuzzer,address,undefined)

  # New inputs go to the build tree; the checked-in seeds are only read.
  set(FUZZ_ELF_DIR ${CMAKE_BINARY_DIR}/fuzz/elf)
  file(MAKE_DIRECTORY ${FUZZ_ELF_DIR}/corpus)
  add_test(NAME fuzz_elf_smoke
    COMMAND fuzz_elf -max_total_time=20 -max_len=8192 -artifact_prefix=${FUZZ_ELF_DIR}/
            ${FUZZ_ELF_DIR}/corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/elf)
  set_tests_properties(fuzz_elf_smoke PROPERTIES LABELS unit TIMEOUT 120)
endif()
