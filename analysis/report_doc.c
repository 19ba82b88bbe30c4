// SPDX-License-Identifier: GPL-2.0
/*
 * report.md and index.html: the headline table of every input, then each
 * plot with its caption (what it shows, its data file, the commands that made
 * its inputs), then the plots not drawn and why. The HTML is one page with
 * its style inline; it refers only to files of the report.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/jsonval.h"
#include "analysis/report_internal.h"
#include "common/version.h"

struct doc {
	FILE *f;
	bool html;
};

/* Text into the document: HTML-escaped, or Markdown with table pipes and backticks defused. */
static void put(struct doc *d, const char *s)
{
	for (; *s; s++) {
		if (d->html && *s == '<')
			fputs("&lt;", d->f);
		else if (d->html && *s == '>')
			fputs("&gt;", d->f);
		else if (d->html && *s == '&')
			fputs("&amp;", d->f);
		else if (d->html && *s == '"')
			fputs("&quot;", d->f);
		else if (!d->html && *s == '|')
			fputs("\\|", d->f);
		else if ((unsigned char)*s < 0x20)
			fputc(' ', d->f);
		else
			fputc(*s, d->f);
	}
}

/* A caption's text, with `code` spans as <code> in HTML. */
static void put_code_spans(struct doc *d, const char *s)
{
	bool in = false;
	char one[2] = {0};

	if (!d->html) {
		put(d, s);
		return;
	}
	for (; *s; s++) {
		if (*s == '`') {
			fputs(in ? "</code>" : "<code>", d->f);
			in = !in;
			continue;
		}
		one[0] = *s;
		put(d, one);
	}
	if (in)
		fputs("</code>", d->f);
}

static void num(struct doc *d, double v, int decimals)
{
	if (isnan(v))
		fputs(d->html ? "<td>-</td>" : " - |", d->f);
	else {
		fputs(d->html ? "<td class=\"n\">" : " ", d->f);
		fprintf(d->f, "%.*f", decimals, v);
		fputs(d->html ? "</td>" : " |", d->f);
	}
}

static void cell(struct doc *d, const char *s)
{
	fputs(d->html ? "<td>" : " ", d->f);
	put(d, s);
	fputs(d->html ? "</td>" : " |", d->f);
}

static void head(struct doc *d, int level, const char *s)
{
	if (d->html) {
		fprintf(d->f, "<h%d>", level);
		put(d, s);
		fprintf(d->f, "</h%d>\n", level);
	} else {
		fprintf(d->f, "\n%.*s %s\n\n", level, "####", s);
	}
}

static void para(struct doc *d, const char *s)
{
	fputs(d->html ? "<p>" : "", d->f);
	put_code_spans(d, s);
	fputs(d->html ? "</p>\n" : "\n\n", d->f);
}

static bool any_emulated(const struct report_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->in[i].times_emulated)
			return true;
	return false;
}

/* Sweeps and lab boots have no numbers of their own: the commands that made them. */
static void sweeps(struct doc *d, const struct report_set *s)
{
	char line[1400];

	for (size_t i = 0; i < s->n; i++) {
		const struct report_input *in = &s->in[i];

		if (in->kind != REPORT_SWEEP && in->kind != REPORT_LAB)
			continue;
		snprintf(line, sizeof(line), "%s %s: `%s`%s.",
			 in->kind == REPORT_SWEEP ? "Sweep" : "Lab boot", in->label,
			 in->command[0] ? in->command : "(no command line recorded)",
			 in->kind == REPORT_SWEEP ? "; its points are rows of the table" : "");
		para(d, line);
	}
}

static void headline(struct doc *d, const struct report_set *s)
{
	static const char *const cols[] = {"input", "source",	     "workload",	  "mode",
					   "MPKI",  "refs per walk", "cycles per access", "faults"};
	struct report_row *rows;
	size_t n;

	rows = report_rows(s, &n);
	fputs(d->html ? "<table>\n<tr>" : "|", d->f);
	for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
		fprintf(d->f, d->html ? "<th>%s</th>" : " %s |", cols[c]);
	fputs(d->html ? "</tr>\n" : "\n|", d->f);
	for (size_t c = 0; !d->html && c < sizeof(cols) / sizeof(cols[0]); c++)
		fputs(c < 4 ? "---|" : "---:|", d->f);
	fputs(d->html ? "" : "\n", d->f);
	for (size_t i = 0; i < n; i++) {
		const struct report_row *w = &rows[i];
		char src[40];

		snprintf(src, sizeof(src), "%s%s", w->source,
			 w->in->times_emulated ? " (TCG)" : "");
		fputs(d->html ? "<tr>" : "|", d->f);
		cell(d, w->in->label);
		cell(d, src);
		cell(d, w->workload);
		cell(d, w->mode);
		num(d, w->mpki, 2);
		num(d, w->refs_per_walk, 2);
		num(d, w->cycles_per_access, 2);
		num(d, w->faults, 0);
		fputs(d->html ? "</tr>\n" : "\n", d->f);
	}
	fputs(d->html ? "</table>\n" : "\n", d->f);
	free(rows);
	para(d, "MPKI: last-level TLB misses per 1000 accesses; refs per walk: memory "
		"references (table loads) per page walk; cycles per access: modelled cycles "
		"for sim rows, the guest's rdtsc cycles around the loop for runs; faults: faults "
		"the simulator counted, or the guest kernel's page faults in a run (- where an "
		"input does not have the value). Every row is in data/inputs.csv.");
	sweeps(d, s);
	if (any_emulated(s))
		para(d, "Times are emulated: inputs marked (TCG) ran in the lab under QEMU's TCG, "
			"so their cycles and times are those of an emulated CPU, not of any real "
			"machine; their counts are KVM's own.");
}

