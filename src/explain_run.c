// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt explain --run DIR: the four address spaces of a recorded run, offline, with no
 * KVM. GVA -> GPA is walked by mmu/'s walker over the page tables the run left in
 * DIR/pagetables.bin; each GPA is held against the guest kernel's own fault log and the HVA
 * computed from the VMM's memory slot, both in DIR/events.mvev; the host KVM's MMU mode
 * comes from DIR/run.json. The HPA lived only in the recording process.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "mmu/ptsnap.h"
#include "src/cmds.h"
#include "src/explain.h"
#include "trace/evfile.h"

#define RUN_FAULTS_KEPT	   64	      /* the first guest faults, kept to pick default addresses */
#define RUN_FAULT_DEFAULTS 3	      /* faulting pages explained by default */
#define RUN_JSON_MAX	   (4u << 20) /* run.json is read up to this size */

/* A guest_fault record: the guest kernel's log of one #PF it handled. */
struct run_fault {
	gva_t cr2;
	uint64_t rip, gpa, cr3, offset;
	uint32_t error_code, page_shift;
};

/*
 * What explain takes from the event file, in two passes of bounded memory whatever its
 * size: the first keeps the memory slot, the lab note and the first faults (to pick
 * addresses), the second matches every fault against the addresses picked.
 */
struct run_events {
	bool present; /* DIR/events.mvev exists */
	bool slot_known;
	unsigned slot;
	uint64_t slot_gpa, slot_size, slot_hva;
	struct run_fault fault[RUN_FAULTS_KEPT];
	size_t nkept;
	uint64_t nfaults; /* guest_fault records in the file */
	char lab[124];	  /* the "lab: ..." note */
};

struct run_input {
	const char *dir;
	char snap_path[600], ev_path[600], json_path[600];
	struct ptsnap_header h;
	struct ptsnap_region map[PTSNAP_MAX_MAP];
	struct ptsnap_tables *tables;
	uint64_t mem_end;
	struct walk_cpu cpu;
	struct run_events ev;
	struct host_info host; /* only mmu_mode: run.json's paging_mode */
};

static int run_paths(struct run_input *in, char *err, size_t errlen)
{
	if (snprintf(in->snap_path, sizeof(in->snap_path), "%s/%s", in->dir, PTSNAP_FILE) >=
		    (int)sizeof(in->snap_path) ||
	    snprintf(in->ev_path, sizeof(in->ev_path), "%s/events.mvev", in->dir) >=
		    (int)sizeof(in->ev_path) ||
	    snprintf(in->json_path, sizeof(in->json_path), "%s/run.json", in->dir) >=
		    (int)sizeof(in->json_path)) {
		snprintf(err, errlen, "--run %s: path too long", in->dir);
		return -EINVAL;
	}
	return 0;
}

/*
 * The snapshot, and the walker's view of the guest CPU. The memvirt guest runs with
 * CR0.WP and EFER.NXE set and without SMEP or SMAP, fixed by the VMM before its first
 * instruction (vmm/kvm.c); the snapshot records the rest: CR3, levels, MAXPHYADDR.
 */
static int run_load_tables(struct run_input *in, char *err, size_t errlen)
{
	in->tables = ptsnap_tables__load(in->snap_path, &in->h, in->map, err, errlen);
	if (!in->tables) {
		if (errno == ENOENT)
			snprintf(err, errlen,
				 "--run %s: no %s: not a run directory, or a run older than "
				 "page-table snapshots: repeat it with 'memvirt run'",
				 in->dir, PTSNAP_FILE);
		return -EINVAL;
	}
	for (unsigned i = 0; i < in->h.nregions; i++)
		if (in->map[i].gpa + in->map[i].size > in->mem_end)
			in->mem_end = in->map[i].gpa + in->map[i].size;
	in->cpu = (struct walk_cpu){
		.root = in->h.cr3 & PTE_ADDR_MASK & ((1ULL << in->h.maxphyaddr) - 1),
		.levels = in->h.levels,
		.maxphyaddr = in->h.maxphyaddr,
		.wp = true,
		.nxe = true,
	};
	return 0;
}

