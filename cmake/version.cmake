# SPDX-License-Identifier: GPL-2.0
# The build's identity for 'memvirt --version' and the JSON writers: the project version, the
# git commit of the source tree (at configure time), and the optional parts built in. Written
# to generated/memvirt_version.h in the build tree; common/version.c is its only reader.

set(MEMVIRT_COMMIT unknown)
set(MEMVIRT_COMMIT_TIME "")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE commit RESULT_VARIABLE rc
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(rc EQUAL 0 AND commit)
    set(MEMVIRT_COMMIT ${commit})
    # The commit's date dates the generated man pages, so that a rebuild gives the same pages.
    execute_process(COMMAND ${GIT_EXECUTABLE} log -1 --format=%ct
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE MEMVIRT_COMMIT_TIME
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    # Tracked files changed since that commit: the binary is not exactly the commit.
    execute_process(COMMAND ${GIT_EXECUTABLE} status --porcelain --untracked-files=no
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE changes ERROR_QUIET)
    if(changes)
      string(APPEND MEMVIRT_COMMIT -dirty)
    endif()
    # A new commit or checkout moves HEAD's log: configure again, so the commit stays right.
    execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --git-path logs/HEAD
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE head_log
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    get_filename_component(head_log "${head_log}" ABSOLUTE BASE_DIR ${PROJECT_SOURCE_DIR})
    if(EXISTS ${head_log})
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${head_log})
    endif()
  endif()
endif()

# The eBPF tracer (trace/bpf.cmake decides): built, or why not.
if(MEMVIRT_HAVE_BPF)
  set(MEMVIRT_TRACER_BUILT 1)
else()
  set(MEMVIRT_TRACER_BUILT 0)
endif()

# The guest images' folder relative to the binary's, once installed (share/memvirt).
include(GNUInstallDirs)
file(RELATIVE_PATH MEMVIRT_DATA_RELDIR ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}
     ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/memvirt)
# The documentation's folder relative to the binary's, once installed (share/doc/memvirt),
# and the source tree's, where a binary that is not installed finds docs/sample-run.
file(RELATIVE_PATH MEMVIRT_DOC_RELDIR ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}
     ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR})
set(MEMVIRT_SOURCE_DIR ${PROJECT_SOURCE_DIR})

configure_file(${PROJECT_SOURCE_DIR}/common/memvirt_version.h.in
               ${CMAKE_BINARY_DIR}/generated/memvirt_version.h @ONLY)
message(STATUS "memvirt ${PROJECT_VERSION}, commit ${MEMVIRT_COMMIT}")
