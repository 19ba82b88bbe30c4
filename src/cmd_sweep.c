// SPDX-License-Identifier: GPL-2.0
/* memvirt sweep: run, lab, sim or validate over a parameter grid, points in parallel. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "common/jsonval.h"
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "src/cmd_sweep.h"
#include "src/cmds.h"
#include "sweep/sweep.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: memvirt sweep --out DIR [options] [GRID] -- COMMAND [ARGS...]\n"
		"       memvirt sweep --out DIR [GRID] --emit-jobs JOBDIR -- COMMAND [ARGS...]\n"
		"       memvirt sweep --summary DIR\n\n"
		"Runs COMMAND (run, lab, sim or validate) once per point of a parameter grid, the\n"
		"cross product of the values given, each point this binary as a child writing\n"
		"into DIR/points/NNNN-key=value,.../ (its log.txt, point.json, and 'done' once\n"
		"it exited 0). Then writes DIR/summary.csv and DIR/summary.json: per point its\n"
		"parameters, exit status, duration and headline numbers (docs/sweep.md).\n\n"
		"GRID (each a comma-separated list; a range A..B steps by 1, A..B:+K by K,\n"
		"A..B:xK multiplies by K; sizes take K, M, G):\n"
		"  --footprint LIST   e.g. 64K..1G:x4\n"
		"  --page-size LIST   e.g. 4k,2m\n"
		"  --paging LIST      sim: native,nested,shadow; run: auto,shadow,tdp; lab: its\n"
		"                     --paging; validate: shadow,nested\n"
		"  --workload LIST    e.g. seq,gups (run: the workload argument)\n"
		"  --preset LIST      e.g. textbook,zen4\n"
		"  --seed LIST        e.g. 1..5\n"
		"  --iters LIST       e.g. 1..4:x2\n"
		"  --set KEY=LIST     any other option of COMMAND (KEY stride: its stride\n"
		"                     option), or for sim a configuration key SECTION.KEY\n"
		"                     (--set tlb2.4k+2m.entries=1024,2048: a configuration file\n"
		"                     per point, docs/sim-config.md); repeatable\n"
		"  --grid FILE        parameters from FILE: 'key = v1, v2' per line, # comments\n\n"
		"options:\n"
		"  --out DIR          the sweep's directory (default memvirt-out/sweep)\n"
		"  --jobs N           points run at once (default 1)\n"
		"  --resume           finish the sweep in DIR: points with a 'done' marker are\n"
		"                     kept, the others run again; refused if DIR's grid or\n"
		"                     command differ. Without it a DIR holding a sweep is refused\n"
		"  --emit-jobs JOBDIR write JOBDIR/jobs.txt (GNU parallel) and\n"
		"                     JOBDIR/sweep.sbatch (a Slurm array), run nothing\n"
		"  --point K          run point K only (what emitted jobs run)\n"
		"  --summary DIR      (re)build DIR's summary from its points, run nothing\n"
		"  -h, --help         this text\n\n"
		"examples:\n"
		"  memvirt sweep --out sw --footprint 64K..16M:x4 --paging native,nested,shadow "
		"\\\n"
		"      --jobs 2 -- sim --workload gups --iters 100000\n"
		"  memvirt sweep --out sw --set tlb2.4k+2m.entries=512,1024,2048 -- sim \\\n"
		"      --workload random --footprint 64M --paging nested\n"
		"  memvirt sweep --out sw --resume --footprint 64K..16M:x4 --paging all -- sim \\\n"
		"      --workload seq\n"
		"  memvirt sweep --out runs --workload seq,gups --seed 1..3 -- run --footprint "
		"16M\n"
		"  memvirt sweep --out labsw --paging shadow,tdp -- lab -- run touch --footprint "
		"1M\n"
		"  memvirt sweep --out sw --grid grid.txt --emit-jobs jobs -- sim --workload seq\n"
		"  parallel --joblog jobs/joblog --resume -j 4 < jobs/jobs.txt\n"
		"  memvirt sweep --summary sw\n\n"
		"exit status: 0 every point ok, 1 a point failed (the summary says which), 2 bad\n"
		"grid or usage, 3 DIR not writable, 130 interrupted (it says how to resume)\n");
}

static const char *const sweep_cmds[] = {"run", "lab", "sim", "validate"};

enum {
	O_OUT = 256,
	O_JOBS,
	O_GRID,
	O_SET,
	O_RESUME,
	O_EMIT,
	O_POINT,
	O_SUMMARY,
	O_PARAM, /* --footprint and the other grid flags: the name is the key */
};

