# SPDX-License-Identifier: GPL-2.0
# Build helpers every folder uses: host targets, tests (three ctest labels) and fuzz harnesses.

# Host code: warnings, _GNU_SOURCE, optional sanitizers.
function(memvirt_host_target tgt)
  target_compile_options(${tgt} PRIVATE ${MEMVIRT_WARNINGS})
  target_compile_definitions(${tgt} PRIVATE _GNU_SOURCE)
  target_include_directories(${tgt} PRIVATE ${PROJECT_SOURCE_DIR})
  if(MEMVIRT_SANITIZE)
    target_compile_options(${tgt} PRIVATE -fsanitize=${MEMVIRT_SANITIZE} -fno-omit-frame-pointer
                           -fno-sanitize-recover=all)
    target_link_options(${tgt} PRIVATE -fsanitize=${MEMVIRT_SANITIZE})
  endif()
endfunction()

# Three tiers as ctest labels: unit (pure C), kvm (boots guests), bpf (root, tracefs), and
# lab (QEMU). A test whose host lacks the feature exits 77 and ctest shows it as skipped.
# Every test runs in the top of the build tree, whichever folder registers it.
set(MEMVIRT_SKIP_CODE 77)

function(memvirt_test_properties name label timeout)
  set_tests_properties(${name} PROPERTIES LABELS ${label}
    SKIP_RETURN_CODE ${MEMVIRT_SKIP_CODE} TIMEOUT ${timeout})
endfunction()

# A test that is a C program: memvirt_test(NAME LABEL label SOURCES ... [LIBS ...] [ARGS ...]
# [TIMEOUT s]). SOURCES are relative to the top of the source tree.
function(memvirt_test name)
  cmake_parse_arguments(T "" "LABEL;TIMEOUT" "SOURCES;LIBS;ARGS" ${ARGN})
  if(NOT T_LABEL OR NOT T_SOURCES)
    message(FATAL_ERROR "memvirt_test(${name}): LABEL and SOURCES are required")
  endif()
  list(TRANSFORM T_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/)
  add_executable(${name} ${T_SOURCES})
  memvirt_host_target(${name})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(${name} PRIVATE
    MEMVIRT_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    MEMVIRT_BINARY_DIR="${CMAKE_BINARY_DIR}")
  target_link_libraries(${name} PRIVATE ${T_LIBS} memvirt_common)
  add_test(NAME ${name} COMMAND ${name} ${T_ARGS} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  memvirt_test_properties(${name} ${T_LABEL} ${T_TIMEOUT})
endfunction()

# A test that is a shell script (CLI behaviour, end-to-end runs), run as
# `bash SCRIPT MEMVIRT BUILD_DIR [ARGS ...]`: memvirt_script_test(NAME LABEL label
# SCRIPT path [ARGS ...] [TIMEOUT s]). SCRIPT is relative to the top of the source tree.
function(memvirt_script_test name)
  cmake_parse_arguments(T "" "LABEL;SCRIPT;TIMEOUT" "ARGS" ${ARGN})
  if(NOT T_LABEL OR NOT T_SCRIPT)
    message(FATAL_ERROR "memvirt_script_test(${name}): LABEL and SCRIPT are required")
  endif()
  if(NOT EXISTS ${PROJECT_SOURCE_DIR}/${T_SCRIPT})
    message(FATAL_ERROR "memvirt_script_test(${name}): ${T_SCRIPT} does not exist: "
                        "write it or remove the test from the list")
  endif()
  add_test(NAME ${name} COMMAND bash ${PROJECT_SOURCE_DIR}/${T_SCRIPT}
    $<TARGET_FILE:memvirt> ${CMAKE_BINARY_DIR} ${T_ARGS} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  memvirt_test_properties(${name} ${T_LABEL} ${T_TIMEOUT})
endfunction()

# A libFuzzer harness tests/fuzz/fuzz_NAME.c, built only with MEMVIRT_FUZZ=ON, and its smoke
# test fuzz_NAME_smoke (20 s from the seeds in tests/fuzz/corpus/NAME/; new inputs go to the
# build tree, the checked-in seeds are only read). The code under test goes in SOURCES, not
# LIBS, so that it gets coverage instrumentation: memvirt_fuzz(NAME MAX_LEN bytes
# SOURCES ... [LIBS ...]).
function(memvirt_fuzz name)
  cmake_parse_arguments(F "" "MAX_LEN" "SOURCES;LIBS" ${ARGN})
  if(NOT MEMVIRT_FUZZ)
    return()
  endif()
  set(seeds ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  if(NOT IS_DIRECTORY ${seeds})
    message(FATAL_ERROR "memvirt_fuzz(${name}): no seed corpus in tests/fuzz/corpus/${name}/")
  endif()
  set(tgt fuzz_${name})
  add_executable(${tgt} ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_${name}.c ${F_SOURCES})
  memvirt_host_target(${tgt})
  target_compile_options(${tgt} PRIVATE -fsanitize=fuzzer,address,undefined
                         -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(${tgt} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${tgt} PRIVATE ${F_LIBS} memvirt_common)

  set(dir ${CMAKE_BINARY_DIR}/fuzz/${name})
  file(MAKE_DIRECTORY ${dir}/corpus)
  add_test(NAME ${tgt}_smoke
    COMMAND ${tgt} -max_total_time=20 -max_len=${F_MAX_LEN} -artifact_prefix=${dir}/
            ${dir}/corpus ${seeds}
    WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(${tgt}_smoke PROPERTIES LABELS unit TIMEOUT 120)
endfunction()
