// SPDX-License-Identifier: GPL-2.0
/*
 * The guest event channel on real guests, read back from the event file:
 * N first-touched pages give exactly N guest_fault events on exactly the
 * footprint's pages; churn's map/unmap/flush events follow its syscalls and
 * Linux's flush ceiling; pingpong's processes appear with distinct CR3s;
 * --chains agree with the fault events and with KVM_TRANSLATE. A guest
 * that scribbles its ring is tests/guest/test_guest_evring.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mode.h"
#include "test.h"
#include "trace/evfile.h"
#include "vmm/vmm.h"

#define MAXEV 70000

static char kernel[512], program[512], evpath[256];

struct evlog {
	struct ev_guest_fault fault[MAXEV];
	uint64_t nfault;
	struct ev_guest_map map[256], unmap[256], protect[256];
	unsigned nmap, nunmap, nprotect;
	struct ev_guest_as create[32], sw[8192];
	unsigned ncreate, nsw;
	struct ev_guest_tlb_flush flush[4096];
	unsigned nflush;
	struct ev_vmm_chain chain[MAXEV];
	uint64_t nchain;
	unsigned nclock, nmemslot;
	struct ev_clock_body clock[2]; /* the first and the last */
	uint64_t first_tsc;
	uint64_t dropped;
	uint64_t last_tsc;
	bool tsc_ordered;
};

static struct evlog lg;
static struct vm_result res;

static void skip_without_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		SKIP("/dev/kvm not usable here (%s)\n", strerror(errno));
	close(fd);
}

static void load(const char *path)
{
	struct ev_reader *r;
	struct ev_record rec;
	int ret;

	memset(&lg, 0, sizeof(lg));
	lg.tsc_ordered = true;
	CHECK(ev_reader_open(&r, path) == 0);
	while ((ret = ev_read(r, &rec)) == 1) {
		unsigned id = rec.type ? rec.type->id : 0;

		if (rec.source == EV_SRC_GUEST) {
			if (!lg.first_tsc)
				lg.first_tsc = rec.ts;
			if (rec.ts < lg.last_tsc)
				lg.tsc_ordered = false;
			lg.last_tsc = rec.ts;
		}
		switch (id) {
		case EV_GUEST_FAULT:
			TEST_TAKE(lg.fault, lg.nfault, &rec);
			break;
		case EV_GUEST_MAP:
			TEST_TAKE(lg.map, lg.nmap, &rec);
			break;
		case EV_GUEST_UNMAP:
			TEST_TAKE(lg.unmap, lg.nunmap, &rec);
			break;
		case EV_GUEST_PROTECT:
			TEST_TAKE(lg.protect, lg.nprotect, &rec);
			break;
		case EV_GUEST_AS_CREATE:
			TEST_TAKE(lg.create, lg.ncreate, &rec);
			break;
		case EV_GUEST_AS_SWITCH:
			TEST_TAKE(lg.sw, lg.nsw, &rec);
			break;
		case EV_GUEST_TLB_FLUSH:
			TEST_TAKE(lg.flush, lg.nflush, &rec);
			break;
		case EV_VMM_CHAIN:
			TEST_TAKE(lg.chain, lg.nchain, &rec);
			break;
		case EV_VMM_MEMSLOT:
			lg.nmemslot++;
			break;
		case EV_CLOCK:
			if (rec.body_len == sizeof(lg.clock[0]))
				memcpy(&lg.clock[lg.nclock ? 1 : 0], rec.body, sizeof(lg.clock[0]));
			lg.nclock++;
			break;
		default:
			break;
		}
	}
	CHECK_EQ_U64(ret, 0); /* a complete file */
	lg.dropped = ev_reader_dropped(r, EV_SRC_GUEST);
	ev_reader_close(r);
}

/* Run with the channel on and the events in evpath; @keep: the VM stays for KVM_TRANSLATE. */
static struct vm *run(const struct wl_params *p, uint64_t ring, bool chains, bool keep)
{
	struct vm_config c = {0};
	struct ev_writer *w = NULL;
	char err[256] = "";
	struct vm *vm;

