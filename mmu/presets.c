// SPDX-License-Identifier: GPL-2.0
/* Compiled-in presets named after real cores, in the configuration file format, with their sources.
 */
#include <stdio.h>
#include <string.h>

#include "mmu/config_internal.h"

/*
 * 'textbook': what a lecture on paging draws. 4-level paging, one small TLB,
 * no paging-structure caches, no nested TLB, no data caches: every table load
 * goes to memory, so a walk costs exactly its reference count times the
 * memory latency. Shadow-paging costs: a VM exit's round trip of 1360 cycles,
 * measured by Michael Roth on AMD EPYC under KVM (LKML, Dec 2020, "KVM: SVM:
 * use vmsave/vmload for saving/restoring additional host state": pre-VMRUN to
 * post-VMRUN 1344-1376 cycles), plus KVM's work in each exit, assumed (no
 * published per-handler figure found); docs/sim-model.md has the reasoning.
 * The other presets use the same numbers: no per-core measurement was found.
 */
static const char preset_textbook[] = "[sim]\n"
				      "name = textbook\n"
				      "[paging]\n"
				      "levels = 4\n"
				      "host_levels = 4\n"
				      "[tlb1]\n"
				      "latency = 1\n"
				      "[tlb1.all]\n"
				      "entries = 64\n"
				      "ways = 4\n"
				      "policy = lru\n"
				      "[memory]\n"
				      "latency = 100\n"
				      "[shadow] # docs/sim-model.md, shadow costs\n"
				      "pf_exit = 2500 # 1360 measured round trip + 1140 assumed\n"
				      "wrprot_exit = 4000 # 1360 measured + 2640 assumed\n"
				      "cr3_exit = 2000 # 1360 measured + 640 assumed\n"
				      "invlpg_exit = 1800 # 1360 measured + 440 assumed\n"
				      "sync = 3000 # assumed: 512 entries x ~6 cycles\n";

/*
 * Intel Golden Cove (Alder Lake P-core, Sapphire Rapids).
 * Sources: Intel 64 and IA-32 Architectures Optimization Reference Manual,
 * Vol. 1, the Golden Cove section and its TLB-parameters table (L1 DTLB for
 * loads: 96 x 4K 6-way, 32 x 2M/4M 4-way, 8 x 1G fully associative; STLB
 * 2048 entries 4K/2M 16-way, 1G 1024 entries 8-way); the same manual's cache
 * table (L1D 48K 12-way 5 cycles, L2 1.25M 10-way on client parts).
 * Uncertain (marked below): Intel does not publish paging-structure-cache
 * sizes; the values are the PML4E 2 / PDPTE 4 / PDE 32 reported for earlier
 * Intel cores by Barr, Cox and Rixner, "Translation Caching: Skip, Don't
 * Walk (the Page Table)", ISCA 2010. STLB hit latency, the L3 and memory
 * latencies are typical measured values (chipsandcheese, 7-cpu), not
 * documented ones, and the nested-TLB size is a placeholder.
 * Simplification: the store-only L1 DTLB and the ITLB are not modelled.
 */
