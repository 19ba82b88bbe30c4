// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt explain: the classroom view of the four address spaces. Runs a
 * small guest to the end of its workload, then follows each address from
 * the stopped guest's CR3: GVA index fields, every guest page-table level,
 * the GPA, the memory slot and HVA, the host page.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "src/cmds.h"
#include "src/explain.h"
#include "src/run_cli.h"

/* Access kinds a walk can check, by name. */
static const struct {
	const char *name;
	unsigned acc;
} accesses[] = {
	{"user-read", WALK_ACC_USER},
	{"user-write", WALK_ACC_USER | WALK_ACC_WRITE},
	{"user-fetch", WALK_ACC_USER | WALK_ACC_FETCH},
	{"kernel-read", 0},
	{"kernel-write", WALK_ACC_WRITE},
	{"kernel-fetch", WALK_ACC_FETCH},
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: memvirt explain [WORKLOAD] [options] [GVA...]\n"
		"       memvirt explain --run DIR | --sample [--access KIND] [--json] [GVA...]\n\n"
		"Runs a small guest to the end of its workload, then shows how each guest\n"
		"virtual address (GVA) is translated, one address space under another:\n"
		"the GVA split into its page-table index fields, every level of the guest's\n"
		"page tables (table GPA, entry, flags), the guest physical address (GPA),\n"
		"the KVM memory slot and host virtual address (HVA), and the host physical\n"
		"page (HPA; visible to root only). An address that does not translate shows\n"
		"the fault it gives: the kind and the x86 error code.\n\n"
		"With no GVA it picks a code page, a data page, the 2M-mapped kernel alias\n"
		"of that data page, and an unmapped address.\n\n"
		"WORKLOAD is one of 'memvirt run --help' (default: stride over 64K of 4K\n"
		"pages, touched once). GVAs are hex (0x...) or decimal.\n\n"
		"With --run DIR it needs no KVM: it walks the page-table snapshot a run left\n"
		"(DIR/pagetables.bin), checks each GPA against the guest kernel's fault log\n"
		"and computes the HVA from the VMM's memory slot (DIR/events.mvev); the HPA\n"
		"exists only in a live run. With no GVA it picks the instruction of the first\n"
		"guest fault, the data region's start and a word 5 pages in, its 2M-mapped\n"
		"alias, the pages of the first guest faults, and the page after the data.\n"
		"--sample explains the run shipped with memvirt: docs/sample-run of the\n"
		"source tree, PREFIX/share/doc/memvirt/docs/sample-run once installed\n"
		"('memvirt --version' shows which).\n\n"
		"options:\n"
		"  --footprint SIZE   data region (default 64K)\n"
		"  --iters N          passes or accesses (default 1)\n"
		"  --page-size SIZE   guest page size of the data: 4k (default), 2m, 1g or\n"
		"                     mixed (2M pages for the first half, 4K after)\n"
		"  --mem SIZE         guest memory (default 64M)\n"
		"  --backing KIND     host memory: anon (default), thp, hugetlb-2m, hugetlb-1g,\n"
		"                     memfd\n"
		"  --seed N, --stride SIZE, --nproc N   as for 'memvirt run'\n"
		"  --access KIND      the access to check: user-read, user-write, user-fetch,\n"
		"                     kernel-read, kernel-write, kernel-fetch (default:\n"
		"                     user-read below the kernel half, kernel-read above)\n"
		"  --out DIR          where the run's record goes (default memvirt-out/explain,\n"
		"                     named on stderr)\n"
		"  --paging MODE      auto (default), shadow or tdp, as for 'memvirt run'\n"
		"  --reload-kvm       reload the KVM module in the --paging mode (root only)\n"
		"  --kernel FILE, --program FILE   guest images (default: the built ones)\n"
		"  --run DIR          explain a recorded run offline (no KVM): its snapshot\n"
		"                     DIR/pagetables.bin, DIR/events.mvev and DIR/run.json\n"
		"  --sample           --run on the sample run shipped with memvirt\n"
		"  --json             the chains as JSON instead of text\n"
		"  -h, --help         this text\n\n"
		"examples:\n"
		"  memvirt explain\n"
		"  memvirt explain 0x8000000000 0xffff888000800000\n"
		"  memvirt explain seq --footprint 4M --page-size 2m 0x8000200000\n"
		"  memvirt explain --access user-write 0x400000\n"
		"  memvirt explain --json > chains.json\n"
		"  memvirt explain --sample\n"
		"  memvirt explain --run runs/touch 0x8000003000\n\n"
		"exit status: 0 ok, 2 bad usage or bad run directory, 3 host problem (no KVM),\n"
		"4 guest failure\n");
}

