// SPDX-License-Identifier: GPL-2.0
/* Configuration format and presets: every preset valid, errors name file, line and key. */
#include <errno.h>
#include <unistd.h>

#include "test.h"

#include "mmu/mmu.h"

/* Parse @text over textbook defaults; expect failure with a message starting with @want. */
static void expect_error(const char *text, const char *want)
{
	struct sim_config c;
	char err[256];

	sim_config__textbook(&c);
	CHECK(sim_config__parse(&c, text, "t.conf", err, sizeof(err)) == -EINVAL);
	if (strncmp(err, want, strlen(want))) {
		fprintf(stderr, "  got: %s\n  want: %s...\n", err, want);
		test_failures++;
	}
}

static void test_errors(void)
{
	expect_error("[tlb1.4k]\nentriez = 4\n", "t.conf:2: key 'entriez': unknown key");
	expect_error("[tlb1.4k]\nentries = 100\nways = 12\n",
		     "t.conf:3: key 'ways': 100 entries are not divisible by 12 ways");
	expect_error("[tlb1.4k]\nentries = 64\nways = 0\n",
		     "t.conf:3: key 'ways': must be at least 1");
	expect_error("[tlb1.4k]\nentries = 4\nways = 8\n", "t.conf:3: key 'ways': 8 ways is more");
	expect_error("\n[paging]\nlevels = 6\n", "t.conf:3: key 'levels': 6 is out of range 4..5");
	expect_error("[paging]\nnxe = maybe\n", "t.conf:2: key 'nxe': 'maybe' is not a boolean");
	expect_error("[bogus]\n", "t.conf:1: key 'bogus': unknown section");
	expect_error("levels = 4\n", "t.conf:1: key 'levels': outside any [section]");
	expect_error("[paging]\nlevels\n", "t.conf:2: key 'levels': expected 'key = value'");
	expect_error("[paging]\nlevels =\n", "t.conf:2: key 'levels': has no value");
	expect_error("[tlb1.4k]\nentries = 4\nways = 4\n[tlb1.4k+2m]\nentries = 4\nways = 2\n",
		     "t.conf:6: key 'sizes': page sizes overlap");
	expect_error("[tlb1.3m]\n", "t.conf:1: key 'tlb1.3m': page sizes must be");
	/* A skipped cache level is named with the line of the section that implies it. */
	expect_error("[cache]\nline = 64\n[cache1]\nsize = 32K\nways = 8\n[cache3]\nsize = 1M\n"
		     "ways = 8\n",
		     "t.conf:6: key 'size': [cache2] is missing");
	expect_error("[tlb9]\n", "t.conf:1: key 'tlb9': TLB sections are");
	expect_error("[tlb2.4k]\nentries = 4\nways = 4\n",
		     "t.conf:1: key 'tlb1': level 1 has no arrays");
	expect_error("[tlb1.all]\nentries = 4\nways = 4\npolicy = fifo\n",
		     "t.conf:4: key 'policy': unknown policy 'fifo'");
	expect_error("[cache1]\nsize = 1000\nways = 4\n",
		     "t.conf:2: key 'size': 1000 bytes is not a whole number of 64-byte lines");
	expect_error("[cache1]\nsize = 48K\nways = 7\nlatency = 4\n",
		     "t.conf:3: key 'ways': 768 entries are not divisible by 7 ways");
	expect_error("[cache1]\nways = 4\n", "t.conf:1: key 'size': [cache1] has no size");
	expect_error("[pwc]\npde_entries = 10\npde_ways = 4\n", "t.conf:3: key 'pde_ways'");
	expect_error("[nested_tlb]\nentries = 16\nways = 3\n", "t.conf:3: key 'ways'");
	expect_error("[shadow]\nvmexit = 5\n", "t.conf:2: key 'vmexit': unknown key");
	expect_error("[sim]\nseed = 3\npreset = zen4\n",
		     "t.conf:3: key 'preset': must be the first");
	expect_error("[sim]\npreset = pentium\n", "t.conf:2: key 'preset': unknown preset");
	expect_error("[memory]\nlatency = -1\n", "t.conf:2: key 'latency': '-1' is not a number");
}

static void test_presets(void)
{
	const char *const *names = sim_config_presets();
	unsigned n = 0;
	char err[256], text[8192], text2[8192];

	for (; names[n]; n++) {
		struct sim_config c, c2;

		CHECK(sim_config__preset(&c, names[n], err, sizeof(err)) == 0);
		CHECK_STR(c.name, names[n]);
		CHECK(sim_config__validate(&c, err, sizeof(err)) == 0);
		/* Written back and parsed again, a configuration is unchanged. */
		CHECK(sim_config__write(&c, text, sizeof(text)) == 0);
		sim_config__textbook(&c2);
		CHECK(sim_config__parse(&c2, text, "rt", err, sizeof(err)) == 0);
		CHECK(sim_config__write(&c2, text2, sizeof(text2)) == 0);
		CHECK_STR(text, text2);
	}
	CHECK_EQ_U64(n, 4);
	CHECK(sim_config__preset(NULL, "nope", err, sizeof(err)) == -ENOENT);
}

