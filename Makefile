# SPDX-License-Identifier: GPL-2.0
# The two commands of the README: `make demo` and `make test`. Both install
# missing Debian packages first (scripts/install-deps.sh), then build.
# `make install` puts memvirt under PREFIX (default /usr/local), staged in DESTDIR if set.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
REPRO_OUT  ?= $(BUILD)/repro
REPRO_ARGS ?=
PREFIX     ?= /usr/local
DESTDIR    ?=

# No "Entering directory" lines from the make that cmake --build runs under this one.
MAKEFLAGS += --no-print-directory
export MAKEFLAGS
# A failing cmake in a pipe fails the recipe.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# CMake's configure output: memvirt's own lines ("-- trace: eBPF tracer not built: missing ...",
# what is left out and why) and every warning or error; CMake's compiler probing is dropped.
CMAKE_QUIET = | sed -n '/^-- /!p; /^-- [a-z][a-z0-9_-]*: /p'

SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null | grep -v '^tests/fuzz/corpus/')

.PHONY: all deps configure build install demo test test-asan test-fuzz format format-check bench repro clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) $(CMAKE_QUIET)

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

# The binary, its guest images (PREFIX/share/memvirt), man pages, bash completion and docs
# (cmake/install.cmake).
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

# Only what the demo runs: the memvirt binary and its guest images (memvirt depends on them).
demo: configure
	@cmake --build $(BUILD) -j$(JOBS) --target memvirt
	./$(BUILD)/memvirt demo --out memvirt-out/demo
	@echo "demo output: memvirt-out/demo/MODE/WORKLOAD/run.json (MODE: shadow, tdp), memvirt-out/demo/sim/, memvirt-out/demo/report/index.html"

test: build
	cd $(BUILD) && ctest --output-on-failure -j1

# The unit and KVM tests again under AddressSanitizer and UndefinedBehaviorSanitizer:
# natively (KVM tests skip without /dev/kvm), then the KVM tests in the lab, both modes.
test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
		-DMEMVIRT_SANITIZE=address,undefined $(CMAKE_ARGS) $(CMAKE_QUIET)
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j1 -L 'unit|kvm'
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j1 -R '^lab_kvm_'

# Every libFuzzer harness (tests/fuzz) for a short run from its seed corpus (clang build).
test-fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DMEMVIRT_FUZZ=ON $(CMAKE_ARGS) $(CMAKE_QUIET)
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target \
		$$(cmake --build $(FUZZ_BUILD) --target help | sed -n 's/^\.\.\. \(fuzz_[a-z0-9_]*\).*/\1/p')
	cd $(FUZZ_BUILD) && ctest --output-on-failure -j1 -R '^fuzz_'

format:
	clang-format -i $(SOURCES)

format-check:
	@clang-format --dry-run --Werror $(SOURCES) && echo "format: clean"

bench: build
	bash bench/run-all.sh

# The reproductions of published results (repro/README.md): tables, plots and one markdown
# result each under REPRO_OUT; REPRO_ARGS=--quick for a fast pass (crossover.py --lab alone adds
# real KVM runs: see repro/README.md).
REPRO_SCRIPTS = repro/bhargava2008.py repro/barr2010.py repro/crossover.py

repro: build
	@mkdir -p $(REPRO_OUT)
	@for s in $(REPRO_SCRIPTS); do \
		echo "== $$s"; \
		MEMVIRT=$(BUILD)/memvirt python3 $$s --out $(REPRO_OUT) $(REPRO_ARGS) || exit $$?; \
	done
	@echo "results: $(REPRO_OUT)/*.md (index: repro/README.md)"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
