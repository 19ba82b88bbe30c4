// SPDX-License-Identifier: GPL-2.0
/* memvirt trace dump/stat: read event files; every other 'trace' form captures. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "src/cmds.h"
#include "analysis/analysis.h"
#include "trace/evfile.h"
#include "analysis/join.h"

struct dump_opts {
	const char *path;
	const char *out; /* NULL: stdout */
	enum ev_dump_format fmt;
	bool join;
	struct ev_dump_filter filter;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: memvirt trace dump FILE [--csv | --csv-long | --perfetto | --join] [-o "
		"OUT]\n"
		"                          [--type NAME[,NAME...]] [--cpu N] [--since NS]\n"
		"                          [--until NS] [--gva START-END]\n"
		"       memvirt trace stat FILE [--json]\n"
		"       memvirt trace [capture options]   (see 'memvirt trace -p PID --help')\n\n"
		"Reads a memvirt event file (docs/trace-format.md): guest-channel events, VMM\n"
		"chains, KVM MMU events and host faults. FILE may be '-' (standard input, read\n"
		"into memory) and gzip or zstd compressed.\n\n"
		"dump prints every record:\n"
		"  (default)          one line per record: offset, time (ns, CLOCK_MONOTONIC),\n"
		"                     source, cpu, type, field=value... with exit reasons,\n"
		"                     error-code bits and shadow page roles named: (W|U)\n"
		"  --csv              one wide table per record type, each after a line\n"
		"                     '# type NAME': offset,ts,time_ns,source,cpu,FIELD...\n"
		"                     (array elements as FIELD_0, FIELD_1, ...)\n"
		"  --csv-long         long CSV: one row per field (arrays as \"[a;b;...]\")\n"
		"  --perfetto         Chrome trace-event JSON; open it in ui.perfetto.dev\n"
		"  --join             one line per guest fault with its KVM walk, shadow entry\n"
		"                     and host fault\n"
		"  -o, --output OUT   write to OUT (atomically) instead of stdout ('-': stdout)\n"
		"filters (records that pass all given; not with --join):\n"
		"  --type NAME,...    records of these types (kvm_exit,kvm_page_fault)\n"
		"  --cpu N            records of vCPU (or host CPU) N\n"
		"  --since NS, --until NS\n"
		"                     records with time_ns (the text dump's time column,\n"
		"                     CLOCK_MONOTONIC ns) in [since, until]\n"
		"  --gva START-END    guest, vmm and kvm records whose gva, cr2, va, addr or\n"
		"                     address field is in [START, END) (hex with 0x)\n"
		"stat prints counts per type and cpu, rates, KVM exits by reason (count, share,\n"
		"time share, min/avg/max exit-to-entry ns), log2 histograms of latencies and\n"
		"walk lengths over every sample, shadow pages, lost records and the join:\n"
		"  --json             as JSON\n"
		"  -h, --help         this text\n\n"
		"examples:\n"
		"  memvirt trace dump run/events.mvev | less\n"
		"  memvirt trace dump run/events.mvev --perfetto -o trace.json\n"
		"  memvirt trace dump run/events.mvev --join\n"
		"  memvirt trace dump run/events.mvev --type kvm_exit --cpu 0 --since 1000000\n"
		"  memvirt trace dump run/events.mvev --csv -o tables.csv\n"
		"  memvirt trace stat run/events.mvev --json\n"
		"  zstd -dc events.mvev.zst | memvirt trace stat -\n\n"
		"exit status: 0 ok, 2 bad usage or a bad, truncated or unreadable FILE,\n"
		"3 OUT or stdout cannot be written\n");
}

/* Shared option loop: @opts accepted long options; 'h' help, 'o' output. */
static const char *parse_common(int argc, char **argv, const char *cmd, const struct option *opts,
				void (*set)(int opt, void *arg), void *arg)
{
	const char *path = NULL;
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (opt == ':')
			die(EXIT_USAGE, "option '%s' needs a value: run 'memvirt trace --help'\n",
			    argv[optind - 1]);
		if (opt == '?')
			die(EXIT_USAGE,
			    "unknown option '%s' for trace %s: run 'memvirt trace --help'\n",
			    argv[optind - 1], cmd);
		set(opt, arg);
	}
	if (optind >= argc)
		die(EXIT_USAGE, "trace %s needs an event file: memvirt trace %s FILE\n", cmd, cmd);
	path = argv[optind++];
	if (optind < argc)
		die(EXIT_USAGE, "unexpected argument '%s': trace %s reads one file\n", argv[optind],
		    cmd);
	return path;
}

/* --type, --cpu, --since, --until, --gva: bad values are usage errors. */
static bool dump_filter_set(struct dump_opts *o, int opt)
{
	static const struct {
		int opt;
		const char *name;
	} filters[] = {{'T', "type"}, {'C', "cpu"}, {'S', "since"}, {'U', "until"}, {'G', "gva"}};
	char err[200];

	for (size_t i = 0; i < ARRAY_SIZE(filters); i++)
		if (filters[i].opt == opt) {
			if (ev_dump_filter_set(&o->filter, filters[i].name, optarg, err,
					       sizeof(err)))
				die(EXIT_USAGE, "trace dump: %s\n", err);
			return true;
		}
	return false;
}