/* Field indices of the two record types read, found by name in the file's schema. */
struct run_fields {
	const struct ev_rtype *fault, *slot;
	int cr2, rip, gpa, cr3, ec, shift;
	int sgpa, ssize, shva, sslot;
};

static void run_fields_find(struct ev_reader *r, struct run_fields *f)
{
	if (!f->fault && (f->fault = ev_reader_type(r, "guest_fault"))) {
		f->cr2 = ev_field_index(f->fault, "cr2");
		f->rip = ev_field_index(f->fault, "rip");
		f->gpa = ev_field_index(f->fault, "gpa");
		f->cr3 = ev_field_index(f->fault, "cr3");
		f->ec = ev_field_index(f->fault, "error_code");
		f->shift = ev_field_index(f->fault, "page_shift");
	}
	if (!f->slot && (f->slot = ev_reader_type(r, "vmm_memslot"))) {
		f->sgpa = ev_field_index(f->slot, "gpa");
		f->ssize = ev_field_index(f->slot, "size");
		f->shva = ev_field_index(f->slot, "hva");
		f->sslot = ev_field_index(f->slot, "slot");
	}
}

/* A guest_fault record's fields; false when the file's schema lacks one explain needs. */
static bool run_fault_of(const struct run_fields *f, const struct ev_record *rec,
			 struct run_fault *x)
{
	if (f->cr2 < 0 || f->gpa < 0 || f->cr3 < 0 || f->shift < 0)
		return false;
	*x = (struct run_fault){
		.cr2 = ev_field_u64(rec, f->cr2, 0),
		.rip = f->rip >= 0 ? ev_field_u64(rec, f->rip, 0) : 0,
		.gpa = ev_field_u64(rec, f->gpa, 0),
		.cr3 = ev_field_u64(rec, f->cr3, 0),
		.offset = rec->offset,
		.error_code = f->ec >= 0 ? (uint32_t)ev_field_u64(rec, f->ec, 0) : 0,
		.page_shift = (uint32_t)ev_field_u64(rec, f->shift, 0),
	};
	return true;
}

/* The first memory slot (the VMM writes one per slot at start; guest RAM is slot 0). */
static void run_slot_take(struct run_events *ev, const struct run_fields *f,
			  const struct ev_record *rec)
{
	if (ev->slot_known || f->sgpa < 0 || f->ssize < 0 || f->shva < 0)
		return;
	ev->slot_known = true;
	ev->slot_gpa = ev_field_u64(rec, f->sgpa, 0);
	ev->slot_size = ev_field_u64(rec, f->ssize, 0);
	ev->slot_hva = ev_field_u64(rec, f->shva, 0);
	ev->slot = f->sslot >= 0 ? (unsigned)ev_field_u64(rec, f->sslot, 0) : 0;
}

static void run_note_take(struct run_events *ev, const struct ev_record *rec)
{
	size_t n;

	if (rec->body_len <= 5 || memcmp(rec->body, "lab: ", 5) || ev->lab[0])
		return;
	n = strnlen((const char *)rec->body + 5, rec->body_len - 5);
	if (n >= sizeof(ev->lab))
		n = sizeof(ev->lab) - 1;
	memcpy(ev->lab, rec->body + 5, n);
	ev->lab[n] = '\0';
}

/*
 * One pass over the event file: the memory slot and the lab note into @in->ev, each guest
 * fault to @on_fault. The file is optional (--no-events); a bad one is a bad input, as the
 * snapshot is.
 */
static int run_scan_events(struct run_input *in,
			   void (*on_fault)(struct run_input *in, const struct run_fault *x,
					    void *ctx),
			   void *ctx, char *err, size_t errlen)
{
	struct run_fields f = {0};
	struct ev_reader *r = NULL;
	struct run_fault x;
	struct ev_record rec;
	int ret = ev_reader_open(&r, in->ev_path);

	if (ret == -ENOENT)
		return 0;
	if (ret) {
		snprintf(err, errlen, "%s: %s", in->ev_path,
			 r ? ev_reader_error(r) : strerror(-ret));
		ev_reader_close(r);
		return -EINVAL;
	}
	in->ev.present = true;
	while ((ret = ev_read(r, &rec)) == 1) {
		run_fields_find(r, &f);
		if (rec.type->id == EV_NOTE)
			run_note_take(&in->ev, &rec);
		else if (f.fault && rec.type == f.fault && run_fault_of(&f, &rec, &x))
			on_fault(in, &x, ctx);
		else if (f.slot && rec.type == f.slot)
			run_slot_take(&in->ev, &f, &rec);
	}
	if (ret < 0)
		snprintf(err, errlen, "%s: %s (the run's events are needed whole: repeat the run)",
			 in->ev_path, ev_reader_error(r));
	ev_reader_close(r);
	return ret < 0 ? -EINVAL : 0;
}