__attribute__((noreturn)) static void bad(const char *opt, const char *val, const char *what)
{
	opt_bad("explain", opt, val, what);
}

enum {
	O_JSON = RO__COUNT,
	O_ACCESS,
	O_RUN,
	O_SAMPLE,
	O__COUNT,
};

static const struct option explain_options[] = {
	RUN_COMMON_LONG_OPTIONS,
	{"json", no_argument, 0, O_JSON},
	{"access", required_argument, 0, O_ACCESS},
	{"run", required_argument, 0, O_RUN},
	{"sample", no_argument, 0, O_SAMPLE},
	{"help", no_argument, 0, 'h'},
	{0, 0, 0, 0},
};

static int access_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(accesses); i++) {
		if (!strcmp(s, accesses[i].name))
			return (int)i;
	}
	return -1;
}

/* The workload's options over explain's small defaults. */
static void apply(struct run_config *c, struct explain *e, const char *const *v)
{

	run_apply_common("explain", c, v);
	e->access = -1;
	if (v[O_ACCESS]) {
		e->access = access_parse(v[O_ACCESS]);
		if (e->access < 0)
			bad("--access", v[O_ACCESS],
			    "expected user-read, user-write, user-fetch, kernel-read, "
			    "kernel-write or kernel-fetch");
	}
}

static bool out_defaulted; /* no --out: the run's record is named on stderr */

/* Defaults for WORKLOAD: small enough to boot in a blink. */
static void defaults(struct run_config *c, enum wl_kind kind)
{
	run_config_defaults(c, kind);
	if (c->vm.wl.footprint)
		c->vm.wl.footprint = 64ULL << 10;
	c->vm.wl.iters = 1;
	c->vm.mem_size = 64ULL << 20;
	snprintf(c->out_dir, sizeof(c->out_dir), "memvirt-out/explain");
}

/* The long name of option @id, for errors. */
static const char *option_name(int id)
{
	for (const struct option *o = explain_options; o->name; o++)
		if (o->val == id)
			return o->name;
	return "?";
}

/*
 * --run DIR, or --sample for the run shipped with memvirt: a recorded run
 * brings its own workload, so no workload or run option goes with it.
 */
static void parse_run(const char *const *v, bool workload, struct explain *e)
{
	if (v[O_RUN] && v[O_SAMPLE])
		die(EXIT_USAGE,
		    "--run and --sample go apart: --sample is --run on the sample run\n");
	for (int o = 0; o < RO__COUNT; o++)
		if (v[o])
			die(EXIT_USAGE,
			    "--%s does not go with --%s: the recorded run has its own workload and "
			    "options (memvirt explain --help)\n",
			    option_name(o), v[O_RUN] ? "run" : "sample");
	if (workload)
		die(EXIT_USAGE,
		    "a workload does not go with --%s: the recorded run has its own "
		    "(memvirt explain --help)\n",
		    v[O_RUN] ? "run" : "sample");
	if (v[O_RUN]) {
		e->run_dir = opt_path("explain", "--run", v[O_RUN]);
		return;
	}
	e->run_dir = sample_run_dir();
	if (!e->run_dir)
		die(EXIT_USAGE,
		    "no sample run directory beside this memvirt (%s): give a run directory "
		    "with --run DIR\n",
		    sample_run_looked());
}

