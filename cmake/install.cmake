# SPDX-License-Identifier: GPL-2.0
# 'make install' (cmake --install): the binary, its guest images, man pages, bash completion and
# the documentation. The man pages and the completion come from the built binary's own --help
# (scripts/gen-manpages.sh, scripts/gen-completion.sh), so they never drift from it.
#
#   PREFIX/bin/memvirt
#   PREFIX/share/memvirt/{kernel,workload}.elf    found from the binary's place (src/about.c)
#   PREFIX/share/man/man1/memvirt.1, memvirt-COMMAND.1
#   PREFIX/share/bash-completion/completions/memvirt
#   PREFIX/share/doc/memvirt/README.md, docs/     docs/sample-run/ included: a real run's
#                                                 directory, found from the binary's place
#                                                 by 'memvirt explain --sample' (src/about.c)
include(GNUInstallDirs)

set(MEMVIRT_DOC_GEN ${CMAKE_BINARY_DIR}/doc)
set(completion ${MEMVIRT_DOC_GEN}/memvirt.bash-completion)
add_custom_command(OUTPUT ${completion}
  COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/gen-completion.sh $<TARGET_FILE:memvirt>
          $<TARGET_FILE:memvirt_complete_names> ${completion}
  DEPENDS memvirt memvirt_complete_names ${PROJECT_SOURCE_DIR}/scripts/gen-completion.sh ${PROJECT_SOURCE_DIR}/scripts/help-text.sh
  COMMENT "Generating the bash completion from memvirt --help" VERBATIM)
set(doc_outputs ${completion})

find_program(MEMVIRT_HELP2MAN help2man)
if(MEMVIRT_HELP2MAN)
  set(MEMVIRT_MAN ON CACHE INTERNAL "")
  set(man_stamp ${MEMVIRT_DOC_GEN}/man.stamp)
  # help2man dates a page from SOURCE_DATE_EPOCH when set: the commit's date (cmake/version.cmake).
  set(man_env "")
  if(MEMVIRT_COMMIT_TIME)
    set(man_env ${CMAKE_COMMAND} -E env SOURCE_DATE_EPOCH=${MEMVIRT_COMMIT_TIME})
  endif()
  add_custom_command(OUTPUT ${man_stamp}
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${MEMVIRT_DOC_GEN}/man
    COMMAND ${man_env} bash ${PROJECT_SOURCE_DIR}/scripts/gen-manpages.sh $<TARGET_FILE:memvirt>
            ${MEMVIRT_HELP2MAN} ${PROJECT_VERSION} ${MEMVIRT_DOC_GEN}/man
    COMMAND ${CMAKE_COMMAND} -E touch ${man_stamp}
    DEPENDS memvirt ${PROJECT_SOURCE_DIR}/scripts/gen-manpages.sh ${PROJECT_SOURCE_DIR}/scripts/help-text.sh
    COMMENT "Generating the man pages from memvirt --help" VERBATIM)
  list(APPEND doc_outputs ${man_stamp})
else()
  set(MEMVIRT_MAN OFF CACHE INTERNAL "")
  message(STATUS "install: no man pages: help2man is missing (scripts/install-deps.sh)")
endif()
add_custom_target(memvirt_doc ALL DEPENDS ${doc_outputs})

install(TARGETS memvirt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES $<TARGET_FILE:guest_kernel> $<TARGET_FILE:guest_workload>
        DESTINATION ${CMAKE_INSTALL_DATADIR}/memvirt)
if(MEMVIRT_MAN)
  install(DIRECTORY ${MEMVIRT_DOC_GEN}/man/man1 DESTINATION ${CMAKE_INSTALL_MANDIR})
endif()
install(FILES ${completion} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME memvirt)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The sample run is data read by the binary: the build stops if it is missing.
foreach(f run.json events.mvev pagetables.bin)
  if(NOT EXISTS ${PROJECT_SOURCE_DIR}/docs/sample-run/${f})
    message(FATAL_ERROR "docs/sample-run/${f} is missing: scripts/make-sample-run.sh makes it")
  endif()
endforeach()