/* The first pass: count the faults, keep the first ones. */
static void keep_fault(struct run_input *in, const struct run_fault *x, void *ctx)
{
	(void)ctx;
	in->ev.nfaults++;
	if (in->ev.nkept < RUN_FAULTS_KEPT)
		in->ev.fault[in->ev.nkept++] = *x;
}

/*
 * run.json's "paging_mode", the one value explain needs from it: the first occurrence of
 * the key (run.json has it once, at the top level), a name of enum host_mmu_mode. Anything
 * else, a missing or unreadable file included, leaves the mode unknown.
 */
static void run_load_mode(struct run_input *in)
{
	static const char key[] = "\"paging_mode\"";
	FILE *f = fopen(in->json_path, "r");
	char *buf = malloc(RUN_JSON_MAX + 1), *p = NULL, name[16];
	size_t n, k = 0;

	in->host.mmu_mode = HOST_MMU_UNKNOWN;
	if (f && buf) {
		n = fread(buf, 1, RUN_JSON_MAX, f);
		buf[n] = '\0';
		p = strstr(buf, key);
	}
	if (p) {
		p += strlen(key);
		p += strspn(p, " \t\r\n");
		if (*p == ':')
			p += 1 + strspn(p + 1, " \t\r\n");
		/* A lower-case name in quotes, shorter than @name. */
		if (*p++ == '"') {
			while (k + 1 < sizeof(name) && p[k] >= 'a' && p[k] <= 'z')
				k++;
			memcpy(name, p, k);
		}
		if (p[k] != '"')
			k = 0;
	}
	name[k] = '\0';
	for (int m = HOST_MMU_UNKNOWN; k && m <= HOST_MMU_NPT; m++)
		if (!strcmp(name, host_mmu_mode_name((enum host_mmu_mode)m)))
			in->host.mmu_mode = (enum host_mmu_mode)m;
	free(buf);
	if (f)
		fclose(f);
}

/* WALK_ACC_* of the access a guest fault's error code describes. */
static unsigned acc_of_error_code(uint32_t ec)
{
	return (ec & PF_ERR_W ? WALK_ACC_WRITE : 0) | (ec & PF_ERR_U ? WALK_ACC_USER : 0) |
	       (ec & PF_ERR_I ? WALK_ACC_FETCH : 0);
}

static bool valid_shift(uint32_t s)
{
	return s == X86_PAGE_SHIFT || s == 21 || s == 30;
}

static bool listed(const struct explain *e, gva_t page)
{
	for (unsigned i = 0; i < e->n; i++)
		if ((e->addr[i].gva & ~(gva_t)X86_PAGE_MASK) == page)
			return true;
	return false;
}

