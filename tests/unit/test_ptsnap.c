// SPDX-License-Identifier: GPL-2.0
/*
 * The page-table snapshot reader on hand-built files: a good one read back
 * field by field, then every kind of damage a file can carry (short files,
 * bad magic, bad header fields, table pages outside the memory map, bytes
 * after the end). The files are laid out byte by byte from docs/ptsnap.md,
 * not through the reader's structs, so a layout change shows up here. The
 * tables held for walks (ptsnap_tables) read back what the file holds and
 * nothing else.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmu/mmu.h"
#include "mmu/ptsnap.h"
#include "test.h"

/* docs/ptsnap.md: a 128-byte header, 24-byte regions, 4112-byte pages. */
#define HDR_SIZE    128
#define REGION_SIZE 24
#define PAGE_REC    (16 + 4096)
#define MAX_PAGES   4
#define FILE_MAX    (HDR_SIZE + 17 * REGION_SIZE + MAX_PAGES * PAGE_REC + 16)

/* Header field offsets. */
#define H_VERSION  8
#define H_HSIZE	   12
#define H_CR3	   16
#define H_LEVELS   24
#define H_MAXPHYS  28
#define H_NREGIONS 32
#define H_NPAGES   36
#define H_WL_KIND  40
#define H_WL_FOOT  48
#define H_WL_ITERS 56
#define H_WL_PSIZE 64
#define H_WL_SEED  72
#define H_WL_STR   80
#define H_DATA_GVA 88

static char dir[] = "/tmp/test_ptsnap.XXXXXX";

/* A snapshot under construction: bytes and the offsets of its parts. */
struct img {
	uint8_t b[FILE_MAX];
	size_t len;
	unsigned nregions, npages;
};

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static size_t page_off(const struct img *s, unsigned i)
{
	return HDR_SIZE + (size_t)s->nregions * REGION_SIZE + (size_t)i * PAGE_REC;
}

/*
 * The good snapshot: 4-level, two RAM regions [0, 16M) and [1G, 1G + 8M),
 * and a PML4 at 0x1000, a PDPT at 0x2000 and a page table in the last frame
 * of the second region. Every table page's entry i holds 0x1000 * i + level.
 */
static void img_good(struct img *s)
{
	static const struct {
		uint64_t gpa;
		uint32_t level;
	} pages[] = {{0x1000, 4}, {0x2000, 3}, {(1ULL << 30) + (8ULL << 20) - 4096, 1}};
	uint8_t *p;

	memset(s, 0, sizeof(*s));
	s->nregions = 2;
	s->npages = 3;
	memcpy(s->b, "MVPTSNAP", 8);
	put32(s->b + H_VERSION, 1);
	put32(s->b + H_HSIZE, HDR_SIZE);
	put64(s->b + H_CR3, 0x1000 | 0x5); /* PCID 5 */
	put32(s->b + H_LEVELS, 4);
	put32(s->b + H_MAXPHYS, 46);
	put32(s->b + H_NREGIONS, s->nregions);
	put32(s->b + H_NPAGES, s->npages);
	put32(s->b + H_WL_KIND, 2);
	put32(s->b + H_WL_KIND + 4, 1);
	put64(s->b + H_WL_FOOT, 6ULL << 20);
	put64(s->b + H_WL_ITERS, 3);
	put64(s->b + H_WL_PSIZE, 4096);
	put64(s->b + H_WL_SEED, 7);
	put64(s->b + H_WL_STR, 4096);
	put64(s->b + H_DATA_GVA, 0x8000000000ULL);
	p = s->b + HDR_SIZE;
	put64(p, 0);
	put64(p + 8, 16ULL << 20);
	put32(p + 16, 1);
	p += REGION_SIZE;
	put64(p, 1ULL << 30);
	put64(p + 8, 8ULL << 20);
	put32(p + 16, 1);
	for (unsigned i = 0; i < s->npages; i++) {
		p = s->b + page_off(s, i);
		put64(p, pages[i].gpa);
		put32(p + 8, pages[i].level);
		for (unsigned e = 0; e < 512; e++)
			put64(p + 16 + 8 * e, 0x1000ULL * e + pages[i].level);
	}
	s->len = page_off(s, s->npages);
}