static void figure(struct doc *d, const struct report_out *o, const struct report_plot *p)
{
	char cmds[1400], txt[2400];

	if (p->only)
		snprintf(cmds, sizeof(cmds), "`%s`", p->only->command);
	else
		report_commands(o->set, p->kinds, cmds, sizeof(cmds));
	snprintf(txt, sizeof(txt), "%s Data: `data/%s`. Inputs made by: %s.", p->caption, p->csv,
		 cmds[0] ? cmds : "(no command line recorded)");
	head(d, 3, p->title);
	if (d->html) {
		fprintf(d->f, "<figure id=\"%s\">\n<img src=\"plots/%s.svg\" alt=\"", p->name,
			p->name);
		put(d, p->title);
		fprintf(d->f, "\" width=\"960\" height=\"600\">\n<figcaption>");
		put_code_spans(d, txt);
		fprintf(d->f,
			" <a href=\"plots/%s.png\">PNG</a> · <a href=\"plots/%s.gp\">gnuplot "
			"script</a> · <a href=\"data/%s\">data</a></figcaption>\n</figure>\n",
			p->name, p->name, p->csv);
		return;
	}
	fprintf(d->f, "![%s](plots/%s.svg)\n\n", p->title, p->name);
	put(d, txt);
	fprintf(d->f, " ([PNG](plots/%s.png), [gnuplot script](plots/%s.gp))\n\n", p->name,
		p->name);
}

static void not_drawn(struct doc *d, const struct report_out *o)
{
	unsigned n = 0;

	for (unsigned i = 0; i < o->nplots; i++)
		n += !o->plot[i].drawn;
	if (!n)
		return;
	head(d, 2, "Plots not drawn");
	fputs(d->html ? "<ul>\n" : "", d->f);
	for (unsigned i = 0; i < o->nplots; i++) {
		if (o->plot[i].drawn)
			continue;
		fputs(d->html ? "<li>" : "- ", d->f);
		put(d, o->plot[i].title);
		put(d, ": ");
		put(d, o->plot[i].why);
		fputs(d->html ? "</li>\n" : "\n", d->f);
	}
	fputs(d->html ? "</ul>\n" : "\n", d->f);
}

static void files(struct doc *d, const struct report_out *o)
{
	head(d, 2, "Data files");
	fputs(d->html ? "<ul>\n" : "", d->f);
	for (unsigned i = 0; i < o->ncsv; i++) {
		if (d->html)
			fprintf(d->f, "<li><a href=\"data/%s\">data/%s</a></li>\n", o->csv[i],
				o->csv[i]);
		else
			fprintf(d->f, "- [data/%s](data/%s)\n", o->csv[i], o->csv[i]);
	}
	fputs(d->html ? "</ul>\n" : "\n", d->f);
	para(d, "Columns and units: docs/report.md in memvirt's sources. Each plot's gnuplot "
		"script is plots/NAME.gp: run `gnuplot NAME.gp` in plots/ to draw it again.");
}

static const char css[] =
	"body{font-family:sans-serif;max-width:1000px;margin:1em auto;padding:0 1em;color:#222}"
	"table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:2px "
	"6px}td.n{text-align:right}th{background:#eee}figure{margin:1em 0}img{max-width:100%;"
	"height:auto;border:1px solid #ddd}figcaption{font-size:90%;color:#444}code{background:"
	"#f4f4f4}";

static int write_doc(const struct report_out *o, bool html)
{
	FILE *f = report_open(o, ".", html ? "index.html" : "report.md");
	struct doc d = {f, html};
	char when[32], intro[256];
	time_t now = time(NULL);
	struct tm tm;

	if (!f)
		return -errno;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	snprintf(intro, sizeof(intro),
		 "Written by memvirt %s (commit %s) at %s from %zu inputs (data/inputs.csv).",
		 memvirt_version(), memvirt_commit(), when, o->set->n);
	if (html)
		fprintf(f,
			"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			"<title>memvirt report</title>\n<style>%s</style>\n</head>\n<body>\n",
			css);
	head(&d, 1, "memvirt report");
	para(&d, intro);
	headline(&d, o->set);
	head(&d, 2, "Plots");
	for (unsigned i = 0; i < o->nplots; i++)
		if (o->plot[i].drawn)
			figure(&d, o, &o->plot[i]);
	not_drawn(&d, o);
	files(&d, o);
	if (html)
		fputs("</body>\n</html>\n", f);
	return report_close(f);
}

int report_write_docs(const struct report_out *o)
{
	int rc = write_doc(o, false);

	return rc ? rc : write_doc(o, true);
}

int report_write_data(struct report_out *o)
{
	int rc = report_csv_inputs(o);

	if (!rc)
		rc = report_plots_sim(o);
	if (!rc)
		rc = report_plots_traced(o);
	return rc;
}
