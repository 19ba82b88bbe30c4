// SPDX-License-Identifier: GPL-2.0
/* libFuzzer harness: the event file reader, and the stat, join and dump code over what it reads. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis/analysis.h"
#include "trace/evfile.h"
#include "analysis/join.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

static void run_stat(const uint8_t *data, size_t size)
{
	struct ev_reader *r;
	struct ev_stat *s = NULL;
	struct ev_latency l;

	if (ev_reader_open_mem(&r, data, size)) {
		(void)ev_reader_error(r);
		ev_reader_close(r);
		return;
	}
	if (ev_stat_read(r, &s) != -ENOMEM && s) {
		ev_stat_latency(s, EV_PAIR_EXIT_ENTRY, &l);
		ev_stat_set_join(s, 1, 1, 1);
		ev_stat_write(s, sink(), false, ev_reader_error(r));
		ev_stat_write(s, sink(), true, NULL);
	}
	ev_stat_free(s);
	ev_reader_close(r);
}

static void run_join(const uint8_t *data, size_t size)
{
	struct ev_reader *r;
	struct ev_join *j = NULL;

	if (ev_reader_open_mem(&r, data, size)) {
		ev_reader_close(r);
		return;
	}
	if (ev_join_read(r, &j) != -ENOMEM && j)
		ev_join_print(j, sink());
	ev_join_free(j);
	ev_reader_close(r);
}

static void run_dump(const uint8_t *data, size_t size, enum ev_dump_format fmt)
{
	struct ev_reader *r;

	if (!ev_reader_open_mem(&r, data, size))
		ev_dump(r, sink(), fmt);
	ev_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!sink())
		return 0;
	run_stat(data, size);
	run_join(data, size);
	run_dump(data, size, EV_DUMP_TEXT);
	run_dump(data, size, EV_DUMP_CSV);
	run_dump(data, size, EV_DUMP_PERFETTO);
	return 0;
}