static void img_write(const struct img *s, const char *path)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ_U64(fwrite(s->b, 1, s->len, f), s->len);
	CHECK_EQ_U64(fclose(f), 0);
}

/* What the page callback saw. */
struct seen {
	unsigned n;
	uint64_t gpa[MAX_PAGES];
	uint32_t level[MAX_PAGES];
	uint64_t first[MAX_PAGES], last[MAX_PAGES];
	int fail_at; /* return -ENOSPC on this page (1-based); 0: never */
};

static int on_page(void *ctx, const struct ptsnap_page *p)
{
	struct seen *s = ctx;
	uint64_t e[512];

	if (s->n >= MAX_PAGES)
		return -E2BIG;
	memcpy(e, p->data, sizeof(e));
	s->gpa[s->n] = p->gpa;
	s->level[s->n] = p->level;
	s->first[s->n] = e[0];
	s->last[s->n] = e[511];
	s->n++;
	return s->fail_at && (int)s->n == s->fail_at ? -ENOSPC : 0;
}

/* Read @s back from a file; the return code, the message in @err. */
static int read_img(const struct img *s, const char *name, struct ptsnap_header *h,
		    struct ptsnap_region *map, struct seen *seen, char *err, size_t errlen)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	img_write(s, path);
	err[0] = 0;
	return ptsnap_read(path, h, map, on_page, seen, err, errlen);
}

static void test_good(void)
{
	struct ptsnap_region map[PTSNAP_MAX_MAP];
	struct ptsnap_header h;
	struct seen seen = {0};
	struct img s;
	char err[256];

	CHECK_EQ_U64(sizeof(struct ptsnap_header), HDR_SIZE);
	CHECK_EQ_U64(sizeof(struct ptsnap_region), REGION_SIZE);
	CHECK_EQ_U64(sizeof(struct ptsnap_page), PAGE_REC);
	img_good(&s);
	CHECK_EQ_U64(read_img(&s, "good.bin", &h, map, &seen, err, sizeof(err)), 0);
	CHECK_EQ_U64(h.cr3, 0x1005);
	CHECK_EQ_U64(h.levels, 4);
	CHECK_EQ_U64(h.maxphyaddr, 46);
	CHECK_EQ_U64(h.nregions, 2);
	CHECK_EQ_U64(h.npages, 3);
	CHECK_EQ_U64(h.wl_kind, 2);
	CHECK_EQ_U64(h.wl_nproc, 1);
	CHECK_EQ_U64(h.wl_footprint, 6ULL << 20);
	CHECK_EQ_U64(h.wl_iters, 3);
	CHECK_EQ_U64(h.wl_page_size, 4096);
	CHECK_EQ_U64(h.wl_seed, 7);
	CHECK_EQ_U64(h.wl_stride, 4096);
	CHECK_EQ_U64(h.data_gva, 0x8000000000ULL);
	CHECK_EQ_U64(map[1].gpa, 1ULL << 30);
	CHECK_EQ_U64(map[1].size, 8ULL << 20);
	CHECK_EQ_U64(map[1].type, 1);
	CHECK_EQ_U64(seen.n, 3);
	CHECK_EQ_U64(seen.gpa[0], 0x1000);
	CHECK_EQ_U64(seen.level[1], 3);
	CHECK_EQ_U64(seen.gpa[2], (1ULL << 30) + (8ULL << 20) - 4096);
	CHECK_EQ_U64(seen.level[2], 1);
	CHECK_EQ_U64(seen.first[2], 1);
	CHECK_EQ_U64(seen.last[2], 0x1000ULL * 511 + 1);
	CHECK_EQ_U64(seen.last[0], 0x1000ULL * 511 + 4);

	/* No table pages at all is a valid (if useless) snapshot. */
	put32(s.b + H_NPAGES, 0);
	s.len = page_off(&s, 0);
	memset(&seen, 0, sizeof(seen));
	CHECK_EQ_U64(read_img(&s, "empty.bin", &h, map, &seen, err, sizeof(err)), 0);
	CHECK_EQ_U64(seen.n, 0);
}