static void test_golden_cove_geometry(void)
{
	struct sim_config c;
	char err[256];

	CHECK(sim_config__preset(&c, "golden-cove", err, sizeof(err)) == 0);
	CHECK_EQ_U64(c.tlb.nlevels, 2);
	CHECK_EQ_U64(c.tlb.level[0].narrays, 3);
	CHECK_EQ_U64(c.tlb.level[0].array[0].geo.entries, 96);
	CHECK_EQ_U64(c.tlb.level[0].array[0].geo.ways, 6);
	CHECK_EQ_U64(c.tlb.level[1].array[0].sizes, (1u << PAGE_4K) | (1u << PAGE_2M));
	CHECK_EQ_U64(c.tlb.level[1].array[0].geo.entries, 2048);
	CHECK_EQ_U64(c.cache.nlevels, 3);
	CHECK_EQ_U64(c.cache.level[0].geo.entries, 48 * 1024 / 64);
	CHECK(sim_config__preset(&c, "zen4", err, sizeof(err)) == 0);
	CHECK_EQ_U64(c.tlb.level[0].array[0].geo.entries, 72);
	CHECK_EQ_U64(c.tlb.level[0].array[0].geo.ways, 72);
	CHECK_EQ_U64(c.tlb.level[1].array[0].geo.entries, 3072);
}

/* A file may start from a preset and override single keys; TLB sections replace the hierarchy. */
static void test_preset_override(void)
{
	struct sim_config c;
	char err[256], path[] = "/tmp/memvirt_cfg_XXXXXX";
	const char *text = "# sweep point\n[sim]\npreset = zen4\nname = zen4-small\n"
			   "[memory]\nlatency = 250\n[tlb1]\nlatency = 1\n[tlb1.all]\n"
			   "entries = 16\nways = 16\n";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	CHECK(sim_config__load(&c, path, err, sizeof(err)) == 0);
	CHECK_STR(c.name, "zen4-small");
	CHECK_EQ_U64(c.mem_latency, 250);
	CHECK_EQ_U64(c.tlb.nlevels, 1);
	CHECK_EQ_U64(c.tlb.level[0].array[0].geo.entries, 16);
	CHECK_EQ_U64(c.cache.nlevels, 3);
	unlink(path);
	CHECK(sim_config__load(&c, "/nonexistent/x.conf", err, sizeof(err)) == -ENOENT);
}

/* Load @text from a temporary file with its warnings. */
static int load_warn(const char *text, struct sim_config *c, struct sim_config_warnings *w,
		     char *path, size_t len)
{
	char err[256];
	int fd, ret;

	snprintf(path, len, "/tmp/memvirt_cfgw_XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return -1;
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	memset(w, 0, sizeof(*w));
	ret = sim_config__load_warn(c, path, w, err, sizeof(err));
	unlink(path);
	return ret;
}

/*
 * A TLB or cache section after a preset line discards the preset's hierarchy: warned, with
 * the line and what zen4 had (2 levels, 72 and 3072 entries; 3 cache levels). The same
 * sections without a preset line, or another key after one, warn of nothing.
 */
static void test_replace_warnings(void)
{
	struct sim_config_warnings w;
	struct sim_config c;
	char path[64], want[256];

	CHECK(load_warn("[sim]\npreset = zen4\n[tlb1]\nlatency = 1\n[tlb1.all]\nentries = 16\n"
			"ways = 16\n[cache1]\nsize = 32K\nways = 8\nlatency = 4\n",
			&c, &w, path, sizeof(path)) == 0);
	CHECK_EQ_U64(w.n, 2);
	snprintf(want, sizeof(want),
		 "%s:3: [tlb1] replaces preset zen4's whole TLB hierarchy (2 levels: tlb1 72 "
		 "entries, tlb2 3072 entries)",
		 path);
	CHECK(!strncmp(w.text[0], want, strlen(want)));
	snprintf(want, sizeof(want), "%s:8: [cache1] replaces preset zen4's 3 cache levels", path);
	CHECK(!strncmp(w.text[1], want, strlen(want)));
	CHECK_EQ_U64(c.tlb.nlevels, 1);
	CHECK(load_warn("[tlb1]\nlatency = 1\n[tlb1.all]\nentries = 16\nways = 16\n", &c, &w, path,
			sizeof(path)) == 0);
	CHECK_EQ_U64(w.n, 0);
	CHECK(load_warn("[sim]\npreset = zen4\n[memory]\nlatency = 250\n", &c, &w, path,
			sizeof(path)) == 0);
	CHECK_EQ_U64(w.n, 0);
	CHECK_EQ_U64(c.tlb.nlevels, 2);
}

/* Every preset runs in every mode it supports. */
static void test_presets_run(void)
{
	const char *const *names = sim_config_presets();
	struct ptmem *m = ptmem__new(1ULL << 40, 0x100000);
	uint64_t root;
	char err[256];

	CHECK(pt__new_root(m, &root) == 0);
	CHECK(pt__map_range(m, root, 0, 0, 0x400000, PAGE_4K, PTE_RW | PTE_US, 4) == 0);
	for (unsigned i = 0; names[i]; i++) {
		struct sim_config c;
		struct sim_tables t = {ptmem__mem(m), root, ptmem__mem(m), root};
		struct sim_result r;

		CHECK(sim_config__preset(&c, names[i], err, sizeof(err)) == 0);
		for (unsigned mode = PAGING_NATIVE; mode <= PAGING_SHADOW; mode++) {
			struct sim *s = sim__new(&c, (enum paging_mode)mode, &t);

			CHECK(s != NULL);
			if (!s)
				continue;
			for (uint64_t va = 0x200000; va < 0x300000; va += 0x1000)
				CHECK(sim__access(s, va, va & 0x2000) == 0);
			sim__result(s, &r);
			CHECK_EQ_U64(r.accesses, 256);
			CHECK_EQ_U64(r.faults, 0);
			CHECK(r.cycles.total > 0);
			sim__free(s);
		}
	}
	ptmem__free(m);
}

int main(void)
{
	test_errors();
	test_presets();
	test_golden_cove_geometry();
	test_preset_override();
	test_replace_warnings();
	test_presets_run();
	TEST_DONE();
}
