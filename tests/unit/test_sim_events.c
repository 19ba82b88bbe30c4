// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt sim --trace: the fault addresses of an event file (guest_fault cr2,
 * kvm_mmu_walk addr) are the access stream. The file is written here with the
 * event-file writer; the walk counts expected follow the hardware rule (one
 * walk per distinct page with the textbook TLB, 4 references native, 24
 * nested 4x4).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "trace/evfile.h"

/* kvm_mmu_walk as the capture writes it; readers find it by name, not by this id. */
struct walk_body {
	uint64_t addr;
	uint32_t pferr;
	uint32_t reserved;
};

static const struct ev_field walk_fields[] = {
	{"addr", EV_K_X64, 0, 1},
	{"pferr", EV_K_U32, 8, 1},
};

static const struct ev_type walk_type = {
	.id = 48,
	.source = EV_SRC_KVM,
	.body_size = sizeof(struct walk_body),
	.name = "kvm_mmu_walk",
	.fields = walk_fields,
	.nfields = 2,
};

#define PAGE0 0x7f0000000000ULL

static void write_events(const char *path)
{
	static const unsigned page[8] = {0, 1, 2, 0, 3, 4, 1, 4};
	struct ev_guest_fault gf = {0};
	struct ev_vmm_chain ch = {0};
	struct walk_body wb = {0};
	struct ev_writer *w;

	CHECK_EQ_U64(ev_writer_open(&w, path, 0, 1, false), 0);
	for (unsigned i = 0; i < 8; i++) {
		gf.cr2 = PAGE0 + page[i] * 4096ULL + i * 8;
		gf.error_code = i % 3 == 0 ? 0x6 : 0x4; /* user write / user read */
		CHECK_EQ_U64(ev_write(w, &ev_type_guest_fault, 0, 100 + i, &gf), 0);
	}
	CHECK_EQ_U64(ev_write(w, &ev_type_vmm_chain, 0, 200, &ch), 0); /* not an address record */
	wb.addr = PAGE0 + 5 * 4096ULL;				       /* a sixth page */
	wb.pferr = 0x2;
	CHECK_EQ_U64(ev_write(w, &walk_type, 0, 300, &wb), 0);
	wb.addr = PAGE0 + 8;
	wb.pferr = 0;
	CHECK_EQ_U64(ev_write(w, &walk_type, 0, 301, &wb), 0);
	CHECK_EQ_U64(ev_writer_close(w, false), 0);
}

static int run(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

int main(void)
{
	char dir[] = "/tmp/test_sim_events.XXXXXX", path[256], cmd[2048];

	if (!mkdtemp(dir))
		SKIP("mkdtemp failed\n");
	if (system("python3 -c 1 >/dev/null 2>&1"))
		SKIP("python3 not found\n");
	snprintf(path, sizeof(path), "%s/events.mvev", dir);
	write_events(path);
	snprintf(cmd, sizeof(cmd),
		 "%s/memvirt sim --trace %s --paging all --json --out %s/out >%s/sim.json",
		 MEMVIRT_BINARY_DIR, path, dir, dir);
	CHECK_EQ_U64(run(cmd), 0);
	/*
	 * 10 addresses on 6 pages, 3 + 1 writes; native 4 refs, nested 24, shadow 4. Shadow
	 * (KVM's rules): page 1 is read before it is written, so its write faults and walks
	 * again (7 walks); #PF exits: 6 reinjected guest faults, 6 first touches, page 1's
	 * write, and the store into the page table after it was shadowed (page 1's mapping:
	 * the table goes unsync); the store into the root for page 0 is emulated.
	 */
	snprintf(cmd, sizeof(cmd),
		 "python3 -c \"import json,sys\n"
		 "d = json.load(open('%s/sim.json')); i = d['config']['input']; r = d['results']\n"
		 "ok = i['kind'] == 'event-file' and i['guest_faults'] == 8 and i['kvm_walks'] == "
		 "2\n"
		 "ok = ok and i['other_records'] >= 1\n"
		 "for m, refs, walks in zip(r, (4, 24, 4), (6, 6, 7)):\n"
		 "    ok = ok and m['accesses'] == 10 and m['writes'] == 4 and m['faults'] == 0\n"
		 "    ok = ok and m['walks']['count'] == walks and m['walks']['refs_per_walk'] == "
		 "refs\n"
		 "ok = ok and r[2]['shadow_events']['pf_exit'] == 14\n"
		 "ok = ok and r[2]['shadow_events']['wrprot_exit'] == 1\n"
		 "sys.exit(0 if ok else 1)\"",
		 dir);
	CHECK_EQ_U64(run(cmd), 0);

	/* A truncated event file: one error line naming the offset, exit 2, nothing written. */
	snprintf(
		cmd, sizeof(cmd),
		"head -c 300 %s >%s/cut.mvev && %s/memvirt sim --trace %s/cut.mvev --out %s/o2 "
		"2>%s/err; test $? -eq 2 && grep -q 'offset' %s/err && test $(wc -l <%s/err) -eq 1 "
		"&& test ! -e %s/o2/sim.json",
		path, dir, MEMVIRT_BINARY_DIR, dir, dir, dir, dir, dir, dir);
	CHECK_EQ_U64(run(cmd), 0);
	if (!test_failures) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		run(cmd);
	}
	TEST_DONE();
}