/* Read a damaged image: -EINVAL, one message naming the file and containing @what. */
static void expect_bad(const struct img *s, const char *name, const char *what)
{
	struct ptsnap_region map[PTSNAP_MAX_MAP];
	struct ptsnap_header h;
	struct seen seen = {0};
	char err[256], prefix[160];
	int rc = read_img(s, name, &h, map, &seen, err, sizeof(err));

	snprintf(prefix, sizeof(prefix), "%s/%s: ", dir, name);
	if (rc != -EINVAL || strncmp(err, prefix, strlen(prefix)) || !strstr(err, what)) {
		fprintf(stderr, "%s: got %d \"%s\", want -EINVAL \"%s...%s\"\n", name, rc, err,
			prefix, what);
		test_failures++;
	}
	CHECK(!strchr(err, '\n'));
}

static void test_truncated(void)
{
	static const struct {
		size_t len;
		const char *what;
	} cuts[] = {
		{0, "truncated header"},
		{HDR_SIZE - 1, "truncated header"},
		{HDR_SIZE + REGION_SIZE + 3, "truncated memory map"},
		{HDR_SIZE + 2 * REGION_SIZE + 10, "fewer table pages"},
		{HDR_SIZE + 2 * REGION_SIZE + 2 * PAGE_REC + 4000, "fewer table pages"},
	};
	struct img s;

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		char name[32];

		img_good(&s);
		s.len = cuts[i].len;
		snprintf(name, sizeof(name), "cut%zu.bin", i);
		expect_bad(&s, name, cuts[i].what);
	}
	img_good(&s);
	s.b[s.len++] = 0;
	expect_bad(&s, "tail.bin", "data after the last table page");
}

static void test_header(void)
{
	struct img s;

	img_good(&s);
	s.b[0] = 'X';
	expect_bad(&s, "magic.bin", "no MVPTSNAP magic");
	img_good(&s);
	put32(s.b + H_VERSION, 2);
	expect_bad(&s, "version.bin", "version is not 1");
	img_good(&s);
	put32(s.b + H_HSIZE, HDR_SIZE + 8);
	expect_bad(&s, "hsize.bin", "header size");
	img_good(&s);
	put32(s.b + H_LEVELS, 3);
	expect_bad(&s, "levels3.bin", "levels are not 4 or 5");
	img_good(&s);
	put32(s.b + H_LEVELS, 6);
	expect_bad(&s, "levels6.bin", "levels are not 4 or 5");
	img_good(&s);
	put32(s.b + H_MAXPHYS, 31);
	expect_bad(&s, "maxphys31.bin", "MAXPHYADDR");
	img_good(&s);
	put32(s.b + H_MAXPHYS, 53);
	expect_bad(&s, "maxphys53.bin", "MAXPHYADDR");
	img_good(&s);
	put32(s.b + H_NREGIONS, 0);
	expect_bad(&s, "noregion.bin", "no region or more than 16");
	img_good(&s);
	put32(s.b + H_NREGIONS, PTSNAP_MAX_MAP + 1);
	expect_bad(&s, "manyregions.bin", "no region or more than 16");
}

/* Memory-map regions and table pages that point where they must not. */
static void test_ranges(void)
{
	/* Page GPAs outside guest RAM: the gap between the regions, the end of
	 * each region, far above it, and misaligned inside it. */
	static const uint64_t bad_gpa[] = {16ULL << 20, (1ULL << 30) + (8ULL << 20),
					   (1ULL << 30) - 4096, 0xfffffffffffff000ULL, 0x1800};
	struct img s;
	char name[32];

	img_good(&s);
	put64(s.b + HDR_SIZE + REGION_SIZE, (1ULL << 30) + 0x800);
	expect_bad(&s, "region-align.bin", "not 4K aligned or wraps");
	img_good(&s);
	put64(s.b + HDR_SIZE + REGION_SIZE, 0xffffffffff000000ULL);
	put64(s.b + HDR_SIZE + REGION_SIZE + 8, 0x2000000ULL);
	expect_bad(&s, "region-wrap.bin", "not 4K aligned or wraps");
	for (size_t i = 0; i < sizeof(bad_gpa) / sizeof(bad_gpa[0]); i++) {
		img_good(&s);
		put64(s.b + page_off(&s, 1), bad_gpa[i]);
		snprintf(name, sizeof(name), "gpa%zu.bin", i);
		expect_bad(&s, name, "outside the memory map or misaligned");
	}
	img_good(&s);
	put32(s.b + page_off(&s, 2) + 8, 0);
	expect_bad(&s, "level0.bin", "level out of range");
	img_good(&s);
	put32(s.b + page_off(&s, 0) + 8, 5); /* a PML5 page in a 4-level snapshot */
	expect_bad(&s, "level5.bin", "level out of range");
}