static void parse(int argc, char **argv, struct run_config *c, struct explain *e, bool *json)
{
	const char *v[O__COUNT] = {0};
	int opt, kind = WL_STRIDE, i;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", explain_options, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (opt == ':')
			die(EXIT_USAGE, "option '%s' needs a value: run 'memvirt explain --help'\n",
			    argv[optind - 1]);
		if (opt < 0 || opt >= O__COUNT)
			die(EXIT_USAGE, "unknown option '%s': run 'memvirt explain --help'\n",
			    argv[optind - 1]);
		v[opt] = optarg ? optarg : "";
	}
	i = optind;
	/* GVAs start with a digit; anything else first is the workload's name. */
	if (i < argc && !(argv[i][0] >= '0' && argv[i][0] <= '9')) {
		kind = wl_from_name(argv[i]);
		if (kind < 0)
			die(EXIT_USAGE,
			    "unknown workload '%s': run 'memvirt explain --help' (GVAs are numbers "
			    "such as 0x8000000000)\n",
			    argv[i]);
		i++;
	}
	if (v[O_RUN] || v[O_SAMPLE])
		parse_run(v, i > optind, e);
	defaults(c, (enum wl_kind)kind);
	apply(c, e, v);
	out_defaulted = v[RO_OUT] == NULL;
	*json = v[O_JSON] != NULL;
	for (; i < argc; i++) {
		uint64_t gva;

		if (e->n == EXPLAIN_MAX)
			bad("GVA", argv[i], "at most 32 addresses");
		if (parse_u64(argv[i], &gva))
			bad("GVA", argv[i],
			    "expected a guest virtual address in hex or decimal, such as "
			    "0x8000000000");
		e->addr[e->n++] = (struct explain_addr){.gva = gva, .access = e->access};
	}
	e->defaults = e->n == 0;
}

unsigned explain_acc_of(const struct explain_addr *a)
{
	if (a->access >= 0)
		return accesses[a->access].acc;
	return a->gva < 0x0000800000000000ULL ? WALK_ACC_USER : 0;
}

const char *explain_acc_name(const struct explain_addr *a)
{
	unsigned acc = explain_acc_of(a);

	for (size_t i = 0; i < ARRAY_SIZE(accesses); i++) {
		if (accesses[i].acc == acc)
			return accesses[i].name;
	}
	return "?";
}

struct explain_addr *explain_add(struct explain *e, gva_t gva, const char *label, unsigned acc)
{
	struct explain_addr *a = &e->addr[e->n++];
	int idx = -1;

	for (size_t i = 0; i < ARRAY_SIZE(accesses); i++) {
		if (accesses[i].acc == acc)
			idx = (int)i;
	}
	*a = (struct explain_addr){
		.gva = gva, .label = label, .access = e->access >= 0 ? e->access : idx};
	return a;
}

/*
 * The instructive addresses, read from the stopped guest: the workload's
 * first instruction, a word in its data region, the same word through the
 * kernel's direct map (2M pages), and the page after the data region.
 */
static void pick_defaults(struct vm *vm, struct explain *e, const struct run_config *c)
{
	uint64_t fp = c->vm.wl.footprint;
	gva_t data = MV_MMAP_BASE + (fp > 0x6000 ? 0x5018 : 0x18);
	struct vm_chain ch;

	explain_add(e, vm__user_entry(vm), "code page: the workload's first instruction",
		    WALK_ACC_USER | WALK_ACC_FETCH);
	if (fp) {
		explain_add(e, data, "data page: a word of the workload's data",
			    WALK_ACC_USER | WALK_ACC_WRITE);
		if (vm__translate(vm, data, &ch) == 0 && ch.gva_mapped)
			explain_add(e, MV_DIRECT_BASE + ch.gpa,
				    "2M-mapped page: the same word through the direct map", 0);
	}
	explain_add(e, MV_MMAP_BASE + ((fp + X86_PAGE_MASK) & ~X86_PAGE_MASK),
		    fp ? "unmapped: the page after the data region" : "unmapped address",
		    WALK_ACC_USER);
}

