// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt report DIR...: the results under DIR (sim, run, lab, sweep
 * directories, validate's JSON) as CSV tables, gnuplot plots, report.md and
 * index.html, built in a temporary directory beside OUT and renamed into place.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/report.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "src/cmds.h"

#define REPORT_DEFAULT_OUT "memvirt-out/report"

/* SIGINT or SIGTERM while the report is built: its temporary directory is removed first. */
static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

/* Only where the signals still have their default action, as common/tmpclean.h does. */
static void catch_stop(void)
{
	struct sigaction sa = {.sa_handler = on_stop}, old;
	const int sigs[] = {SIGINT, SIGTERM};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!sigaction(sigs[i], NULL, &old) && old.sa_handler == SIG_DFL)
			sigaction(sigs[i], &sa, NULL); /* no SA_RESTART: waiting for gnuplot ends */
}

/* A stop signal came: remove @tmp, then end as the signal would have. */
static void stop_check(const char *tmp);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: memvirt report DIR... [-o OUT] [--terminal] [--json]\n\n"
		"Searches each DIR recursively for results: sim directories (sim.json), run\n"
		"directories (run.json, and events.mvev when traced), lab output (lab.json),\n"
		"sweep directories (sweep.json and one directory per point) and validate's\n"
		"JSON (memvirt-validate/1), all merged into one report in OUT:\n"
		"index.html and report.md (a headline table per input, then the plots with\n"
		"captions), data/*.csv (tidy tables), plots/*.svg and *.png drawn by gnuplot\n"
		"from plots/*.gp (rerun 'gnuplot NAME.gp' in OUT/plots after restyling).\n"
		"A plot whose data no input holds is not drawn; the report says why.\n"
		"OUT is replaced as a whole when it holds an earlier report (docs/report.md).\n\n"
		"options:\n"
		"  -o, --output OUT   the report's directory (default %s)\n"
		"  --terminal         also draw the main plots as text on stdout (gnuplot's dumb\n"
		"                     terminal, for SSH sessions); the files are written too\n"
		"  --json             print a summary of what was written (memvirt-report/1)\n"
		"  -h, --help         this text\n\n"
		"examples:\n"
		"  memvirt sim --workload gups --footprint 4M --paging all --out r/gups-4M\n"
		"  memvirt sim --workload gups --footprint 64M --paging all --out r/gups-64M\n"
		"  memvirt report r -o r/report\n"
		"  memvirt report sweep1 sweep2 lab-out --terminal\n"
		"  memvirt report r --json > summary.json\n\n"
		"exit status: 0 ok, 2 bad usage or an unreadable or malformed input (one line\n"
		"naming the file; nothing is written), 3 gnuplot missing or OUT not writable\n",
		REPORT_DEFAULT_OUT);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* An existing OUT may be replaced only when it is an earlier report or empty. */
static void check_out(const char *out)
{
	char path[REPORT_PATH_MAX + 32];
	struct stat st;

	if (stat(out, &st))
		return;
	if (!S_ISDIR(st.st_mode))
		die(EXIT_USAGE, "-o %s: exists and is not a directory: choose another -o\n", out);
	snprintf(path, sizeof(path), "%s/report.md", out);
	if (!access(path, F_OK))
		return;
	if (rmdir(out) == 0 || errno == ENOENT)
		return; /* empty: made again at the end */
	die(EXIT_USAGE,
	    "-o %s: exists and is not a report (no report.md): choose another -o or remove it\n",
	    out);
}

/* .NAME.tmp-XXXXXX beside OUT, with data/ and plots/. */
static void make_tmp(const char *out, char *tmp, size_t len)
{
	char copy[REPORT_PATH_MAX], copy2[REPORT_PATH_MAX], sub[REPORT_PATH_MAX + 64];
	const char *parent, *base;
	int rc;

	snprintf(copy, sizeof(copy), "%s", out);
	snprintf(copy2, sizeof(copy2), "%s", out);
	parent = dirname(copy);
	base = basename(copy2);
	rc = mkdir_p(parent);
	if (rc)
		die(EXIT_HOST, "-o %s: cannot make %s: %s\n", out, parent, strerror(-rc));
	if (snprintf(tmp, len, "%s/.%s.tmp-XXXXXX", parent, base) >= (int)len)
		die(EXIT_USAGE, "-o %s: path too long\n", out);
	if (!mkdtemp(tmp))
		die(EXIT_HOST, "-o %s: cannot make a directory in %s: %s\n", out, parent,
		    strerror(errno));
	chmod(tmp, 0755);
	snprintf(sub, sizeof(sub), "%s/data", tmp);
	rc = mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/plots", tmp);
	if (rc || mkdir(sub, 0755)) {
		rc = errno;
		rm_tree(tmp);
		die(EXIT_HOST, "-o %s: %s: %s\n", out, sub, strerror(rc));
	}
}

/* Put the finished report at OUT; an earlier report there is moved aside, then removed. */
static int install(const char *tmp, const char *out)
{
	char old[REPORT_PATH_MAX + 16];
	bool had = !access(out, F_OK);

	snprintf(old, sizeof(old), "%s.old-XXXXXX", tmp);
	if (had && (!mkdtemp(old) || rename(out, old)))
		return -errno;
	if (rename(tmp, out)) {
		int e = errno;

		if (had)
			rename(old, out);
		return -e;
	}
	if (had)
		rm_tree(old);
	return 0;
}

