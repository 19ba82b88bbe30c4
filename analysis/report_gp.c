// SPDX-License-Identifier: GPL-2.0
/*
 * The files of a report and the gnuplot scripts' common parts, and gnuplot
 * itself: each script draws its SVG and PNG when run from OUT/plots (so a
 * user can restyle and rerun it), or text with -e dumb=1.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/jsonval.h"
#include "common/util.h"
#include "analysis/report_internal.h"

FILE *report_open(const struct report_out *o, const char *sub, const char *name)
{
	char path[REPORT_PATH_MAX + 128];

	snprintf(path, sizeof(path), "%s/%s/%s", o->dir, sub, name);
	return fopen(path, "w");
}

int report_close(FILE *f)
{
	int bad = ferror(f);

	if (fclose(f) || bad)
		return errno ? -errno : -EIO;
	return 0;
}

void csv_num(FILE *f, double v)
{
	if (isnan(v))
		fputc(',', f);
	else
		fprintf(f, ",%.6g", v);
}

void csv_str(FILE *f, const char *s)
{
	fputc(',', f);
	csv_write_field(f, s);
}

void report_gp_clause(FILE *f, bool first, const char *csv, const char *series, const char *xcol,
		      const char *ycol, const char *style)
{
	fprintf(f,
		"%s\"../data/%s\" using (strcol(\"series\") eq \"%s\" ? %s : NaN):%s with %s "
		"title \"%s\"",
		first ? "plot " : ", \\\n     ", csv, series, xcol, ycol, style, series);
}

FILE *report_csv(struct report_out *o, const char *name, const char *header)
{
	FILE *f;

	for (unsigned i = 0; i < o->ncsv; i++)
		if (!strcmp(o->csv[i], name))
			return report_open(o, "data", name); /* already listed: rewritten */
	f = report_open(o, "data", name);
	if (f) {
		fprintf(f, "%s\n", header);
		if (o->ncsv < sizeof(o->csv) / sizeof(o->csv[0]))
			snprintf(o->csv[o->ncsv++], sizeof(o->csv[0]), "%s", name);
	}
	return f;
}

struct report_plot *report_plot_add(struct report_out *o, const char *name, const char *title,
				    const char *csv, bool main_plot)
{
	struct report_plot *p;

	if (o->nplots >= REPORT_MAX_PLOTS)
		return NULL;
	p = &o->plot[o->nplots++];
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->title = title;
	p->csv = csv;
	p->main = main_plot;
	p->kinds = 1u << REPORT_RUN; /* the traced plots; the others say */
	return p;
}

void report_plot_skip(struct report_plot *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	p->drawn = false;
}

FILE *report_gp_open(struct report_out *o, struct report_plot *p, const char *xlabel,
		     const char *ylabel)
{
	char name[96];
	FILE *f;

	snprintf(name, sizeof(name), "%s.gp", p->name);
	f = report_open(o, "plots", name);
	if (!f)
		return NULL;
	fprintf(f,
		"# %s: drawn by 'memvirt report' from ../data/%s (docs/report.md).\n"
		"# Run from this directory: gnuplot %s.gp (SVG and PNG), or gnuplot -e dumb=1 "
		"%s.gp (text).\n"
		"reset\n"
		"if (exists(\"dumb\")) {\n"
		"    set terminal dumb size 100,28\n"
		"    set output\n"
		"} else {\n"
		"    set terminal svg size 960,600 fixed noenhanced font \"sans,12\" background "
		"\"white\"\n"
		"    set output \"%s.svg\"\n"
		"}\n"
		"set datafile separator comma\n"
		"set datafile columnheaders\n"
		"set title \"%s\"\n"
		"set xlabel \"%s\"\n"
		"set ylabel \"%s\"\n"
		"set key outside right top box\n"
		"set grid\n",
		p->name, p->csv, p->name, p->name, p->name, p->title, xlabel, ylabel);
	return f;
}

int report_gp_close(FILE *f, struct report_plot *p)
{
	/* The same plot again as PNG: pngcairo where gnuplot has it, else libgd's png. */
	fprintf(f,
		"if (!exists(\"dumb\")) {\n"
		"    if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) {\n"
		"        set terminal pngcairo size 960,600 noenhanced font \"sans,10\"\n"
		"    } else {\n"
		"        set terminal png size 960,600\n"
		"    }\n"
		"    set output \"%s.png\"\n"
		"    replot\n"
		"    unset output\n"
		"}\n",
		p->name);
	p->drawn = true;
	return report_close(f);
}

