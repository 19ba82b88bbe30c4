// SPDX-License-Identifier: GPL-2.0
/*
 * A synthetic run directory for tests/cli/test_report.sh: DIR/run.json and
 * DIR/events.mvev written with the event-file writer, holding what a traced
 * run would (guest faults, KVM page faults, KVM guest walks, shadow entries,
 * host faults) on a schedule the test recomputes on its own. No guest ran.
 *
 * usage: report_rundir DIR shadow|npt NFAULTS [tcg|kvm]: with tcg or kvm, run.json has the
 * "lab" object of a run made in the lab with that accelerator.
 * Fault k (0 <= k < NFAULTS): guest_fault at t = k * 250 us, GVA 0x8000000000 + k * 4K,
 * GPA 0x40000000 + k * 4K; kvm_page_fault at t + 1 us; kvm_mmu_walk of 4 levels at
 * t + 2 us; kvm_mmu_set_spte of the frame at t + 2000 + 1000 * (k % 4) ns (the fault's
 * latency); host_page_fault at t + 1.5 us for even k.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/evfile.h"

#define T0   1000000000ull /* CLOCK_MONOTONIC ns of the first fault */
#define GVA0 0x8000000000ull
#define GPA0 0x40000000ull
#define STEP 250000ull

struct kpf {
	uint64_t rip, address, error_code;
};
struct walk {
	uint64_t addr, pte[5];
	uint32_t pferr, error, levels, failed;
};
struct spte {
	uint64_t gfn, spte, sptep;
	uint32_t level, pad;
};
struct hpf {
	uint64_t address, ip, error_code;
	uint32_t kernel, tid;
};

static const struct ev_field kpf_fields[] = {
	{"rip", EV_K_X64, offsetof(struct kpf, rip), 1},
	{"address", EV_K_X64, offsetof(struct kpf, address), 1},
	{"error_code", EV_K_X64, offsetof(struct kpf, error_code), 1},
};
static const struct ev_field walk_fields[] = {
	{"addr", EV_K_X64, offsetof(struct walk, addr), 1},
	{"pte", EV_K_X64, offsetof(struct walk, pte), 5},
	{"pferr", EV_K_U32, offsetof(struct walk, pferr), 1},
	{"error", EV_K_U32, offsetof(struct walk, error), 1},
	{"levels", EV_K_U32, offsetof(struct walk, levels), 1},
	{"failed", EV_K_U32, offsetof(struct walk, failed), 1},
};
static const struct ev_field spte_fields[] = {
	{"gfn", EV_K_X64, offsetof(struct spte, gfn), 1},
	{"spte", EV_K_X64, offsetof(struct spte, spte), 1},
	{"sptep", EV_K_X64, offsetof(struct spte, sptep), 1},
	{"level", EV_K_U32, offsetof(struct spte, level), 1},
};
static const struct ev_field hpf_fields[] = {
	{"address", EV_K_X64, offsetof(struct hpf, address), 1},
	{"ip", EV_K_X64, offsetof(struct hpf, ip), 1},
	{"error_code", EV_K_X64, offsetof(struct hpf, error_code), 1},
	{"kernel", EV_K_U32, offsetof(struct hpf, kernel), 1},
	{"tid", EV_K_U32, offsetof(struct hpf, tid), 1},
};
#define TYPE(id, src, st, name, f)                                     \
	{                                                              \
		id, src, sizeof(st), name, f, sizeof(f) / sizeof(f[0]) \
	}
static const struct ev_type t_kpf = TYPE(64, EV_SRC_KVM, struct kpf, "kvm_page_fault", kpf_fields);
static const struct ev_type t_walk = TYPE(48, EV_SRC_KVM, struct walk, "kvm_mmu_walk", walk_fields);
static const struct ev_type t_spte =
	TYPE(49, EV_SRC_KVM, struct spte, "kvm_mmu_set_spte", spte_fields);
static const struct ev_type t_hpf =
	TYPE(96, EV_SRC_HOST, struct hpf, "host_page_fault", hpf_fields);