static void print_json(const struct report_out *o, const struct report_set *s, const char *out)
{
	struct json j;
	char path[REPORT_PATH_MAX + 96];

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_str(&j, "schema", "memvirt-report/1");
	json_str(&j, "command", "report");
	memvirt_provenance_json(&j);
	json_str(&j, "out", out);
	snprintf(path, sizeof(path), "%s/index.html", out);
	json_str(&j, "index", path);
	snprintf(path, sizeof(path), "%s/report.md", out);
	json_str(&j, "markdown", path);
	json_arr_begin(&j, "inputs");
	for (size_t i = 0; i < s->n; i++) {
		static const char *const kinds[] = {"sim", "run", "lab", "validate", "sweep"};

		json_obj_begin(&j, NULL);
		json_str(&j, "label", s->in[i].label);
		json_str(&j, "kind", kinds[s->in[i].kind]);
		json_str(&j, "path", s->in[i].path);
		json_bool(&j, "traced", s->in[i].trace != NULL);
		json_bool(&j, "times_emulated", s->in[i].times_emulated);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "data");
	for (unsigned i = 0; i < o->ncsv; i++) {
		snprintf(path, sizeof(path), "data/%s", o->csv[i]);
		json_str(&j, NULL, path);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "plots");
	for (unsigned i = 0; i < o->nplots; i++) {
		const struct report_plot *p = &o->plot[i];

		json_obj_begin(&j, NULL);
		json_str(&j, "name", p->name);
		json_str(&j, "title", p->title);
		json_bool(&j, "drawn", p->drawn);
		if (p->drawn) {
			snprintf(path, sizeof(path), "plots/%s", p->name);
			json_str(&j, "files", path);
			json_str(&j, "data", p->csv);
		} else {
			json_str(&j, "why", p->why);
		}
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

static void stop_check(const char *tmp)
{
	if (!stop_sig)
		return;
	rm_tree(tmp);
	signal(stop_sig, SIG_DFL);
	raise(stop_sig);
}

static void build(struct report_out *o, const char *out, bool progress)
{
	char err[1400];
	int rc = report_write_data(o);

	stop_check(o->dir);
	if (!rc)
		rc = report_render(o, progress, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "writing the report's data: %s", strerror(-rc));
	stop_check(o->dir);
	if (!rc) {
		rc = report_write_docs(o);
		if (rc)
			snprintf(err, sizeof(err), "writing report.md and index.html: %s",
				 strerror(-rc));
	}
	stop_check(o->dir);
	if (!rc) {
		rc = install(o->dir, out);
		if (rc)
			snprintf(err, sizeof(err), "cannot put the report at %s: %s", out,
				 strerror(-rc));
	}
	if (rc) {
		rm_tree(o->dir);
		die(EXIT_HOST, "-o %s: %s\n", out, err);
	}
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, 0, 'o'},
					     {"terminal", no_argument, 0, 't'},
					     {"json", no_argument, 0, 'j'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	static struct report_out o;
	struct report_set set = {0};
	const char *out = REPORT_DEFAULT_OUT;
	bool terminal = false, json = false;
	char err[REPORT_PATH_MAX + 400], tmp[REPORT_PATH_MAX + 32];
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt == 'o')
			out = opt_path("report", "-o", optarg);
		else if (opt == 't')
			terminal = true;
		else if (opt == 'j')
			json = true;
		else
			die(EXIT_USAGE, "%s '%s': run 'memvirt report --help'\n",
			    opt == ':' ? "option needs a value" : "unknown option",
			    argv[optind - 1]);
	}
	if (optind >= argc)
		die(EXIT_USAGE, "give at least one DIR of results: run 'memvirt report --help'\n");
	if (strlen(out) >= REPORT_PATH_MAX - 64)
		die(EXIT_USAGE, "-o %s: path too long\n", out);
	for (int i = optind; i < argc; i++) {
		int rc = report_scan(&set, argv[i], err, sizeof(err));

		if (rc == -ENOMEM)
			die(EXIT_HOST, "out of memory reading %s\n", argv[i]);
		if (rc)
			die(EXIT_USAGE, "%s\n", err);
	}
	if (!set.n)
		die(EXIT_USAGE,
		    "no results under %s%s: give directories holding sim.json, run.json, lab.json, "
		    "sweep.json or validate's JSON\n",
		    argv[optind], argc - optind > 1 ? " and the others" : "");
	report_label(&set);
	if (report_gnuplot_check())
		die(EXIT_HOST, "gnuplot is not installed or does not run: install it (Debian: "
			       "apt-get install gnuplot-nox) and run memvirt report again\n");
	check_out(out);
	catch_stop();
	make_tmp(out, tmp, sizeof(tmp));
	o.dir = tmp;
	o.set = &set;
	build(&o, out, isatty(2));
	o.dir = out;
	if (terminal && report_terminal(&o, stdout))
		pr_warn("gnuplot could not draw the plots as text\n");
	if (json)
		print_json(&o, &set, out);
	else
		printf("%s/index.html\n", out);
	report_set_free(&set);
	return 0;
}