static const struct option sweep_options[] = {
	{"out", required_argument, 0, O_OUT},
	{"jobs", required_argument, 0, O_JOBS},
	{"grid", required_argument, 0, O_GRID},
	{"set", required_argument, 0, O_SET},
	{"resume", no_argument, 0, O_RESUME},
	{"emit-jobs", required_argument, 0, O_EMIT},
	{"point", required_argument, 0, O_POINT},
	{"summary", required_argument, 0, O_SUMMARY},
	{"footprint", required_argument, 0, O_PARAM},
	{"page-size", required_argument, 0, O_PARAM},
	{"paging", required_argument, 0, O_PARAM},
	{"workload", required_argument, 0, O_PARAM},
	{"preset", required_argument, 0, O_PARAM},
	{"seed", required_argument, 0, O_PARAM},
	{"iters", required_argument, 0, O_PARAM},
	{"help", no_argument, 0, 'h'},
	{0, 0, 0, 0},
};

static void grid_add(struct sweep_opts *o, const char *key, const char *list)
{
	char err[300];

	if (sweep_grid__add(&o->grid, key, list, err, sizeof(err)))
		die(EXIT_USAGE, "sweep: %s\n", err);
}

static void set_option(struct sweep_opts *o, const char *arg)
{
	char key[SWEEP_KEY_MAX];
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(key))
		opt_bad("sweep", "--set", arg, "expected KEY=VALUE[,VALUE...]");
	snprintf(key, sizeof(key), "%.*s", (int)(eq - arg), arg);
	grid_add(o, key, eq + 1);
}