static void test_errors(void)
{
	struct ptsnap_region map[PTSNAP_MAX_MAP];
	struct ptsnap_header h;
	struct seen seen = {.fail_at = 2};
	char err[256], path[128];
	struct img s;

	/* The callback's error stops the read at that page and is returned as is. */
	img_good(&s);
	CHECK_EQ_U64(read_img(&s, "cb.bin", &h, map, &seen, err, sizeof(err)), -ENOSPC);
	CHECK_EQ_U64(seen.n, 2);
	/* A missing file: -ENOENT and the path in the message. */
	snprintf(path, sizeof(path), "%s/nosuch.bin", dir);
	CHECK_EQ_U64(ptsnap_read(path, &h, map, on_page, &seen, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, path) == err);
}

/* The held tables: the file's entries at their GPAs, no other frame, no writes. */
static void test_tables(void)
{
	const uint64_t pt = (1ULL << 30) + (8ULL << 20) - 4096;
	struct ptsnap_region map[PTSNAP_MAX_MAP];
	struct ptsnap_header h;
	struct ptsnap_tables *t;
	const struct pt_mem *m;
	char err[256] = "", path[128];
	uint64_t v = 0;
	struct img s;

	img_good(&s);
	snprintf(path, sizeof(path), "%s/tables.bin", dir);
	img_write(&s, path);
	t = ptsnap_tables__load(path, &h, map, err, sizeof(err));
	CHECK(t != NULL);
	if (!t)
		return;
	m = ptsnap_tables__mem(t);
	CHECK_EQ_U64(ptsnap_tables__pages(t), 3);
	CHECK_EQ_U64(m->ops->read64(m->ctx, 0x1000 + 8 * 3, &v), 0);
	CHECK_EQ_U64(v, 0x3000 + 4); /* entry i of a level-L page: 0x1000 * i + L */
	CHECK_EQ_U64(m->ops->read64(m->ctx, pt + 8 * 511, &v), 0);
	CHECK_EQ_U64(v, 0x1000ULL * 511 + 1);
	CHECK_EQ_U64(m->ops->read64(m->ctx, 0x3000, &v), -EFAULT); /* guest RAM, not a table */
	CHECK_EQ_U64(m->ops->read64(m->ctx, 0x1004, &v), -EINVAL);
	CHECK_EQ_U64(m->ops->write64(m->ctx, 0x1000, 0), -EPERM);
	ptsnap_tables__free(t);

	/* The reader's errors, and a frame twice. */
	put32(s.b + H_NPAGES, 4);
	img_write(&s, path);
	CHECK(ptsnap_tables__load(path, &h, map, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "truncated") != NULL);
	img_good(&s);
	put64(s.b + page_off(&s, 1), 0x1000);
	img_write(&s, path);
	errno = 0;
	CHECK(ptsnap_tables__load(path, &h, map, err, sizeof(err)) == NULL);
	CHECK_EQ_U64(errno, EINVAL);
	CHECK(strstr(err, path) == err && strstr(err, "appears twice") != NULL);
	snprintf(path, sizeof(path), "%s/nosuch.bin", dir);
	CHECK(ptsnap_tables__load(path, &h, map, err, sizeof(err)) == NULL);
	CHECK_EQ_U64(errno, ENOENT);
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(dir))
		SKIP("mkdtemp failed\n");
	test_good();
	test_truncated();
	test_header();
	test_ranges();
	test_errors();
	test_tables();
	if (!test_failures) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK_EQ_U64(system(cmd), 0);
	}
	TEST_DONE();
}