static int write_fault(struct ev_writer *w, unsigned k)
{
	uint64_t t = T0 + k * STEP, gva = GVA0 + k * 4096ull, gpa = GPA0 + k * 4096ull;
	struct ev_guest_fault gf = {.cr2 = gva,
				    .rip = 0x401000,
				    .gpa = gpa,
				    .cr3 = 0x100000,
				    .error_code = 6,
				    .page_shift = 12};
	struct kpf kpf = {0x401000, gva, 6};
	struct walk wk = {.addr = gva, .pferr = 6, .levels = 4};
	struct spte sp = {.gfn = gpa >> 12, .spte = (gpa + (64ull << 30)) | 0x7, .level = 1};
	struct hpf hpf = {0x7f0000000000ull + k * 4096ull, 0x4a0000, 6, 0, 1};
	int rc;

	/* guest time: the TSC runs at 1 GHz from 0 at T0 (the EV_CLOCK record below) */
	rc = ev_write(w, &ev_type_guest_fault, 0, k * STEP, &gf);
	rc = rc ? rc : ev_write(w, &t_kpf, 0, t + 1000, &kpf);
	if (!rc && k % 2 == 0)
		rc = ev_write(w, &t_hpf, 1, t + 1500, &hpf);
	rc = rc ? rc : ev_write(w, &t_walk, 0, t + 2000, &wk);
	/* after the walk: fault-to-SPTE latencies of 2000 to 5000 ns */
	return rc ? rc : ev_write(w, &t_spte, 0, t + 2000 + 1000 * (k % 4), &sp);
}

static int write_events(const char *dir, unsigned n)
{
	char path[4200];
	struct ev_writer *w;
	int rc;

	snprintf(path, sizeof(path), "%s/events.mvev", dir);
	rc = ev_writer_open(&w, path, 1000000000ull, 1, false);
	if (rc)
		return rc;
	rc = ev_write_clock(w, 0, T0, 1000000000ull);
	for (unsigned k = 0; !rc && k < n; k++)
		rc = write_fault(w, k);
	if (rc) {
		ev_writer_abort(w);
		return rc;
	}
	return ev_writer_close(w, false);
}

static int write_run_json(const char *dir, const char *mode, unsigned n, const char *accel)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/run.json", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f,
		"{\"schema\": \"memvirt-run/1\", \"memvirt_version\": \"test\",\n"
		" \"provenance\": {\"command_line\": \"report_rundir %s %s %u %s (synthetic "
		"fixture)\"},\n"
		" \"status\": \"ok\", \"paging_mode\": \"%s\",\n"
		" \"config\": {\"workload\": \"touch\", \"footprint_bytes\": %u, \"iters\": 1},\n"
		" \"result\": {\"accesses\": %u, \"cycles\": %u, \"cycles_per_access\": 500.0, "
		"\"guest_faults\": %u},\n"
		" \"guest_kernel\": {\"page_faults\": %u, \"munmaps\": 0, \"cr3_switches\": 0}",
		dir, mode, n, accel, mode, n * 4096, 2 * n, 2 * n * 500, n, n);
	if (*accel)
		fprintf(f,
			",\n \"lab\": {\"accel\": \"%s\", \"paging\": \"%s\", \"times_emulated\": "
			"%s}",
			accel, strcmp(mode, "shadow") ? "tdp" : "shadow",
			strcmp(accel, "tcg") ? "false" : "true");
	fprintf(f, "\n}\n");
	return fclose(f) ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned n;

	if (argc < 4 || argc > 5 ||
	    (argc == 5 && strcmp(argv[4], "tcg") && strcmp(argv[4], "kvm"))) {
		fprintf(stderr, "usage: report_rundir DIR shadow|npt NFAULTS [tcg|kvm]\n");
		return 2;
	}
	n = (unsigned)strtoul(argv[3], NULL, 0);
	if (!n || n > 100000 || write_events(argv[1], n) ||
	    write_run_json(argv[1], argv[2], n, argc == 5 ? argv[4] : "")) {
		fprintf(stderr, "report_rundir: cannot write %s\n", argv[1]);
		return 1;
	}
	return 0;
}
