# SPDX-License-Identifier: GPL-2.0
# The event file format: writer, reader, type descriptors, printing, statistics and the join.
set(MEMVIRT_EVFILE_SOURCES trace/evfile.c trace/evread.c trace/evtypes.c trace/evdump.c
    trace/evstat.c trace/join.c)
add_library(memvirt_evfile STATIC ${MEMVIRT_EVFILE_SOURCES})
memvirt_host_target(memvirt_evfile)
find_package(Threads REQUIRED)
target_link_libraries(memvirt_evfile PUBLIC memvirt_common Threads::Threads)
list(APPEND MEMVIRT_LIBS memvirt_evfile)

# libFuzzer harness over the reader, stat, join and dump. Seeds in tests/fuzz/corpus/evfile/
# come from the unit test's file builder:
#   build/test_evfile --write-corpus tests/fuzz/corpus/evfile
option(MEMVIRT_FUZZ "Build libFuzzer harnesses (needs clang)" OFF)
if(MEMVIRT_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "MEMVIRT_FUZZ needs clang: configure with -DCMAKE_C_COMPILER=clang")
  endif()
  # The sources are compiled into the harness so that they get coverage instrumentation.
  add_executable(fuzz_evfile tests/fuzz/fuzz_evfile.c ${MEMVIRT_EVFILE_SOURCES})
  memvirt_host_target(fuzz_evfile)
  target_compile_options(fuzz_evfile PRIVATE -fsanitize=fuzzer,address,undefined
                         -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(fuzz_evfile PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_evfile PRIVATE memvirt_common Threads::Threads)

  # New inputs go to the build tree; the checked-in seeds are only read.
  set(FUZZ_EVFILE_DIR ${CMAKE_BINARY_DIR}/fuzz/evfile)
  file(MAKE_DIRECTORY ${FUZZ_EVFILE_DIR}/corpus)
  add_test(NAME fuzz_evfile_smoke
    COMMAND fuzz_evfile -max_total_time=20 -max_len=16384 -artifact_prefix=${FUZZ_EVFILE_DIR}/
            ${FUZZ_EVFILE_DIR}/corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/evfile)
  set_tests_properties(fuzz_evfile_smoke PROPERTIES LABELS unit TIMEOUT 120)
endif()