void report_commands(const struct report_set *s, unsigned mask, char *buf, size_t len)
{
	size_t n = 0, shown = 0, more = 0;

	buf[0] = 0;
	for (size_t i = 0; i < s->n && n < len; i++) {
		const struct report_input *in = &s->in[i];
		bool dup = false;

		if ((mask && !(mask & (1u << in->kind))) || !in->command[0])
			continue;
		for (size_t k = 0; k < i && !dup; k++)
			dup = !strcmp(s->in[k].command, in->command);
		if (dup)
			continue;
		if (shown == 4) {
			more++;
			continue;
		}
		int w = snprintf(buf + n, len - n, "%s`%s`", shown ? "; " : "", in->command);

		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
		shown++;
	}
	if (more && n < len)
		snprintf(buf + n, len - n, "; and %zu more (data/inputs.csv)", more);
}

const char *report_sim_workload(const struct report_input *in)
{
	if (in->kind != REPORT_SIM)
		return NULL;
	return jv_path_str(in->doc, "config.input.workload", NULL);
}

/* gnuplot @args... in @dir, its stdout to @out_fd (or /dev/null), stderr kept in @err. */
static int run_gnuplot(const char *dir, const char *const *args, int out_fd, char *err,
		       size_t errlen)
{
	int pipefd[2], status;
	pid_t pid;
	ssize_t got;
	size_t n = 0;

	if (pipe(pipefd))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pipefd[1], 2);
		if (out_fd >= 0)
			dup2(out_fd, 1);
		else
			freopen("/dev/null", "w", stdout);
		close(pipefd[0]);
		if (chdir(dir))
			_exit(126);
		execvp("gnuplot", (char *const *)args);
		_exit(127);
	}
	close(pipefd[1]);
	err[0] = 0;
	/* Read to the end, keeping the first message: a full pipe would stop gnuplot. */
	for (;;) {
		char sink[512];

		got = n < errlen - 1 ? read(pipefd[0], err + n, errlen - 1 - n)
				     : read(pipefd[0], sink, sizeof(sink));
		if (got <= 0)
			break;
		if (n < errlen - 1)
			n += (size_t)got;
	}
	err[n] = 0;
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0) {
		int e = errno;

		/* a signal to stop the report: gnuplot must not write on into its directory */
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -e;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/*
 * One gnuplot process runs every script in turn (each starts with 'reset'):
 * its start-up, not the drawing, is most of the time of a small plot.
 */
int report_render(struct report_out *o, bool progress, char *err, size_t errlen)
{
	char dir[REPORT_PATH_MAX + 16], script[REPORT_MAX_PLOTS][64], why[1024];
	const char *args[REPORT_MAX_PLOTS + 2] = {"gnuplot"};
	unsigned n = 0;
	int rc;

	snprintf(dir, sizeof(dir), "%s/plots", o->dir);
	for (unsigned i = 0; i < o->nplots; i++) {
		if (!o->plot[i].drawn)
			continue;
		snprintf(script[n], sizeof(script[n]), "%s.gp", o->plot[i].name);
		args[n + 1] = script[n];
		n++;
	}
	if (!n)
		return 0;
	if (progress)
		fprintf(stderr, "report: drawing %u plots with gnuplot ...", n);
	rc = run_gnuplot(dir, args, -1, why, sizeof(why));
	if (progress)
		fprintf(stderr, "\r%50s\r", "");
	if (rc) {
		char *nl;

		while ((nl = strchr(why, '\n')) && nl[1] == 0)
			*nl = 0;
		for (nl = why; (nl = strchr(nl, '\n'));)
			*nl = ' '; /* one line */
		snprintf(err, errlen, "gnuplot failed in %s: %s", dir,
			 rc == -ENOENT ? "not installed" : why);
	}
	return rc;
}

int report_terminal(const struct report_out *o, FILE *out)
{
	char dir[REPORT_PATH_MAX + 16], script[96], why[1024];

	snprintf(dir, sizeof(dir), "%s/plots", o->dir);
	for (unsigned i = 0; i < o->nplots; i++) {
		const char *args[] = {"gnuplot", "-e", "dumb=1", script, NULL};
		int rc;

		if (!o->plot[i].drawn || !o->plot[i].main)
			continue;
		fflush(out);
		snprintf(script, sizeof(script), "%s.gp", o->plot[i].name);
		rc = run_gnuplot(dir, args, fileno(out), why, sizeof(why));
		if (rc)
			return rc;
	}
	return 0;
}

int report_gnuplot_check(void)
{
	const char *args[] = {"gnuplot", "--version", NULL};
	char why[256];

	return run_gnuplot(".", args, -1, why, sizeof(why));
}
