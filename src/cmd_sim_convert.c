// SPDX-License-Identifier: GPL-2.0
/* memvirt sim convert: valgrind lackey text to a memvirt access trace. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/instream.h"
#include "common/log.h"
#include "common/tmpclean.h"
#include "common/util.h"
#include "mmu/atrace.h"
#include "src/cmd_sim.h"
#include "src/cmds.h"

static void convert_usage(FILE *f)
{
	fprintf(f,
		"usage: memvirt sim convert --lackey FILE -o OUT.mvat\n\n"
		"Converts valgrind lackey output (valgrind --tool=lackey --trace-mem=yes) into\n"
		"memvirt's binary access trace (docs/access-trace.md), streamed: memory use does\n"
		"not grow with the trace. FILE may be '-' for standard input, OUT '-' for\n"
		"standard output; gzip and zstd input is decompressed on the way.\n\n"
		"examples:\n"
		"  valgrind --tool=lackey --trace-mem=yes ls 2>ls.lackey\n"
		"  memvirt sim convert --lackey ls.lackey -o ls.mvat\n"
		"  valgrind --tool=lackey --trace-mem=yes --log-fd=9 ls 9>&1 >/dev/null |\n"
		"    memvirt sim convert --lackey - -o - | zstd >ls.mvat.zst\n"
		"  memvirt sim --access-trace ls.mvat --paging all\n\n"
		"exit status: 0 ok, 2 bad usage or input, 3 OUT cannot be written\n");
}

/*
 * OUT.tmp.XXXXXX beside OUT, a name no other conversion shares, renamed over
 * OUT at the end; removed on an error, SIGINT or SIGTERM.
 */
static FILE *open_tmp(const char *out, char *tmp, size_t len, int *slot)
{
	FILE *f;
	int fd;

	if (snprintf(tmp, len, "%s.tmp.XXXXXX", out) >= (int)len)
		die(EXIT_USAGE, "-o %s: path too long\n", out);
	fd = tmpclean_mkstemp(tmp, slot);
	if (fd < 0)
		die(EXIT_HOST, "-o %s: %s: check the directory\n", out, strerror(errno));
	f = fchmod(fd, 0644) ? NULL : fdopen(fd, "w");
	if (!f) {
		unlink(tmp);
		die(EXIT_HOST, "-o %s: %s\n", out, strerror(errno));
	}
	return f;
}

int cmd_sim_convert(int argc, char **argv)
{
	static const struct option opts[] = {{"lackey", required_argument, 0, 'l'},
					     {"output", required_argument, 0, 'o'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	const char *in = NULL, *out = NULL;
	struct atrace_counts n;
	char err[700], tmp[600];
	uint64_t lines = 0;
	struct in_stream *fi;
	FILE *fo;
	int opt, rc, slot = -1;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		if (opt == 'h') {
			convert_usage(stdout);
			return 0;
		}
		if (opt == 'l')
			in = opt_path("sim convert", "--lackey", optarg);
		else if (opt == 'o')
			out = opt_path("sim convert", "-o", optarg);
		else
			die(EXIT_USAGE, "%s '%s': run 'memvirt sim convert --help'\n",
			    opt == ':' ? "option needs a value" : "unknown option",
			    argv[optind - 1]);
	}
	if (optind < argc || !in || !out)
		die(EXIT_USAGE,
		    "give --lackey FILE and -o OUT: run 'memvirt sim convert --help'\n");
	fi = in_stream__open(in, err, sizeof(err));
	if (!fi)
		die(EXIT_USAGE, "--lackey %s\n", err);
	fo = strcmp(out, "-") ? open_tmp(out, tmp, sizeof(tmp), &slot) : stdout;
	rc = atrace_from_lackey(fi, in_stream__name(fi), fo, &n, &lines, err, sizeof(err));
	if (fo != stdout && fclose(fo) && !rc) {
		snprintf(err, sizeof(err), "closing %s: %s", tmp, strerror(errno));
		rc = -EIO;
	}
	in_stream__close(fi);
	if (!rc && fo != stdout && rename(tmp, out)) {
		snprintf(err, sizeof(err), "renaming %s to %s: %s", tmp, out, strerror(errno));
		rc = -EIO;
	}
	if (rc && fo != stdout)
		unlink(tmp);
	tmpclean_del(slot);
	if (rc)
		die(rc == -EINVAL ? EXIT_USAGE : EXIT_HOST, "%s\n", err);
	fprintf(stderr,
		"%s: %" PRIu64 " lines, %" PRIu64 " records (%" PRIu64 " loads, %" PRIu64
		" stores, %" PRIu64 " modifies, %" PRIu64 " fetches)\n",
		out, lines, n.records, n.kind[ATRACE_LOAD], n.kind[ATRACE_STORE],
		n.kind[ATRACE_MODIFY], n.kind[ATRACE_FETCH]);
	return 0;
}
