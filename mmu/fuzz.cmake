# SPDX-License-Identifier: GPL-2.0
# libFuzzer harnesses for the simulator's parsers (MEMVIRT_FUZZ=ON, clang): the configuration
# parser and the access-trace/lackey readers. Seeds in tests/fuzz/corpus/{sim_config,atrace}/.
option(MEMVIRT_FUZZ "Build libFuzzer harnesses (needs clang)" OFF)
if(MEMVIRT_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "MEMVIRT_FUZZ needs clang: configure with -DCMAKE_C_COMPILER=clang")
  endif()
  # The mmu sources are compiled into each harness so that they get coverage instrumentation.
  get_target_property(MEMVIRT_MMU_SOURCES memvirt_mmu SOURCES)
  foreach(h sim_config atrace)
    add_executable(fuzz_${h} tests/fuzz/fuzz_${h}.c ${MEMVIRT_MMU_SOURCES})
    memvirt_host_target(fuzz_${h})
    target_compile_options(fuzz_${h} PRIVATE -fsanitize=fuzzer,address,undefined
                           -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(fuzz_${h} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_${h} PRIVATE memvirt_common)

    # New inputs go to the build tree; the checked-in seeds are only read.
    set(FUZZ_DIR ${CMAKE_BINARY_DIR}/fuzz/${h})
    file(MAKE_DIRECTORY ${FUZZ_DIR}/corpus)
    add_test(NAME fuzz_${h}_smoke
      COMMAND fuzz_${h} -max_total_time=20 -max_len=8192 -artifact_prefix=${FUZZ_DIR}/
              ${FUZZ_DIR}/corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${h})
    set_tests_properties(fuzz_${h}_smoke PROPERTIES LABELS unit TIMEOUT 120)
  endforeach()
endif()
