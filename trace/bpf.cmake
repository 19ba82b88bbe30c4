# SPDX-License-Identifier: GPL-2.0
# eBPF probes: CO-RE objects built with clang against vmlinux.h, skeletons from
# bpftool, and the capture library (memvirt_trace). Without clang, bpftool or
# libbpf the tracer is left out and 'memvirt trace' says how to install them.

find_program(MEMVIRT_CLANG NAMES clang clang-14)
find_program(MEMVIRT_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin /usr/local/sbin)
pkg_check_modules(LIBBPF IMPORTED_TARGET libbpf>=0.8)

set(MEMVIRT_BTF_FILE /sys/kernel/btf/vmlinux CACHE FILEPATH
    "kernel BTF that vmlinux.h is generated from")
set(MEMVIRT_BPF_VMLINUX auto CACHE STRING
    "vmlinux.h for the BPF programs: auto (generated from MEMVIRT_BTF_FILE, else the pinned copy in trace/vmlinux/) or pinned")
set_property(CACHE MEMVIRT_BPF_VMLINUX PROPERTY STRINGS auto pinned)

option(MEMVIRT_BPF "Build the eBPF tracer (memvirt trace, run --trace)" ON)

set(missing "")
if(NOT MEMVIRT_BPF)
  message(STATUS "trace: eBPF tracer not built (MEMVIRT_BPF=OFF)")
  set(MEMVIRT_HAVE_BPF OFF CACHE INTERNAL "")
  set(MEMVIRT_BPF_NOTE "configured with MEMVIRT_BPF=OFF" CACHE INTERNAL "")
  return()
endif()
if(NOT MEMVIRT_CLANG)
  list(APPEND missing clang)
endif()
if(NOT MEMVIRT_BPFTOOL)
  list(APPEND missing bpftool)
endif()
if(NOT LIBBPF_FOUND)
  list(APPEND missing libbpf-dev)
endif()
if(missing)
  list(JOIN missing " " missing)
  message(STATUS "trace: eBPF tracer not built: missing ${missing} "
                 "(install with scripts/install-deps.sh or apt-get install ${missing})")
  set(MEMVIRT_HAVE_BPF OFF CACHE INTERNAL "")
  set(MEMVIRT_BPF_NOTE "built without ${missing}" CACHE INTERNAL "")
  return()
endif()
set(MEMVIRT_HAVE_BPF ON CACHE INTERNAL "")
# For 'memvirt --version' (cmake/version.cmake).
set(MEMVIRT_BPF_NOTE "libbpf ${LIBBPF_VERSION}" CACHE INTERNAL "")

set(MEMVIRT_BPF_GEN ${CMAKE_BINARY_DIR}/trace/bpf)
file(MAKE_DIRECTORY ${MEMVIRT_BPF_GEN}/vmlinux)

# vmlinux.h: from the running kernel's BTF when it has one, else the pinned subset.
if(MEMVIRT_BPF_VMLINUX STREQUAL "auto" AND EXISTS ${MEMVIRT_BTF_FILE})
  set(MEMVIRT_BPF_VMLINUX_DIR ${MEMVIRT_BPF_GEN}/vmlinux)
  set(MEMVIRT_BPF_VMLINUX_H ${MEMVIRT_BPF_VMLINUX_DIR}/vmlinux.h)
  add_custom_command(OUTPUT ${MEMVIRT_BPF_VMLINUX_H}
    COMMAND sh -c "'${MEMVIRT_BPFTOOL}' btf dump file '${MEMVIRT_BTF_FILE}' format c > vmlinux.h.tmp && mv vmlinux.h.tmp vmlinux.h"
    WORKING_DIRECTORY ${MEMVIRT_BPF_VMLINUX_DIR}
    COMMENT "Generating vmlinux.h from ${MEMVIRT_BTF_FILE}"
    VERBATIM)
  message(STATUS "trace: eBPF tracer built against vmlinux.h from ${MEMVIRT_BTF_FILE}")