static const char preset_golden_cove[] =
	"[sim]\n"
	"name = golden-cove\n"
	"[paging]\n"
	"levels = 4\n"
	"host_levels = 4\n"
	"maxphyaddr = 52\n"
	"[tlb1]\n"
	"latency = 0\n"
	"[tlb1.4k]\n"
	"entries = 96\n"
	"ways = 6\n"
	"policy = plru\n"
	"[tlb1.2m]\n"
	"entries = 32\n"
	"ways = 4\n"
	"policy = plru\n"
	"[tlb1.1g]\n"
	"entries = 8\n"
	"ways = 8\n"
	"policy = plru\n"
	"[tlb2]\n"
	"latency = 7 # uncertain: measured, not documented\n"
	"[tlb2.4k+2m]\n"
	"entries = 2048\n"
	"ways = 16\n"
	"policy = plru\n"
	"[tlb2.1g]\n"
	"entries = 1024\n"
	"ways = 8\n"
	"policy = plru\n"
	"[pwc]\n"
	"latency = 1 # uncertain\n"
	"policy = lru\n"
	"pml4e_entries = 2 # uncertain (Barr et al. 2010)\n"
	"pml4e_ways = 2\n"
	"pdpte_entries = 4 # uncertain\n"
	"pdpte_ways = 4\n"
	"pde_entries = 32 # uncertain\n"
	"pde_ways = 4\n"
	"[nested_tlb]\n"
	"entries = 32 # uncertain: placeholder\n"
	"ways = 4\n"
	"latency = 1\n"
	"[cache]\n"
	"line = 64\n"
	"[cache1]\n"
	"size = 48K\n"
	"ways = 12\n"
	"latency = 5\n"
	"[cache2]\n"
	"size = 1280K\n"
	"ways = 10\n"
	"latency = 15 # uncertain: measured\n"
	"[cache3]\n"
	"size = 30M # uncertain: part-dependent, 12 x 2.5M slices\n"
	"ways = 12\n"
	"latency = 60 # uncertain: measured\n"
	"[memory]\n"
	"latency = 300 # uncertain: DRAM-dependent\n"
	"[shadow] # as textbook: docs/sim-model.md, shadow costs\n"
	"pf_exit = 2500 # uncertain\n"
	"wrprot_exit = 4000 # uncertain\n"
	"cr3_exit = 2000 # uncertain\n"
	"invlpg_exit = 1800 # uncertain\n"
	"sync = 3000 # uncertain\n";

/*
 * AMD Zen 4 (Family 19h, models 60h-7Fh / Genoa).
 * Sources: AMD Software Optimization Guide for AMD Family 19h Processors
 * (pub. 56665), "L1 and L2 TLBs": L1 DTLB 72 entries fully associative, all
 * page sizes; L2 DTLB 3072 entries holding 4K and 2M (1G pages are smashed
 * into 2M entries there); L1D 32K 8-way with 4-cycle load-to-use, L2 1M 8-way, L3 32M 16-way per
 * CCD. Uncertain (marked below): the L2 DTLB associativity, the page-directory cache geometry (AMD
 * describes a PDE cache inside the L2 TLB without sizes), the nested-TLB size, and all latencies
 * but the L1D's. Simplification: 1G pages are kept only in the L1 DTLB (no smashing).
 */
static const char preset_zen4[] = "[sim]\n"
				  "name = zen4\n"
				  "[paging]\n"
				  "levels = 4\n"
				  "host_levels = 4\n"
				  "[tlb1]\n"
				  "latency = 0\n"
				  "[tlb1.all]\n"
				  "entries = 72\n"
				  "ways = 72\n"
				  "policy = plru # uncertain\n"
				  "[tlb2]\n"
				  "latency = 7 # uncertain: measured\n"
				  "[tlb2.4k+2m]\n"
				  "entries = 3072\n"
				  "ways = 12 # uncertain\n"
				  "policy = plru\n"
				  "[pwc]\n"
				  "latency = 2 # uncertain\n"
				  "pml4e_entries = 4 # uncertain\n"
				  "pml4e_ways = 4\n"
				  "pdpte_entries = 16 # uncertain\n"
				  "pdpte_ways = 16\n"
				  "pde_entries = 64 # uncertain\n"
				  "pde_ways = 8\n"
				  "[nested_tlb]\n"
				  "entries = 64 # uncertain: AMD documents an NTLB, not its size\n"
				  "ways = 8\n"
				  "latency = 2\n"
				  "[cache]\n"
				  "line = 64\n"
				  "[cache1]\n"
				  "size = 32K\n"
				  "ways = 8\n"
				  "latency = 4\n"
				  "[cache2]\n"
				  "size = 1M\n"
				  "ways = 8\n"
				  "latency = 14\n"
				  "[cache3]\n"
				  "size = 32M\n"
				  "ways = 16\n"
				  "latency = 50 # uncertain: measured\n"
				  "[memory]\n"
				  "latency = 300 # uncertain: DRAM-dependent\n"
				  "[shadow] # as textbook: docs/sim-model.md, shadow costs\n"
				  "pf_exit = 2500 # uncertain\n"
				  "wrprot_exit = 4000 # uncertain\n"
				  "cr3_exit = 2000 # uncertain\n"
				  "invlpg_exit = 1800 # uncertain\n"
				  "sync = 3000 # uncertain\n";