static void inspect(struct vm *vm, void *ctx)
{
	struct explain *e = ctx;

	e->inspected = true;
	if (e->defaults)
		pick_defaults(vm, e, e->cfg);
	for (unsigned i = 0; i < e->n; i++)
		e->addr[i].ret = vm__translate_access(
			vm, e->addr[i].gva, explain_acc_of(&e->addr[i]), &e->addr[i].chain);
}

/* Text output: at most 80 columns. */

const char *explain_level_name(unsigned level)
{
	static const char *const names[] = {"", "PTE", "PDE", "PDPTE", "PML4E", "PML5E"};

	return level <= 5 ? names[level] : "?";
}

/*
 * The index fields the walk used: one per level down to the leaf, then the
 * offset into the page. A 2M (1G) leaf ends the walk at the PD (PDPT), so
 * the offset is the low 21 (30) bits and there is no PT (PD) index. An
 * address that does not translate shows every level of the 4K split.
 */
static void print_fields(const struct vm_chain *c)
{
	static const char *const tables[] = {"", "PT", "PD", "PDPT", "PML4", "PML5"};
	unsigned shift = X86_PAGE_SHIFT, leaf = 1;

	if (c->gva_mapped && c->guest_page_size > X86_PAGE_SIZE) {
		shift = (unsigned)__builtin_ctzll(c->guest_page_size);
		leaf = 1 + (shift - X86_PAGE_SHIFT) / PT_INDEX_BITS;
	}
	printf("       ");
	for (unsigned l = c->paging_levels; l >= leaf; l--)
		printf("%s %u | ", tables[l], pt_index(c->gva, l));
	if (leaf == 1)
		printf("offset 0x%03x\n", (unsigned)(c->gva & X86_PAGE_MASK));
	else
		printf("offset 0x%" PRIx64 " (%u bits)\n",
		       (uint64_t)(c->gva & ((UINT64_C(1) << shift) - 1)), shift);
}

static void print_error_code(const struct vm_chain *c)
{
	uint32_t ec = c->error_code;
	bool user = ec & PF_ERR_U, write = ec & PF_ERR_W, fetch = ec & PF_ERR_I;

	printf("       error code 0x%x (P=%u W=%u U=%u RSVD=%u I=%u):\n", ec, !!(ec & PF_ERR_P),
	       write, user, !!(ec & PF_ERR_RSVD), fetch);
	printf("       a %s-mode %s %s\n", user ? "user" : "supervisor",
	       fetch   ? "instruction fetch"
	       : write ? "write"
		       : "read",
	       !(ec & PF_ERR_P)	  ? "of a page that is not present"
	       : ec & PF_ERR_RSVD ? "through an entry with a reserved bit set"
				  : "that the page's rights forbid");
}

/* @offline: the tables are a snapshot's, where a missing table is not guest memory's end. */
static void print_fault(const struct vm_chain *c, bool offline)
{
	switch (c->fault_kind) {
	case WALK_FAULT_NONCANONICAL:
		printf("  GPA  none: #GP(0), the address is not canonical\n"
		       "       (bits 63:%u must all equal bit %u)\n",
		       c->paging_levels == 5 ? 57 : 48, c->paging_levels == 5 ? 56 : 47);
		return;
	case WALK_FAULT_MEMORY:
		if (offline)
			printf("  GPA  none: the entry at GPA 0x%" PRIx64 " is in no table\n"
			       "       the snapshot holds\n",
			       c->fault_addr);
		else
			printf("  GPA  none: the entry at GPA 0x%" PRIx64
			       " is outside guest memory\n",
			       c->fault_addr);
		return;
	default:
		printf("  GPA  none: #PF, %s %s\n",
		       c->fault_kind == WALK_FAULT_NOT_PRESENT ? "not present in the"
		       : c->fault_kind == WALK_FAULT_RESERVED  ? "reserved bit in the"
							       : "protection, decided at the",
		       explain_level_name(c->fault_level));
		print_error_code(c);
	}
}

