// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: summarize the kvm_mmu_walk records of an event file over a GVA
 * range, as "key value" lines the BPF test scripts check.
 *
 *   mvev_walks FILE LO SIZE [OTHER_LO OTHER_SIZE]
 *
 * Counts walks whose addr is in [LO, LO+SIZE), split by the access they check
 * (pferr bit 1: write) and by their end (kvm_mmu_walker_error or not), per
 * 4K page (and the pages whose one walk is a completed 4-level one); and any
 * record of any type whose "addr"/"address" field falls in the other range (a
 * second VM's footprint that must not appear); and the host threads ("tid"
 * fields) the records name. Per-page counts only for ranges up to 4G.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/evfile.h"

struct page {
	uint8_t reads, writes, failed;
	uint8_t walks, four; /* all walks, completed walks of 4 levels */
};

struct counts {
	uint64_t records, walks, in, reads, reads4, writes, failed, other, bad_order;
	uint64_t done_levels[6]; /* completed walks by levels */
	uint32_t tid[16];
	unsigned ntid;
};

static uint64_t num(const char *s)
{
	return strtoull(s, NULL, 0);
}

static void note_tid(struct counts *c, uint32_t tid)
{
	for (unsigned i = 0; i < c->ntid; i++) {
		if (c->tid[i] == tid)
			return;
	}
	if (c->ntid < 16)
		c->tid[c->ntid++] = tid;
}

static void saturating_inc(uint8_t *v)
{
	*v += *v < 255;
}

/* One walk inside the range. */
static void count_walk(const struct ev_record *rec, struct counts *c, struct page *pg)
{
	static struct page scratch; /* ranges too large to count per page */

	const struct ev_rtype *t = rec->type;
	uint64_t levels = ev_field_u64(rec, ev_field_index(t, "levels"), 0);
	int fl = ev_field_index(t, "level");

	c->in++;
	if (!ev_field_u64(rec, ev_field_index(t, "failed"), 0) && levels <= 5)
		c->done_levels[levels]++;
	if (!pg)
		pg = &scratch;
	saturating_inc(&pg->walks);
	if (!ev_field_u64(rec, ev_field_index(t, "failed"), 0) && levels == 4)
		saturating_inc(&pg->four);
	if (ev_field_u64(rec, ev_field_index(t, "failed"), 0)) {
		c->failed++;
		saturating_inc(&pg->failed);
		return;
	}
	if (ev_field_u64(rec, ev_field_index(t, "pferr"), 0) & 2) {
		c->writes++;
		saturating_inc(&pg->writes);
		return;
	}
	c->reads++;
	saturating_inc(&pg->reads);
	if (levels == 4) {
		c->reads4++;
		/* Top level first: 4, 3, 2, 1. */
		for (unsigned i = 0; i < 4; i++)
			c->bad_order += ev_field_u64(rec, fl, i) != 4 - i;
	}
}

int main(int argc, char **argv)
{
	uint64_t lo, size, olo = 0, osize = 0;
	uint64_t read_once = 0, read_more = 0, failed_once = 0, written = 0, once4 = 0;
	struct counts c = {0};
	struct ev_record rec;
	struct ev_reader *r;
	struct page *seen;
	uint64_t npages;
	int ret, ft;

	if (argc != 4 && argc != 6) {
		fprintf(stderr, "usage: mvev_walks FILE LO SIZE [OTHER_LO OTHER_SIZE]\n");
		return 2;
	}
	lo = num(argv[2]);
	size = num(argv[3]);
	if (argc == 6) {
		olo = num(argv[4]);
		osize = num(argv[5]);
	}
	npages = size <= (1ULL << 32) ? size / 4096 : 0;
	seen = calloc(npages + 1, sizeof(*seen));
	if (!seen || ev_reader_open(&r, argv[1])) {
		fprintf(stderr, "mvev_walks: cannot open %s\n", argv[1]);
		return 1;
	}
	while ((ret = ev_read(r, &rec)) == 1) {
		uint64_t a;
		int fa;

		c.records++;
		if (!rec.type)
			continue;
		ft = ev_field_index(rec.type, "tid");
		if (ft >= 0)
			note_tid(&c, (uint32_t)ev_field_u64(&rec, ft, 0));
		fa = ev_field_index(rec.type, "addr");
		if (fa < 0)
			fa = ev_field_index(rec.type, "address");
		if (fa < 0)
			continue;
		a = ev_field_u64(&rec, fa, 0);
		if (osize && a >= olo && a - olo < osize)
			c.other++;
		if (strcmp(rec.type->name, "kvm_mmu_walk"))
			continue;
		c.walks++;
		if (a >= lo && a - lo < size)
			count_walk(&rec, &c, npages ? &seen[(a - lo) / 4096] : NULL);
	}
	if (ret < 0) {
		fprintf(stderr, "mvev_walks: %s: %s\n", argv[1], ev_reader_error(r));
		return 1;
	}
	for (uint64_t p = 0; p < npages; p++) {
		read_once += seen[p].reads == 1;
		read_more += seen[p].reads > 1;
		failed_once += seen[p].failed == 1;
		written += seen[p].writes > 0;
		once4 += seen[p].walks == 1 && seen[p].four == 1;
	}
	printf("records %" PRIu64 "\nwalks %" PRIu64 "\nin_range %" PRIu64 "\n", c.records, c.walks,
	       c.in);
	printf("read_walks %" PRIu64 "\nread_walks_4_levels %" PRIu64
	       "\nlevel_order_errors %" PRIu64 "\n",
	       c.reads, c.reads4, c.bad_order);
	printf("pages_read_walked_once %" PRIu64 "\npages_read_walked_more %" PRIu64 "\n",
	       read_once, read_more);
	printf("write_walks %" PRIu64 "\npages_write_walked %" PRIu64 "\n", c.writes, written);
	printf("failed %" PRIu64 "\npages_failed_once %" PRIu64 "\n", c.failed, failed_once);
	printf("pages_walked_once_4_levels %" PRIu64 "\n", once4);
	printf("other_range %" PRIu64 "\ndropped_kvm %" PRIu64 "\ndropped_host %" PRIu64
	       "\npid %u\n",
	       c.other, ev_reader_dropped(r, EV_SRC_KVM), ev_reader_dropped(r, EV_SRC_HOST),
	       ev_reader_header(r)->pid);
	printf("completed_3_levels %" PRIu64 "\ncompleted_4_levels %" PRIu64 "\ntids ",
	       c.done_levels[3], c.done_levels[4]);
	for (unsigned i = 0; i < c.ntid; i++)
		printf("%s%u", i ? "," : "", c.tid[i]);
	printf("\n");
	ev_reader_close(r);
	free(seen);
	return 0;
}