	c.mem_size = 256ULL << 20;
	c.wl = *p;
	c.timeout_s = 120;
	c.kernel_path = kernel;
	c.program_path = program;
	c.ev_ring_bytes = ring;
	c.ev_chains = chains;
	CHECK(ev_writer_open(&w, evpath, 0, (uint32_t)getpid(), false) == 0);
	c.events = w;
	vm = vm__create(&c, NULL, err, sizeof(err));
	if (!vm) {
		fprintf(stderr, "vm__create: %s\n", err);
		CHECK(vm != NULL);
		ev_writer_abort(w);
		return NULL;
	}
	CHECK(vm__run(vm, &res) == 0);
	if (res.end != VM_END_EXIT)
		fprintf(stderr, "%s: %s\n%s", wl_name(p->kind), res.reason, res.crash_dump);
	CHECK(res.end == VM_END_EXIT);
	CHECK_EQ_U64(res.exit_status, 0);
	CHECK(ev_writer_close(w, true) == 0);
	load(evpath);
	CHECK(res.ev.enabled);
	CHECK_EQ_U64(res.ev.write_errors, 0);
	CHECK_EQ_U64(lg.nmemslot, 1);
	/*
	 * The clock pairs bracket the run: every guest timestamp lies between
	 * the guest TSC read before the first KVM_RUN and after the last, and
	 * the guest TSC advanced at the vCPU's rate against CLOCK_MONOTONIC
	 * (within 1% over the run). On an emulated CPU (QEMU TCG, the lab) the
	 * host's TSC and clock advance with the emulator's progress, not at a
	 * fixed rate: there only within 50%.
	 */
	CHECK(lg.nclock >= 2);
	if (lg.nclock >= 2) {
		double dt = (double)(lg.clock[1].mono_ns - lg.clock[0].mono_ns) / 1e9;
		double dtsc = (double)(lg.clock[1].guest_tsc - lg.clock[0].guest_tsc);

		CHECK(lg.first_tsc >= lg.clock[0].guest_tsc);
		CHECK(lg.last_tsc <= lg.clock[1].guest_tsc);
		CHECK(lg.clock[0].tsc_hz > 0);
		if (lg.clock[0].tsc_hz && dt > 0.05) {
			double rate = dtsc / dt / (double)lg.clock[0].tsc_hz;
			double tol = host_cpu_emulated() ? 0.5 : 0.01;

			if (rate < 1 - tol || rate > 1 + tol)
				fprintf(stderr, "guest TSC rate %.4f of the nominal\n", rate);
			CHECK(rate > 1 - tol && rate < 1 + tol);
		}
	}
	if (!keep) {
		vm__destroy(vm);
		return NULL;
	}
	return vm;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * N first-touched pages give N guest faults (the image and stack are mapped
 * before the guest starts), whose CR2 pages are exactly the footprint's
 * pages, each once; with --chains each fault's chain names the same frame,
 * and so does KVM_TRANSLATE after the run.
 */
static void check_first_touch(uint64_t page_size, uint64_t footprint, bool chains)
{
	static uint64_t pages[MAXEV];
	struct wl_params p;
	uint64_t n = footprint / page_size;
	unsigned shift = page_size == X86_PAGE_SIZE ? X86_PAGE_SHIFT : pt_level_shift(2);
	struct vm *vm;

	wl_defaults(&p, WL_STRIDE);
	p.footprint = footprint;
	p.iters = 1;
	p.stride = 4096;
	p.page_size = page_size;
	vm = run(&p, 1 << 20, chains, true);
	if (!vm)
		return;
	CHECK_EQ_U64(lg.nfault, n);
	CHECK_EQ_U64(res.ev.records[MV_EV_FAULT], n);
	CHECK_EQ_U64(res.ev.malformed, 0);
	CHECK_EQ_U64(res.ev.guest_full, 0);
	CHECK_EQ_U64(res.ev.resyncs, 0);
	CHECK_EQ_U64(lg.dropped, 0);
	CHECK(lg.tsc_ordered);
	for (uint64_t i = 0; i < n && i < MAXEV; i++) {
		const struct ev_guest_fault *f = &lg.fault[i];

		pages[i] = f->cr2 & ~(page_size - 1);
		CHECK_EQ_U64(f->page_shift, shift);
		CHECK_EQ_U64(f->gpa & (page_size - 1), 0);
		CHECK_EQ_U64(f->error_code & 5, 4); /* user, not-present */
		CHECK_EQ_U64(f->cr3, lg.create[0].cr3);
	}
	qsort(pages, n, sizeof(pages[0]), cmp_u64);
	for (uint64_t i = 0; i < n; i++)
		CHECK_EQ_U64(pages[i], MV_MMAP_BASE + i * page_size);
	/* The mmap of the footprint, and the first process. */
	CHECK_EQ_U64(lg.nmap, 1);
	CHECK_EQ_U64(lg.map[0].va, MV_MMAP_BASE);
	CHECK_EQ_U64(lg.map[0].len, footprint);
	CHECK_EQ_U64(lg.map[0].prot, MV_PROT_READ | MV_PROT_WRITE);
	CHECK_EQ_U64(lg.map[0].page_shift, shift);
	CHECK_EQ_U64(lg.ncreate, 1);
	CHECK_EQ_U64(lg.create[0].pid, 0);
	CHECK_EQ_U64(lg.nsw + lg.nflush + lg.nunmap + lg.nprotect, 0);
	CHECK_EQ_U64(lg.nchain, chains ? n : 0);
	CHECK_EQ_U64(res.ev.chains, chains ? n : 0);
	for (uint64_t i = 0; i < n && i < MAXEV; i++) {
		const struct ev_guest_fault *f = &lg.fault[i];
		struct vm_chain ch;

		CHECK(vm__translate(vm, f->cr2, &ch) == 0);
		CHECK(ch.kvm_checked && ch.kvm_valid);
		CHECK_EQ_U64(ch.kvm_gpa & ~(page_size - 1), f->gpa);
		if (!chains)
			continue;
		const struct ev_vmm_chain *c = &lg.chain[i];

		CHECK_EQ_U64(c->gva, f->cr2);
		CHECK_EQ_U64(c->gpa & ~(page_size - 1), f->gpa);
		CHECK_EQ_U64(c->gpa, ch.kvm_gpa);
		CHECK_EQ_U64(c->guest_shift, shift);
		CHECK_EQ_U64(c->levels, shift == 12 ? 4 : 3);
		CHECK(c->hva != 0);
		if (c->flags & EV_CHAIN_HPA_KNOWN)
			CHECK_EQ_U64(c->hpa & 4095, c->hva & 4095);
	}
	vm__destroy(vm);
}

/*
 * churn: every iteration maps the footprint, faults each page once and
 * unmaps it; the unmap flushes with one invlpg per page up to 33 pages and
 * one CR3 reload above (docs/guest.md).
 */
static void check_churn(uint64_t footprint, uint64_t iters)
{
	struct wl_params p;
	uint64_t pages = footprint / 4096;
	bool per_page = pages <= 33;

	wl_defaults(&p, WL_CHURN);
	p.footprint = footprint;
	p.iters = iters;
	run(&p, 1 << 20, false, false);
	CHECK_EQ_U64(lg.nmap, iters);
	CHECK_EQ_U64(lg.nunmap, iters);
	CHECK_EQ_U64(lg.nfault, iters * pages);
	CHECK_EQ_U64(lg.nflush, per_page ? iters * pages : iters);
	CHECK_EQ_U64(lg.nflush, res.kstats.invlpg + res.kstats.cr3_flushes);
	CHECK_EQ_U64(res.ev.malformed, 0);
	for (unsigned i = 0; i < lg.nmap && i < 256; i++) {
		CHECK_EQ_U64(lg.map[i].va, lg.unmap[i].va);
		CHECK_EQ_U64(lg.map[i].len, footprint);
		CHECK_EQ_U64(lg.unmap[i].len, footprint);
		CHECK_EQ_U64(lg.unmap[i].prot, 0);
	}
	for (unsigned i = 0; i < lg.nflush && i < 4096; i++) {
		const struct ev_guest_tlb_flush *f = &lg.flush[i];

		CHECK_EQ_U64(f->kind, per_page ? EV_FLUSH_INVLPG : EV_FLUSH_CR3);
		if (per_page)
			CHECK_EQ_U64(f->va, lg.unmap[i / pages].va + (i % pages) * 4096);
	}
}

/*
 * pingpong: the first process and one new address space per child, each
 * with its own root; the driver switches to each child every round and each
 * child back: 4 switches per round with two children.
 */
static void check_pingpong(void)
{
	struct wl_params p;
	uint64_t rounds = 20;

	wl_defaults(&p, WL_PINGPONG);
	p.nproc = 2;
	p.footprint = 64 << 10;
	p.iters = rounds;
	run(&p, 1 << 20, false, false);
	CHECK_EQ_U64(lg.ncreate, 3);
	for (unsigned i = 0; i < lg.ncreate && i < 3; i++) {
		CHECK_EQ_U64(lg.create[i].pid, i);
		for (unsigned j = 0; j < i; j++)
			CHECK(lg.create[i].cr3 != lg.create[j].cr3);
		if (i)
			CHECK_EQ_U64(lg.create[i].prev_cr3, lg.create[0].cr3);
	}
	CHECK_EQ_U64(lg.nsw, 4 * rounds);
	CHECK_EQ_U64(lg.nsw, res.kstats.cr3_switches);
	for (unsigned i = 0; i < lg.nsw && i < 8192; i++) {
		const struct ev_guest_as *s = &lg.sw[i];

		CHECK(s->cr3 != s->prev_cr3);
		CHECK_EQ_U64(s->cr3, lg.create[s->pid < 3 ? s->pid : 0].cr3);
		/* Odd switches go back to the driver. */
		CHECK_EQ_U64(s->pid == 0, i % 2);
	}
	CHECK_EQ_U64(res.ev.malformed, 0);
}

/*
 * A tiny ring (64 slots) under 2048 faults: whatever the drain thread
 * keeps up with, every event is either delivered or counted as dropped.
 */
static void check_small_ring(void)
{
	struct wl_params p;

	wl_defaults(&p, WL_STRIDE);
	p.footprint = 8 << 20;
	p.iters = 1;
	p.stride = 4096;
	run(&p, 4096, false, false);
	/* 2048 faults, one mmap and the first process. */
	CHECK_EQ_U64(res.ev.accepted + res.ev.guest_full, 2048 + 2);
	CHECK_EQ_U64(lg.nfault + lg.nmap + lg.ncreate, res.ev.accepted);
	CHECK_EQ_U64(lg.dropped, res.ev.guest_full);
	CHECK_EQ_U64(res.ev.malformed, 0);
}

int main(void)
{
	skip_without_kvm();
	snprintf(kernel, sizeof(kernel), "%s/guest/kernel.elf", MEMVIRT_BINARY_DIR);
	snprintf(program, sizeof(program), "%s/guest/workload.elf", MEMVIRT_BINARY_DIR);
	snprintf(evpath, sizeof(evpath), "/tmp/memvirt-evring-%d.mvev", (int)getpid());

	check_first_touch(4096, 4 << 20, false);
	check_first_touch(4096, 4 << 20, true);
	check_first_touch(2 << 20, 32 << 20, true);
	check_churn(64 << 10, 5);
	check_churn(1 << 20, 3);
	check_pingpong();
	check_small_ring();
	unlink(evpath);
	TEST_DONE();
}