/*
 * AMD Zen 5 (Family 1Ah).
 * Sources: AMD Software Optimization Guide for AMD Family 1Ah Processors
 * (pub. 58455) and AMD's Hot Chips 2024 "Zen 5" presentation: L1 DTLB 96
 * entries, L2 DTLB 4K entries for every page size but 1G; L1D 48K 12-way,
 * L2 1M 16-way, L3 32M 16-way per CCD.
 * Uncertain (marked below): the L1 DTLB is taken as fully associative like
 * Zen 4's; the L2 DTLB associativity, PWC and nested-TLB geometry and the
 * latencies beyond the L1D are estimates.
 */
static const char preset_zen5[] = "[sim]\n"
				  "name = zen5\n"
				  "[paging]\n"
				  "levels = 4\n"
				  "host_levels = 4\n"
				  "[tlb1]\n"
				  "latency = 0\n"
				  "[tlb1.all]\n"
				  "entries = 96\n"
				  "ways = 96 # uncertain: fully associative as on Zen 4\n"
				  "policy = plru\n"
				  "[tlb2]\n"
				  "latency = 7 # uncertain\n"
				  "[tlb2.4k+2m]\n"
				  "entries = 4096\n"
				  "ways = 16 # uncertain\n"
				  "policy = plru\n"
				  "[pwc]\n"
				  "latency = 2 # uncertain\n"
				  "pml4e_entries = 4 # uncertain\n"
				  "pml4e_ways = 4\n"
				  "pdpte_entries = 16 # uncertain\n"
				  "pdpte_ways = 16\n"
				  "pde_entries = 64 # uncertain\n"
				  "pde_ways = 8\n"
				  "[nested_tlb]\n"
				  "entries = 64 # uncertain\n"
				  "ways = 8\n"
				  "latency = 2\n"
				  "[cache]\n"
				  "line = 64\n"
				  "[cache1]\n"
				  "size = 48K\n"
				  "ways = 12\n"
				  "latency = 4\n"
				  "[cache2]\n"
				  "size = 1M\n"
				  "ways = 16\n"
				  "latency = 14\n"
				  "[cache3]\n"
				  "size = 32M\n"
				  "ways = 16\n"
				  "latency = 50 # uncertain: measured\n"
				  "[memory]\n"
				  "latency = 300 # uncertain: DRAM-dependent\n"
				  "[shadow] # as textbook: docs/sim-model.md, shadow costs\n"
				  "pf_exit = 2500 # uncertain\n"
				  "wrprot_exit = 4000 # uncertain\n"
				  "cr3_exit = 2000 # uncertain\n"
				  "invlpg_exit = 1800 # uncertain\n"
				  "sync = 3000 # uncertain\n";

static const struct {
	const char *name;
	const char *text;
} presets[] = {
	{"textbook", preset_textbook},
	{"golden-cove", preset_golden_cove},
	{"zen4", preset_zen4},
	{"zen5", preset_zen5},
};

static const char *const preset_names[] = {"textbook", "golden-cove", "zen4", "zen5", NULL};

const char *preset_text(const char *name)
{
	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (!strcmp(name, presets[i].name))
			return presets[i].text;
	return NULL;
}

const char *const *sim_config_presets(void)
{
	return preset_names;
}