else()
  set(MEMVIRT_BPF_VMLINUX_DIR ${PROJECT_SOURCE_DIR}/trace/vmlinux)
  set(MEMVIRT_BPF_VMLINUX_H ${MEMVIRT_BPF_VMLINUX_DIR}/vmlinux.h)
  message(STATUS "trace: eBPF tracer built against the pinned trace/vmlinux/vmlinux.h")
endif()

# memvirt_bpf_object(NAME SOURCES a.bpf.c ... DEPENDS headers), paths relative to trace/:
# each source is compiled to its own .bpf.o, the objects are linked into NAME.bpf.o
# (bpftool gen object: externs resolved, one .maps, .rodata and .bss) and NAME.skel.h is
# generated from that, all in ${MEMVIRT_BPF_GEN}; the target NAME_skel builds it. The first
# source must define the maps the others declare extern: bpftool 7.1 (libbpf 1.1) links a
# reference to a map defined in a later object wrongly ("map relo failed to find map" at open).
function(memvirt_bpf_object name)
  cmake_parse_arguments(B "" "" "SOURCES;DEPENDS" ${ARGN})
  set(objs "")
  list(TRANSFORM B_DEPENDS PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)
  foreach(file ${B_SOURCES})
    get_filename_component(stem ${file} NAME_WE)
    set(source ${CMAKE_CURRENT_SOURCE_DIR}/${file})
    set(obj ${MEMVIRT_BPF_GEN}/${stem}.bpf.o)
    add_custom_command(OUTPUT ${obj}
      COMMAND ${MEMVIRT_CLANG} -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror
              -I${MEMVIRT_BPF_VMLINUX_DIR} -I${PROJECT_SOURCE_DIR} -c ${source} -o ${obj}
      DEPENDS ${source} ${MEMVIRT_BPF_VMLINUX_H} ${B_DEPENDS}
      COMMENT "Compiling BPF program ${stem}.bpf.c"
      VERBATIM)
    list(APPEND objs ${obj})
  endforeach()
  # The linker keeps no DWARF: the linked object needs no strip.
  set(linked ${MEMVIRT_BPF_GEN}/${name}.bpf.o)
  add_custom_command(OUTPUT ${linked}
    COMMAND ${MEMVIRT_BPFTOOL} gen object ${linked} ${objs}
    DEPENDS ${objs}
    COMMENT "Linking BPF object ${name}.bpf.o"
    VERBATIM)
  set(skel ${MEMVIRT_BPF_GEN}/${name}.skel.h)
  add_custom_command(OUTPUT ${skel}
    COMMAND sh -c "'${MEMVIRT_BPFTOOL}' gen skeleton '${linked}' name '${name}' > '${skel}.tmp' && mv '${skel}.tmp' '${skel}'"
    DEPENDS ${linked}
    COMMENT "Generating BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel DEPENDS ${skel})
endfunction()

# The probe families, one object: state.bpf.c (the shared maps, defined) comes first.
memvirt_bpf_object(kvmmmu
  SOURCES state.bpf.c walk.bpf.c spt.bpf.c vmexit.bpf.c hostfault.bpf.c
  DEPENDS events_kvm.h state.bpf.h)

# Capture, with each family's user-space half (the same names as its .bpf.c).
find_package(Threads REQUIRED)
add_library(memvirt_trace STATIC capture.c capstats.c probes.c events_kvm.c
  state.c walk.c spt.c vmexit.c hostfault.c
  ${MEMVIRT_BPF_GEN}/kvmmmu.skel.h)
memvirt_host_target(memvirt_trace)
target_include_directories(memvirt_trace PRIVATE ${MEMVIRT_BPF_GEN})
target_link_libraries(memvirt_trace PUBLIC memvirt_evfile memvirt_common PkgConfig::LIBBPF
  Threads::Threads)
# Code that links the tracer (the memvirt binary) builds its capture paths.
target_compile_definitions(memvirt_trace INTERFACE MEMVIRT_HAVE_BPF=1)