/* Options before '--'; returns the --summary DIR or NULL. */
static const char *parse_opts(int argc, char **argv, struct sweep_opts *o, const char **grid)
{
	const char *summary = NULL;
	int opt, idx;

	opterr = 0;
	optind = 1;
	/* '+': stop at '--' or the first non-option, the command's own arguments. */
	while ((opt = getopt_long(argc, argv, "+:h", sweep_options, &idx)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (opt == ':')
			die(EXIT_USAGE, "option '%s' needs a value: run 'memvirt sweep --help'\n",
			    argv[optind - 1]);
		switch (opt) {
		case O_OUT:
			if (snprintf(o->out, sizeof(o->out), "%s",
				     opt_path("sweep", "--out", optarg)) >= (int)sizeof(o->out))
				opt_bad("sweep", "--out", optarg, "path too long");
			break;
		case O_JOBS:
			o->jobs = (unsigned)opt_u64_range("sweep", "--jobs", optarg, 1, 256);
			break;
		case O_GRID:
			*grid = opt_path("sweep", "--grid", optarg);
			break;
		case O_SET:
			set_option(o, optarg);
			break;
		case O_RESUME:
			o->resume = true;
			break;
		case O_EMIT:
			o->emit_dir = opt_path("sweep", "--emit-jobs", optarg);
			break;
		case O_POINT:
			o->point = opt_u64_range("sweep", "--point", optarg, 1, SWEEP_MAX_POINTS);
			break;
		case O_SUMMARY:
			summary = opt_path("sweep", "--summary", optarg);
			break;
		case O_PARAM:
			grid_add(o, sweep_options[idx].name, optarg);
			break;
		default:
			die(EXIT_USAGE, "unknown option '%s': run 'memvirt sweep --help'\n",
			    argv[optind - 1]);
		}
	}
	return summary;
}

static void parse_command(int argc, char **argv, struct sweep_opts *o)
{
	bool known = false;

	if (optind >= argc || strcmp(argv[optind - 1], "--"))
		die(EXIT_USAGE, "no command: end the grid with '-- COMMAND [ARGS...]' (run, lab, "
				"sim or validate): run 'memvirt sweep --help'\n");
	o->cmd = argv + optind;
	o->ncmd = argc - optind;
	for (size_t i = 0; i < ARRAY_SIZE(sweep_cmds); i++)
		known |= !strcmp(o->cmd[0], sweep_cmds[i]);
	if (!known)
		die(EXIT_USAGE, "sweep: command '%s': expected run, lab, sim or validate\n",
		    o->cmd[0]);
	if (o->ncmd + 2 * SWEEP_MAX_PARAMS + 8 > SWEEP_MAX_ARGS)
		die(EXIT_USAGE, "sweep: the command has too many arguments\n");
	for (int i = 1; i < o->ncmd; i++)
		if (!strcmp(o->cmd[i], "--out") || !strncmp(o->cmd[i], "--out=", 6))
			die(EXIT_USAGE, "sweep: the command's --out is the sweep's: each point "
					"writes into DIR/points/NAME; leave --out out of the "
					"command\n");
	/* A value both in the grid and in the command: which one a point gets is unclear. */
	for (unsigned p = 0; p < o->grid.nparams; p++) {
		size_t l = strlen(o->grid.p[p].key);

		for (int i = 1; i < o->ncmd; i++)
			if (!strncmp(o->cmd[i], "--", 2) &&
			    !strncmp(o->cmd[i] + 2, o->grid.p[p].key, l) &&
			    (o->cmd[i][2 + l] == 0 || o->cmd[i][2 + l] == '='))
				die(EXIT_USAGE,
				    "sweep: %s is both a parameter of the grid and in the command: "
				    "give it once\n",
				    o->cmd[i]);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Running the points. */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	if (sig != SIGCHLD && sig != SIGALRM)
		stop_signal = sig;
}

struct point_file {
	const struct sweep_opts *o;
	uint64_t k;
	const struct point_cmd *pc;
};

static int fill_point(FILE *f, void *arg)
{
	const struct point_file *p = arg;
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "schema", "memvirt-sweep-point/1");
	memvirt_provenance_json(&j);
	json_u64(&j, "point", p->k + 1);
	json_obj_begin(&j, "parameters");
	for (unsigned i = 0; i < p->o->grid.nparams; i++)
		json_str(&j, p->o->grid.p[i].key, sweep_grid__value(&p->o->grid, p->k, i));
	json_obj_end(&j);
	json_arr_begin(&j, "command");
	for (int i = 0; i < p->pc->argc; i++)
		json_str(&j, NULL, p->pc->argv[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	return json_finish(&j);
}

static int fill_text(FILE *f, void *arg)
{
	fputs(arg, f);
	return ferror(f) ? -EIO : 0;
}

/* The point's directory, point.json, its configuration file; then the child. */
static int point_start(const struct sweep_opts *o, uint64_t k, struct sweep_job *job,
		       struct point_cmd *pc)
{
	struct point_file pf = {o, k, pc};
	char err[400], path[4200];
	int rc;

	memset(job, 0, sizeof(*job));
	job->index = k;
	sweep_point_dir(o, k, job->dir, sizeof(job->dir));
	if (sweep_point_cmd(o, k, job->dir, pc, err, sizeof(err)))
		die(EXIT_USAGE, "%s\n", err);
	rc = mkdir_p(job->dir);
	snprintf(path, sizeof(path), "%s/%s", job->dir, SWEEP_DONE_FILE);
	/* A redone point is not done until it ends again. */
	if (!rc && unlink(path) && errno != ENOENT)
		rc = -errno;
	snprintf(path, sizeof(path), "%s/%s", job->dir, SWEEP_POINT_FILE);
	if (!rc)
		rc = write_file_atomic(path, fill_point, &pf, false);
	snprintf(path, sizeof(path), "%s/sim.conf", job->dir);
	if (!rc && pc->has_conf)
		rc = write_file_atomic(path, fill_text, pc->conf, false);
	if (rc)
		return rc;
	job->argv = pc->argv;
	job->stdout_path = pc->stdout_file;
	return sweep_job__start(job);
}

struct progress {
	uint64_t total, done, failed, started_done; /* started_done: done before this run */
	uint64_t t0;
	bool tty;
};

static void progress_show(const struct progress *p, const struct sweep_job *ended)
{
	double el = (double)(now_ns() - p->t0) / 1e9;
	uint64_t ran = p->done + p->failed - p->started_done;
	double rate = el > 0 ? (double)ran / el : 0;
	uint64_t left = p->total - p->done - p->failed;
	char bar[32];
	unsigned fill;

	if (!p->tty) {
		if (ended)
			fprintf(stderr, "sweep: %" PRIu64 "/%" PRIu64 " %s: %s, %.2f s\n",
				p->done + p->failed, p->total, strrchr(ended->dir, '/') + 1,
				ended->status ? "FAILED" : "ok", ended->seconds);
		return;
	}
	fill = (unsigned)((p->done + p->failed) * 20 / (p->total ? p->total : 1));
	for (unsigned i = 0; i < 20; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[20] = 0;
	fprintf(stderr, "\rsweep [%s] %" PRIu64 "/%" PRIu64 " done, %" PRIu64 " failed, %.2f/s",
		bar, p->done, p->total, p->failed, rate);
	if (rate > 0)
		fprintf(stderr, ", ETA %.0f s ", (double)left / rate);
	fprintf(stderr, "\033[K");
}

static void job_ended(struct sweep_job *job, int wst, struct progress *pr)
{
	int rc;

	job->seconds = (double)(now_ns() - job->t0) / 1e9;
	job->status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
	job->pid = 0;
	if (stop_signal && job->status)
		return; /* stopped by us: neither done nor failed, it runs again on resume */
	rc = sweep_job__record(job);
	if (rc)
		die(EXIT_HOST, "sweep: writing the state of %s: %s: check DIR\n", job->dir,
		    strerror(-rc));
	if (job->status)
		pr->failed++;
	else
		pr->done++;
	progress_show(pr, job);
}

static void signals_setup(sigset_t *old)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
}

/* SIGTERM to every running child's group, and wait for them all. */
static void stop_children(struct sweep_job *jobs, unsigned n, struct progress *pr)
{
	int wst;

	for (unsigned i = 0; i < n; i++)
		if (jobs[i].pid > 0)
			kill(-jobs[i].pid, SIGTERM);
	for (unsigned i = 0; i < n; i++)
		if (jobs[i].pid > 0 && waitpid(jobs[i].pid, &wst, 0) > 0)
			job_ended(&jobs[i], wst, pr);
}

/* Reap what ended; 1 if any did. */
static int reap(struct sweep_job *jobs, unsigned n, struct progress *pr)
{
	int any = 0, wst;

	for (unsigned i = 0; i < n; i++) {
		if (jobs[i].pid <= 0 || waitpid(jobs[i].pid, &wst, WNOHANG) != jobs[i].pid)
			continue;
		job_ended(&jobs[i], wst, pr);
		any = 1;
	}
	return any;
}

static uint64_t next_todo(const struct sweep_opts *o, uint64_t k, uint64_t end)
{
	char dir[4200];

	for (; k < end; k++) {
		sweep_point_dir(o, k, dir, sizeof(dir));
		if (!sweep_point_done(dir))
			return k;
	}
	return end;
}

/* Every point not done yet, @o->jobs at a time. Returns the signal that stopped it, or 0. */
static int run_points(const struct sweep_opts *o, uint64_t first, uint64_t end, struct progress *pr)
{
	static struct point_cmd pcs[256];
	struct sweep_job *jobs = calloc(o->jobs, sizeof(*jobs));
	struct itimerval tick = {{1, 0}, {1, 0}};
	unsigned running = 0;
	uint64_t k = next_todo(o, first, end);
	sigset_t old;
	int rc;

	if (!jobs)
		die(EXIT_HOST, "sweep: out of memory\n");
	signals_setup(&old);
	if (pr->tty)
		setitimer(ITIMER_REAL, &tick, NULL);
	while (!stop_signal && (running || k < end)) {
		for (unsigned i = 0; i < o->jobs && k < end && !stop_signal; i++) {
			if (jobs[i].pid > 0)
				continue;
			rc = point_start(o, k, &jobs[i], &pcs[i]);
			if (rc)
				die(EXIT_HOST, "sweep: starting point %" PRIu64 " in %s: %s\n",
				    k + 1, jobs[i].dir, strerror(-rc));
			k = next_todo(o, k + 1, end);
		}
		running = 0;
		for (unsigned i = 0; i < o->jobs; i++)
			running += jobs[i].pid > 0;
		if (!reap(jobs, o->jobs, pr) && running && !stop_signal)
			sigsuspend(&old);
		reap(jobs, o->jobs, pr);
		running = 0;
		for (unsigned i = 0; i < o->jobs; i++)
			running += jobs[i].pid > 0;
		if (pr->tty)
			progress_show(pr, NULL);
	}
	if (stop_signal)
		stop_children(jobs, o->jobs, pr);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pr->tty) {
		setitimer(ITIMER_REAL, &(struct itimerval){0}, NULL);
		fputc('\n', stderr);
	}
	free(jobs);
	return stop_signal;
}

/* ------------------------------------------------------------------------------------------ */

/* The command line that finishes an interrupted sweep: this one with --resume, DIR absolute. */
static void say_resume(int argc, char **argv, const struct sweep_opts *o, uint64_t done,
		       uint64_t total)
{
	char line[8192] = "memvirt sweep --resume --out ";
	bool cmd = false;

	sweep_shell_quote(o->out, line, sizeof(line));
	for (int i = 1; i < argc; i++) {
		if (!cmd && !strcmp(argv[i], "--out") && i + 1 < argc) {
			i++;
			continue;
		}
		if (!cmd && (!strcmp(argv[i], "--resume") || !strncmp(argv[i], "--out=", 6)))
			continue;
		cmd |= !strcmp(argv[i], "--");
		strncat(line, " ", sizeof(line) - strlen(line) - 1);
		sweep_shell_quote(argv[i], line, sizeof(line));
	}
	pr_err("sweep: interrupted: %" PRIu64 " of %" PRIu64 " points done in %s; finish with: "
	       "%s\n",
	       done, total, o->out, line);
}

static void grid_identity(struct sweep_opts *o)
{
	static char text[1 << 20];
	uint64_t h = SWEEP_HASH_INIT;

	if (sweep_grid__text(&o->grid, text, sizeof(text)))
		die(EXIT_USAGE, "sweep: the grid is too large\n");
	h = sweep_hash(text, strlen(text), h);
	for (int i = 0; i < o->ncmd; i++)
		h = sweep_hash(o->cmd[i], strlen(o->cmd[i]) + 1, h);
	snprintf(o->grid_id, sizeof(o->grid_id), "%016" PRIx64, h);
}

/* DIR/sweep.json: a new sweep, one to resume (same grid), or one refused. */
static void check_state(const struct sweep_opts *o, bool may_exist)
{
	char path[1200], err[300];
	const char *id;
	struct jv *d;
	int rc;

	snprintf(path, sizeof(path), "%s/sweep.json", o->out);
	if (access(path, F_OK))
		return;
	if (!may_exist)
		die(EXIT_USAGE,
		    "sweep: %s holds a sweep already: add --resume to finish it, or give another "
		    "--out\n",
		    o->out);
	rc = jv_parse_file_max(path, 1 << 24, &d, err, sizeof(err));
	if (rc)
		die(EXIT_USAGE, "sweep: %s: cannot be read (%s): give another --out\n", path, err);
	id = jv_str(jv_get(d, "grid_id"));
	if (!id || strcmp(id, o->grid_id))
		die(EXIT_USAGE,
		    "sweep: %s was made with another grid or command (see its grid.txt): give "
		    "the same ones to resume, or another --out\n",
		    o->out);
	jv_free(d);
}

static void prepare_out(struct sweep_opts *o)
{
	char abs[PATH_MAX];
	int rc = mkdir_p(o->out);

	if (rc)
		die(EXIT_HOST, "sweep: --out %s: cannot create it: %s: give another directory\n",
		    o->out, strerror(-rc));
	rc = dir_writable(o->out);
	if (rc)
		die(EXIT_HOST, "sweep: --out %s: cannot write there: %s: give another directory\n",
		    o->out, strerror(-rc));
	/* Children and emitted jobs may run elsewhere: every path they see is absolute. */
	if (!realpath(o->out, abs))
		die(EXIT_HOST, "sweep: --out %s: %s\n", o->out, strerror(errno));
	if (strlen(abs) >= sizeof(o->out))
		die(EXIT_USAGE, "sweep: --out %s: its absolute path is longer than %zu bytes\n",
		    o->out, sizeof(o->out) - 1);
	memcpy(o->out, abs, strlen(abs) + 1);
}

static int summarize(const struct sweep_opts *o, struct sweep_counts *c)
{
	int rc = sweep_summary_write(o, c);

	if (rc)
		die(EXIT_HOST, "sweep: writing %s/summary.csv: %s\n", o->out, strerror(-rc));
	printf("sweep: %" PRIu64 " ok, %" PRIu64 " failed, %" PRIu64 " not run; %s/summary.csv\n",
	       c->ok, c->failed, c->not_run, o->out);
	if (c->failed)
		pr_err("sweep: %" PRIu64 " point(s) failed, their log.txt in %s/points says why: "
		       "%s\n",
		       c->failed, o->out, c->failed_names);
	return c->failed || c->not_run ? 1 : 0;
}

/* --summary DIR: its grid from DIR/grid.txt. */
static int summary_only(struct sweep_opts *o, const char *dir)
{
	struct sweep_counts c;
	char path[1200], err[400];

	snprintf(o->out, sizeof(o->out), "%s", dir);
	snprintf(path, sizeof(path), "%s/grid.txt", dir);
	if (access(path, F_OK))
		die(EXIT_USAGE, "sweep: --summary %s: no sweep there (no grid.txt)\n", dir);
	if (sweep_grid__load(&o->grid, path, err, sizeof(err)))
		die(EXIT_USAGE, "sweep: %s\n", err);
	if (dir_writable(dir))
		die(EXIT_HOST, "sweep: --summary %s: cannot write there\n", dir);
	return summarize(o, &c);
}

/* --emit-jobs DIR, made and named by its absolute path (the jobs may run elsewhere). */
static int emit(struct sweep_opts *o)
{
	static char abs[PATH_MAX];
	int rc = mkdir_p(o->emit_dir);

	if (rc || !realpath(o->emit_dir, abs))
		die(EXIT_HOST, "sweep: --emit-jobs %s: cannot create it: %s\n", o->emit_dir,
		    strerror(rc ? -rc : errno));
	o->emit_dir = abs;
	return sweep_emit_jobs(o) ? EXIT_HOST : 0;
}

int cmd_sweep(int argc, char **argv)
{
	static struct sweep_opts o;
	struct progress pr = {.tty = isatty(STDERR_FILENO) == 1};
	struct sweep_counts c;
	const char *grid = NULL, *summary;
	char err[400];
	uint64_t n, first = 0;
	int sig;

	sweep_grid__init(&o.grid);
	o.jobs = 1;
	snprintf(o.out, sizeof(o.out), "memvirt-out/sweep");
	summary = parse_opts(argc, argv, &o, &grid);
	if (summary)
		return summary_only(&o, summary);
	if (grid && sweep_grid__load(&o.grid, grid, err, sizeof(err)))
		die(EXIT_USAGE, "sweep: %s\n", err);
	parse_command(argc, argv, &o);
	n = sweep_grid__points(&o.grid);
	if (!n)
		die(EXIT_USAGE, "sweep: the grid has over %d points: split it\n", SWEEP_MAX_POINTS);
	if (o.point > n)
		opt_bad("sweep", "--point", argv[optind - 1], "beyond the grid's points");
	if (!realpath("/proc/self/exe", o.self))
		die(EXIT_HOST, "sweep: /proc/self/exe: %s\n", strerror(errno));
	grid_identity(&o);
	/* Every point's command line is checked before anything runs. */
	for (uint64_t k = 0; k < n && k < 4096; k++) {
		static struct point_cmd pc;

		if (sweep_point_cmd(&o, k, "DIR", &pc, err, sizeof(err)))
			die(EXIT_USAGE, "%s\n", err);
	}
	prepare_out(&o);
	check_state(&o, o.resume || o.point || o.emit_dir);
	if (sweep_write_state(&o))
		die(EXIT_HOST, "sweep: cannot write %s/sweep.json\n", o.out);
	if (o.emit_dir)
		return emit(&o);
	if (o.point) {
		first = o.point - 1;
		n = o.point;
	}
	pr.total = n - first;
	for (uint64_t k = first; k < n; k++) {
		char dir[4200];

		sweep_point_dir(&o, k, dir, sizeof(dir));
		pr.done += sweep_point_done(dir);
	}
	pr.started_done = pr.done;
	pr.t0 = now_ns();
	sig = run_points(&o, first, n, &pr);
	if (sig) {
		say_resume(argc, argv, &o, pr.done, pr.total);
		return EXIT_SIGNAL;
	}
	if (o.point)
		return pr.failed ? 1 : 0;
	return summarize(&o, &c);
}