static void add_made(struct explain *e, gva_t gva, unsigned acc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add_made(struct explain *e, gva_t gva, unsigned acc, const char *fmt, ...)
{
	struct explain_addr *a;
	va_list ap;

	if (e->n == EXPLAIN_MAX)
		return;
	a = explain_add(e, gva, NULL, acc);
	va_start(ap, fmt);
	vsnprintf(a->label_buf, sizeof(a->label_buf), fmt, ap);
	va_end(ap);
	a->label = a->label_buf;
}

/* The first guest faults on pages not listed yet, with the access each fault was. */
static void pick_faults(struct explain *e, const struct run_events *ev)
{
	unsigned picked = 0;

	for (size_t i = 0; i < ev->nkept && picked < RUN_FAULT_DEFAULTS; i++) {
		const struct run_fault *f = &ev->fault[i];

		if (listed(e, f->cr2 & ~(gva_t)X86_PAGE_MASK))
			continue;
		add_made(e, f->cr2, acc_of_error_code(f->error_code),
			 "guest fault %zu of %" PRIu64 ": the address it logged, CR2", i + 1,
			 ev->nfaults);
		picked++;
	}
}

/*
 * The instructive addresses of a recorded run: the instruction of its first guest fault,
 * the data region's start and a word 5 pages in, that word through the kernel's direct
 * map (2M pages), the first faulting pages not shown yet, and the page after the data.
 */
static void pick_defaults(struct explain *e, const struct run_input *in)
{
	uint64_t fp = in->h.wl_footprint;
	gva_t data = in->h.data_gva, word = data + (fp > 0x6000 ? 0x5018 : 0x18);
	struct vm_chain ch = {0};

	if (in->ev.nkept)
		add_made(e, in->ev.fault[0].rip, WALK_ACC_USER | WALK_ACC_FETCH,
			 "code page: the instruction of the first guest fault");
	if (fp) {
		add_made(e, data, WALK_ACC_USER | WALK_ACC_WRITE,
			 "data page: the start of the workload's data");
		add_made(e, word, WALK_ACC_USER | WALK_ACC_WRITE,
			 "data page: a word of the workload's data");
		if (!vm_chain_walk(ptsnap_tables__mem(in->tables), &in->cpu, word, 0, &ch) &&
		    ch.gva_mapped && ch.gpa < MV_DIRECT_BASE)
			add_made(e, MV_DIRECT_BASE + ch.gpa, 0,
				 "2M-mapped page: the same word through the direct map");
	}
	pick_faults(e, &in->ev);
	add_made(e, data + ((fp + X86_PAGE_MASK) & ~(uint64_t)X86_PAGE_MASK), WALK_ACC_USER,
		 fp ? "unmapped: the page after the data region" : "unmapped address");
}

/*
 * The second pass: a fault the guest kernel logged on an address's page under the
 * snapshot's CR3; the latest one wins, as the tables hold the latest mapping.
 */
static void match_fault(struct run_input *in, const struct run_fault *x, void *ctx)
{
	struct explain *e = ctx;

	if (!valid_shift(x->page_shift) ||
	    (x->cr3 & PTE_ADDR_MASK) != (in->h.cr3 & PTE_ADDR_MASK) || x->gpa == ~0ULL)
		return;
	for (unsigned i = 0; i < e->n; i++) {
		struct explain_addr *a = &e->addr[i];

		if ((x->cr2 >> x->page_shift) != (a->gva >> x->page_shift))
			continue;
		a->logged = true;
		a->log_gpa = x->gpa;
		a->log_offset = x->offset;
		a->log_shift = x->page_shift;
	}
}

static void walk_all(struct explain *e, const struct run_input *in)
{
	for (unsigned i = 0; i < e->n; i++) {
		struct explain_addr *a = &e->addr[i];

		a->chain = (struct vm_chain){.gva = a->gva, .cr3 = in->h.cr3};
		a->chain.access = explain_acc_of(a);
		a->ret = vm_chain_walk(ptsnap_tables__mem(in->tables), &in->cpu, a->gva,
				       a->chain.access, &a->chain);
	}
}

static bool log_agrees(const struct explain_addr *a)
{
	return a->chain.gva_mapped &&
	       (a->chain.gpa >> a->log_shift) == (a->log_gpa >> a->log_shift);
}

static bool hva_of(const struct run_input *in, gpa_t gpa, hva_t *hva)
{
	if (!in->ev.slot_known || gpa < in->ev.slot_gpa ||
	    gpa - in->ev.slot_gpa >= in->ev.slot_size)
		return false;
	*hva = in->ev.slot_hva + (gpa - in->ev.slot_gpa);
	return true;
}

/* Text: the lines below the guest's levels. At most 80 columns. */

static void print_log(const struct explain_addr *a)
{
	if (!a->logged)
		return;
	printf("       guest fault log: GPA 0x%" PRIx64 " mapped for this page (events.mvev\n"
	       "       offset %" PRIu64 "), %s\n",
	       a->log_gpa, a->log_offset,
	       !a->chain.gva_mapped ? "since unmapped"
	       : log_agrees(a)	    ? "agrees with the walk"
				    : "DIFFERS from the walk (remapped since?)");
}

static void print_host_offline(const struct run_input *in, const struct explain_addr *a)
{
	const struct vm_chain *c = &a->chain;
	hva_t hva;

	if (hva_of(in, c->gpa, &hva)) {
		printf("       memory slot %u: GPA 0x%" PRIx64 "-0x%" PRIx64 " at HVA 0x%" PRIx64
		       "\n",
		       in->ev.slot, in->ev.slot_gpa, in->ev.slot_gpa + in->ev.slot_size - 1,
		       in->ev.slot_hva);
		printf("  HVA  0x%016" PRIx64 " (from events.mvev's vmm_memslot)\n", hva);
	} else if (!in->ev.present) {
		printf("  HVA  not recorded: the run wrote no events.mvev (its memory slot)\n");
	} else {
		printf("  HVA  not recorded: events.mvev has no memory slot holding this GPA\n");
	}
	printf("  HPA  live run only (the recording process's /proc/PID/pagemap)\n");
	/* A traced run kept the host frame KVM got for each fault: the join shows it. */
	if (a->logged)
		printf("       the frame KVM got at the fault: 'memvirt trace dump events.mvev "
		       "--join'\n");
}

static void print_one_offline(const struct explain_addr *a, const struct run_input *in)
{
	const struct vm_chain *c = &a->chain;
	char sz[32];

	explain_print_guest(a, PTSNAP_FILE);
	if (a->ret)
		return;
	if (!c->gva_mapped) {
		print_log(a);
		return;
	}
	printf("  GPA  0x%016" PRIx64 " in a %s guest page at 0x%" PRIx64 "\n", c->gpa,
	       format_size(c->guest_page_size, sz, sizeof(sz)), c->gpa & ~(c->guest_page_size - 1));
	print_log(a);
	print_host_offline(in, a);
}

/* @head then @text, broken at spaces into lines of at most 80 columns. */
static void print_wrapped(const char *head, const char *text)
{
	size_t col = strlen(head), n;
	bool space = false; /* a word is on the line already */

	fputs(head, stdout);
	for (text += strspn(text, " "); *text; text += strspn(text, " ")) {
		n = strcspn(text, " ");
		if (space && col + 1 + n > 80) {
			putchar('\n');
			col = 0;
			space = false;
		}
		printf("%s%.*s", space ? " " : "", (int)n, text);
		col += n + space;
		space = true;
		text += n;
	}
	putchar('\n');
}

static void print_text(const struct explain *e, const struct run_input *in)
{
	const struct ptsnap_header *h = &in->h;
	char fp[32], mem[32];

	printf("memvirt explain --run %s:\n", in->dir);
	if (h->wl_kind < WL__COUNT && h->wl_footprint)
		printf("%s, %s of %s pages, %s of guest memory; no KVM needed:\n",
		       wl_name((enum wl_kind)h->wl_kind),
		       format_size(h->wl_footprint, fp, sizeof(fp)),
		       wl_page_size_name(h->wl_page_size),
		       format_size(in->mem_end, mem, sizeof(mem)));
	else
		printf("%s, %s of guest memory; no KVM needed:\n",
		       h->wl_kind < WL__COUNT ? wl_name((enum wl_kind)h->wl_kind) : "workload ?",
		       format_size(in->mem_end, mem, sizeof(mem)));
	printf("the guest's page tables as they were when it stopped (%s);\n"
	       "HPAs need the live process: 'memvirt explain' on KVM or in the lab\n",
	       PTSNAP_FILE);
	if (in->ev.lab[0])
		print_wrapped("recorded in the lab: ", in->ev.lab);
	if (in->host.mmu_mode != HOST_MMU_UNKNOWN)
		printf("%s\n", vm_translation_text(&in->host));
	else
		printf("host KVM: MMU mode not recorded (no run.json, or no paging_mode in it)\n");
	for (unsigned i = 0; i < e->n; i++) {
		printf("\n");
		print_one_offline(&e->addr[i], in);
	}
}

static void json_address(struct json *j, const struct explain_addr *a, const struct run_input *in)
{
	static const char *const keys[] = {"", "pt", "pd", "pdpt", "pml4", "pml5"};
	hva_t hva;

	json_obj_begin(j, NULL);
	json_str(j, "label", a->label ? a->label : "requested address");
	json_str(j, "access", explain_acc_name(a));
	json_obj_begin(j, "fields");
	for (unsigned l = in->h.levels; l >= 1; l--)
		json_u64(j, keys[l], pt_index(a->gva, l));
	json_u64(j, "offset", a->gva & X86_PAGE_MASK);
	json_obj_end(j);
	if (a->ret) {
		json_str(j, "error", strerror(-a->ret));
		json_obj_end(j);
		return;
	}
	vm_chain_guest_json(&a->chain, j);
	if (a->chain.gva_mapped) {
		json_hex(j, "gpa", a->chain.gpa);
		json_u64(j, "guest_page_size_bytes", a->chain.guest_page_size);
	}
	if (a->logged) {
		json_obj_begin(j, "guest_fault");
		json_u64(j, "offset", a->log_offset);
		json_hex(j, "gpa", a->log_gpa);
		json_bool(j, "agrees", log_agrees(a));
		json_obj_end(j);
	} else {
		json_null(j, "guest_fault");
	}
	if (a->chain.gva_mapped && hva_of(in, a->chain.gpa, &hva))
		json_hex(j, "hva", hva);
	else
		json_null(j, "hva");
	json_null(j, "hpa");
	json_str(j, "hpa_note", "live run only");
	json_obj_end(j);
}

static void print_json(const struct explain *e, const struct run_input *in)
{
	const struct ptsnap_header *h = &in->h;
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_str(&j, "schema", "memvirt-explain-run/1");
	memvirt_provenance_json(&j);
	json_str(&j, "run_dir", in->dir);
	json_str(&j, "workload", h->wl_kind < WL__COUNT ? wl_name((enum wl_kind)h->wl_kind) : "?");
	json_u64(&j, "footprint_bytes", h->wl_footprint);
	json_u64(&j, "page_size_bytes", h->wl_page_size);
	json_u64(&j, "mem_bytes", in->mem_end);
	json_hex(&j, "data_gva", h->data_gva);
	json_u64(&j, "snapshot_table_pages", ptsnap_tables__pages(in->tables));
	json_str(&j, "host_paging", host_mmu_mode_name(in->host.mmu_mode));
	vm_translation_json(&in->host, &j);
	if (in->ev.lab[0])
		json_str(&j, "lab", in->ev.lab);
	else
		json_null(&j, "lab");
	if (in->ev.slot_known) {
		json_obj_begin(&j, "memslot");
		json_u64(&j, "slot", in->ev.slot);
		json_hex(&j, "gpa", in->ev.slot_gpa);
		json_u64(&j, "size", in->ev.slot_size);
		json_hex(&j, "hva", in->ev.slot_hva);
		json_obj_end(&j);
	} else {
		json_null(&j, "memslot");
	}
	json_u64(&j, "guest_faults", in->ev.nfaults);
	json_arr_begin(&j, "addresses");
	for (unsigned i = 0; i < e->n; i++)
		json_address(&j, &e->addr[i], in);
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

int explain_run(struct explain *e, bool json)
{
	static struct run_input in;
	char err[768];
	int status = EXIT_USAGE;

	in.dir = e->run_dir;
	if (run_paths(&in, err, sizeof(err)) || run_load_tables(&in, err, sizeof(err)) ||
	    run_scan_events(&in, keep_fault, NULL, err, sizeof(err)))
		goto out;
	run_load_mode(&in);
	if (e->defaults)
		pick_defaults(e, &in);
	walk_all(e, &in);
	if (in.ev.present && run_scan_events(&in, match_fault, e, err, sizeof(err)))
		goto out;
	if (json)
		print_json(e, &in);
	else
		print_text(e, &in);
	status = 0;
out:
	if (status)
		pr_err("%s\n", err);
	ptsnap_tables__free(in.tables);
	return status;
}