static void print_kvm(const struct vm_chain *c)
{
	if (!c->kvm_checked) {
		printf("       KVM_TRANSLATE: not available\n");
		return;
	}
	if (c->kvm_valid && c->fault_kind == WALK_FAULT_NONCANONICAL)
		printf("       KVM_TRANSLATE (supervisor read): 0x%" PRIx64 ", %s\n"
		       "       (KVM does not check canonicality: it walks the sign-extended\n"
		       "       address)\n",
		       c->kvm_gpa, c->kvm_agrees ? "agrees" : "DISAGREES with the walk");
	else if (c->kvm_valid)
		printf("       KVM_TRANSLATE (supervisor read): 0x%" PRIx64 ", %s\n", c->kvm_gpa,
		       c->kvm_agrees ? "agrees" : "DISAGREES with the walk");
	else
		printf("       KVM_TRANSLATE (supervisor read): no translation, %s\n",
		       c->kvm_agrees ? "agrees" : "DISAGREES with the walk");
}

static void print_host(const struct vm_chain *c)
{
	char sz[32];

	printf("       memory slot %u: GPA 0x%" PRIx64 "-0x%" PRIx64 " at HVA 0x%" PRIx64 "\n",
	       c->slot, c->slot_gpa, c->slot_gpa + c->slot_size - 1, c->slot_hva);
	printf("  HVA  0x%016" PRIx64 "\n", c->hva);
	if (c->hpa_known)
		printf("  HPA  0x%016" PRIx64 " (%s host page)\n", c->hpa,
		       format_size(c->host_page_size, sz, sizeof(sz)));
	else
		printf("  HPA  not shown:\n       %s\n", c->host_note);
}

void explain_print_guest(const struct explain_addr *a, const char *from)
{
	const struct vm_chain *c = &a->chain;
	char flags[64], acc[32], *dash;

	snprintf(acc, sizeof(acc), "%s", explain_acc_name(a));
	dash = strchr(acc, '-');
	if (dash)
		*dash = ' ';
	printf("%s (%s)\n", a->label ? a->label : "requested address", acc);
	if (a->ret) {
		printf("  GVA  0x%016" PRIx64 ": cannot read the %s paging state: %s\n", a->gva,
		       from ? "snapshot's" : "vCPU's", strerror(-a->ret));
		return;
	}
	printf("  GVA  0x%016" PRIx64 "\n", c->gva);
	print_fields(c);
	if (c->nr_levels)
		printf("       guest page tables, %u-level, from CR3 0x%" PRIx64 "%s%s%s:\n",
		       c->paging_levels, c->cr3, from ? " (" : "", from ? from : "",
		       from ? ")" : "");
	else
		printf("       no page table is read (%u-level paging, CR3 0x%" PRIx64 ")\n",
		       c->paging_levels, c->cr3);
	for (int i = 0; i < c->nr_levels; i++) {
		const struct vm_chain_level *lv = &c->level[i];

		printf("       %-5s table 0x%" PRIx64 ", entry %u at 0x%" PRIx64 "\n",
		       explain_level_name(lv->level), lv->table_gpa,
		       (unsigned)((lv->entry_gpa - lv->table_gpa) / 8), lv->entry_gpa);
		printf("             = 0x%016" PRIx64 "  %s\n", lv->entry,
		       lv->flags ? vm_chain_flags_str(lv->flags, flags, sizeof(flags))
				 : "(not present)");
	}
	if (!c->gva_mapped)
		print_fault(c, from != NULL);
}

static void print_one(const struct explain_addr *a)
{
	const struct vm_chain *c = &a->chain;
	char sz[32];

	explain_print_guest(a, NULL);
	if (a->ret)
		return;
	if (!c->gva_mapped) {
		print_kvm(c);
		return;
	}
	printf("  GPA  0x%016" PRIx64 " in a %s guest page at 0x%" PRIx64 "\n", c->gpa,
	       format_size(c->guest_page_size, sz, sizeof(sz)), c->gpa & ~(c->guest_page_size - 1));
	print_kvm(c);
	if (c->slot_size)
		print_host(c);
	else
		printf("  HVA  none: %s\n", c->host_note);
}

