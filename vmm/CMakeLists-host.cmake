# SPDX-License-Identifier: GPL-2.0
# The host-capability probe behind 'memvirt info' and run.json's "host" object.
add_library(memvirt_host STATIC vmm/host.c)
memvirt_host_target(memvirt_host)
target_link_libraries(memvirt_host PUBLIC memvirt_common PRIVATE PkgConfig::CAPSTONE)
list(APPEND MEMVIRT_LIBS memvirt_host)

memvirt_test(test_host LABEL unit SOURCES tests/unit/test_host.c LIBS memvirt_host)