static void dump_set(int opt, void *arg)
{
	struct dump_opts *o = arg;
	enum ev_dump_format fmt = opt == 'c'   ? EV_DUMP_CSV_TABLES
				  : opt == 'L' ? EV_DUMP_CSV
					       : EV_DUMP_PERFETTO;

	if (opt == 'o') {
		/* '-o -' is standard output, as without -o */
		o->out = strcmp(optarg, "-") ? opt_path("trace dump", "-o", optarg) : NULL;
		return;
	}
	if (dump_filter_set(o, opt))
		return;
	if ((opt == 'c' || opt == 'L' || opt == 'p' || opt == 'j') &&
	    (o->fmt != EV_DUMP_TEXT || o->join))
		die(EXIT_USAGE,
		    "--csv, --csv-long, --perfetto and --join are exclusive: give one\n");
	if (opt == 'j')
		o->join = true;
	else
		o->fmt = fmt;
}

/* Reads the file and prints it; the reader's error, if any, goes to @error. */
struct dump_run {
	const struct dump_opts *o;
	char error[256];
};

/* Perfetto: the records from @r, and a slice per guest fault joined from a second pass. */
static int perfetto_with_faults(const char *path, struct ev_reader *r, FILE *out,
				const struct ev_dump_filter *filter)
{
	struct ev_reader *r2 = NULL;
	struct ev_join *j = NULL;
	int err;

	if (!ev_reader_open(&r2, path))
		ev_join_read(r2, &j); /* a bad file is reported by the first pass */
	ev_reader_close(r2);
	err = ev_dump_filtered(r, out, EV_DUMP_PERFETTO, j, filter);
	ev_join_free(j);
	return err;
}

static int dump_fill(FILE *out, void *arg)
{
	struct dump_run *d = arg;
	struct ev_reader *r = NULL;
	struct ev_join *j = NULL;
	uint64_t faults, walk, host;
	int err = ev_reader_open(&r, d->o->path);

	if (err) {
		snprintf(d->error, sizeof(d->error), "%s", r ? ev_reader_error(r) : strerror(-err));
		ev_reader_close(r);
		return err; /* nothing to print: no output file either */
	}
	if (d->o->join) {
		err = ev_join_read(r, &j);
		if (j) {
			ev_join_print(j, out);
			ev_join_totals(j, &faults, &walk, &host);
			fprintf(out,
				"joined: %" PRIu64 " of %" PRIu64
				" guest faults have a KVM walk, %" PRIu64 " a host fault\n",
				walk, faults, host);
			fprintf(out, "        %" PRIu64 " of %" PRIu64 " have %s\n",
				ev_join_with_spte(j), faults,
				ev_join_tdp(j) ? "an NPT/EPT entry (TDP MMU: no guest walk by KVM)"
					       : "a shadow entry");
			ev_join_free(j);
		}
	} else if (d->o->fmt == EV_DUMP_PERFETTO) {
		err = perfetto_with_faults(d->o->path, r, out, &d->o->filter);
	} else {
		err = ev_dump_filtered(r, out, d->o->fmt, NULL, &d->o->filter);
	}
	if (err == -1)
		snprintf(d->error, sizeof(d->error), "%s", ev_reader_error(r));
	ev_reader_close(r);
	if (err == -1)
		err = 0; /* what was read is written; the error is reported after */
	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
	return err;
}

static int trace_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{"csv", no_argument, NULL, 'c'},	  {"csv-long", no_argument, NULL, 'L'},
		{"perfetto", no_argument, NULL, 'p'},	  {"join", no_argument, NULL, 'j'},
		{"output", required_argument, NULL, 'o'}, {"type", required_argument, NULL, 'T'},
		{"cpu", required_argument, NULL, 'C'},	  {"since", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'U'},  {"gva", required_argument, NULL, 'G'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0}};
	struct dump_opts o = {.fmt = EV_DUMP_TEXT};
	struct dump_run d = {.o = &o};
	int err;

	o.path = parse_common(argc, argv, "dump", opts, dump_set, &o);
	if (o.join && ev_dump_filter_active(&o.filter))
		die(EXIT_USAGE, "trace dump: --join reads every record: drop --type, --cpu, "
				"--since, --until and --gva, or the --join\n");
	if (o.out)
		err = write_file_atomic(o.out, dump_fill, &d, false);
	else
		err = dump_fill(stdout, &d);
	if (d.error[0]) {
		pr_err("trace dump: %s: %s\n", o.path, d.error);
		return EXIT_USAGE; /* a bad, truncated or missing input file */
	}
	if (err && !o.out)
		return 0; /* stdout failed: main reports it (EXIT_HOST) */
	if (err) {
		pr_err("trace dump: %s: %s: check -o\n", o.out, strerror(-err));
		return EXIT_HOST;
	}
	return 0;
}

static void stat_set(int opt, void *arg)
{
	bool *json = arg;

	if (opt == 'J')
		*json = true;
	else
		die(EXIT_USAGE, "trace stat prints to stdout: -o is for trace dump\n");
}

static int trace_stat(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'J'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	bool json = false;
	const char *path = parse_common(argc, argv, "stat", opts, stat_set, &json);

	int err = ev_stat_print(path, stdout, json);

	/* A failed write to stdout is main's to report (EXIT_HOST); the rest were reported:
	 * a bad, truncated or missing input file. */
	return err && !ferror(stdout) ? EXIT_USAGE : 0;
}

int cmd_trace(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "dump"))
		return trace_dump(argc - 1, argv + 1);
	if (!strcmp(sub, "stat"))
		return trace_stat(argc - 1, argv + 1);
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		usage(stdout);
		return 0;
	}
	return cmd_trace_capture(argc, argv);
}