static void print_text(const struct run_config *c, const struct explain *e,
		       const struct host_info *h)
{
	char fp[32], mem[32];

	if (c->vm.wl.footprint)
		printf("memvirt explain: %s, %s of %s pages, %s of guest memory;\n",
		       wl_name(c->vm.wl.kind), format_size(c->vm.wl.footprint, fp, sizeof(fp)),
		       wl_page_size_name(c->vm.wl.page_size),
		       format_size(c->vm.mem_size, mem, sizeof(mem)));
	else
		printf("memvirt explain: %s (no data region), %s of guest memory;\n",
		       wl_name(c->vm.wl.kind), format_size(c->vm.mem_size, mem, sizeof(mem)));
	printf("the guest's page tables as they were when it stopped\n");
	printf("%s\n", vm_translation_text(h));
	for (unsigned i = 0; i < e->n; i++) {
		printf("\n");
		print_one(&e->addr[i]);
	}
}

static void print_json(const struct run_config *c, const struct explain *e,
		       const struct host_info *h)
{
	static const char *const keys[] = {"", "pt", "pd", "pdpt", "pml4", "pml5"};
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_str(&j, "schema", "memvirt-explain/1");
	json_str(&j, "workload", wl_name(c->vm.wl.kind));
	json_u64(&j, "footprint_bytes", c->vm.wl.footprint);
	json_u64(&j, "page_size_bytes", c->vm.wl.page_size);
	json_u64(&j, "mem_bytes", c->vm.mem_size);
	json_str(&j, "host_paging", host_mmu_mode_name(h->mmu_mode));
	vm_translation_json(h, &j);
	json_arr_begin(&j, "addresses");
	for (unsigned i = 0; i < e->n; i++) {
		const struct explain_addr *a = &e->addr[i];
		unsigned levels = a->chain.paging_levels ? a->chain.paging_levels : 4;

		json_obj_begin(&j, NULL);
		json_str(&j, "label", a->label ? a->label : "requested address");
		json_str(&j, "access", explain_acc_name(a));
		json_obj_begin(&j, "fields");
		for (unsigned l = levels; l >= 1; l--)
			json_u64(&j, keys[l], pt_index(a->gva, l));
		json_u64(&j, "offset", a->gva & X86_PAGE_MASK);
		json_obj_end(&j);
		if (a->ret)
			json_str(&j, "error", strerror(-a->ret));
		else
			vm_chain_json(&a->chain, &j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

int cmd_explain(int argc, char **argv)
{
	static char kernel_default[512], program_default[512];
	static struct run_outcome o;
	static struct explain e;
	struct run_config c;
	char err[256];
	bool json;
	int status;

	parse(argc, argv, &c, &e, &json);
	if (e.run_dir)
		return explain_run(&e, json);
	snprintf(kernel_default, sizeof(kernel_default), "%s/kernel.elf", guest_dir());
	snprintf(program_default, sizeof(program_default), "%s/workload.elf", guest_dir());
	if (!c.vm.kernel_path)
		c.vm.kernel_path = kernel_default;
	if (!c.vm.program_path)
		c.vm.program_path = program_default;
	if (run_config_validate(&c, err, sizeof(err)))
		die(EXIT_USAGE, "%s\n", err);
	c.quiet = true;
	c.inspect = inspect;
	c.inspect_ctx = &e;
	e.cfg = &c;
	run_execute(&c, &o);
	/* Inspected: the VM ran, on the host the run probed (after any --reload-kvm). */
	if (e.inspected) {
		if (json)
			print_json(&c, &e, &o.host);
		else
			print_text(&c, &e, &o.host);
	}
	if (out_defaulted && o.recorded) {
		char path[600];

		snprintf(path, sizeof(path), "%s/run.json", c.out_dir);
		opt_out_defaulted("explain", "", path);
	}
	status = run_exit_status(o.fail);
	if (status)
		pr_err("%s\n", o.error);
	return status;
}
