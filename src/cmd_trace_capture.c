// SPDX-License-Identifier: GPL-2.0
/* memvirt trace -p PID / trace -- COMMAND: capture with the eBPF probes. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "lab/lab.h"
#include "common/util.h"
#include "host/host.h"
#include "src/cmds.h"

#ifdef MEMVIRT_HAVE_BPF
#include "common/json.h"
#include "trace/capture.h"
#include "analysis/analysis.h"
#include "trace/evfile.h"
#endif

static void usage(FILE *f)
{
	fprintf(f, "usage: memvirt trace -p PID [options]\n"
		   "       memvirt trace [options] -- COMMAND [ARGS...]\n\n"
		   "Records the KVM MMU work (one record per guest page-table walk, shadow\n"
		   "entries set, shadow pages created and zapped, ...) and the host page faults\n"
		   "of one VMM process into an event file, with eBPF probes filtered in the\n"
		   "kernel to that process. Needs root (or CAP_BPF and CAP_PERFMON), tracefs and\n"
		   "kernel BTF.\n\n"
		   "options:\n"
		   "  -p, --pid PID[,PID..] trace these running KVM processes (until they exit,\n"
		   "                        -d runs out or Ctrl-C)\n"
		   "  -d, --duration S      stop after S seconds\n"
		   "  -o, --output FILE     event file (default trace.mvev)\n"
		   "      --ring-size SIZE  kernel ring buffer, a power of two (default 16M)\n"
		   "      --trace-all       a record for every emulator walk and emulated\n"
		   "                        instruction too (by default counted in the kernel)\n"
		   "      --json            print the counts as JSON on stdout\n"
		   "  -v, --verbose         say which probes were skipped, libbpf details\n"
		   "  -h, --help            this text\n\n"
		   "examples:\n"
		   "  memvirt trace -p $(pidof qemu-system-x86_64) -d 10 -o qemu.mvev\n"
		   "  memvirt trace -o seq.mvev -- memvirt run seq --footprint 64M --iters 1\n"
		   "  memvirt trace stat seq.mvev\n\n"
		   "exit status: 0 ok, 2 bad usage, 3 host problem (no root, tracefs, BTF, pid);\n"
		   "with -- COMMAND, the command's status when it failed\n");
}

#ifndef MEMVIRT_HAVE_BPF

int cmd_trace_capture(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	pr_err("trace: this memvirt was built without the eBPF tracer (clang, bpftool or "
	       "libbpf-dev missing at build time): run scripts/install-deps.sh and rebuild\n");
	return EXIT_HOST;
}

#else

struct trace_opts {
	pid_t pids[CAPTURE_MAX_PIDS];
	unsigned npids;
	double duration_s;
	const char *output;
	uint64_t ring_bytes;
	bool json;
	bool all_events;
	char **command; /* after "--" */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void parse_pids(struct trace_opts *o, const char *list)
{
	char buf[512], *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		opt_bad("trace", "-p", list, "list too long");
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v = opt_u64("trace", "-p", tok);

		if (v == 0 || v > INT_MAX)
			opt_bad("trace", "-p", tok, "expected a process id");
		if (o->npids == CAPTURE_MAX_PIDS)
			opt_bad("trace", "-p", list, "at most 64 processes");
		o->pids[o->npids++] = (pid_t)v;
	}
}

static void parse(int argc, char **argv, struct trace_opts *o)
{
	static const struct option opts[] = {
		{"pid", required_argument, 0, 'p'},
		{"duration", required_argument, 0, 'd'},
		{"output", required_argument, 0, 'o'},
		{"ring-size", required_argument, 0, 'r'},
		{"ring", required_argument, 0, 'r'}, /* its older name, hidden */
		{"json", no_argument, 0, 'j'},
		{"verbose", no_argument, 0, 'v'},
		{"trace-all", no_argument, 0, 'A'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->output = "trace.mvev";
	opterr = 0;
	optind = 1;
	/* '+': stop at the first non-option, so COMMAND's own options stay its own. */
	while ((c = getopt_long(argc, argv, "+:p:d:o:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			parse_pids(o, optarg);
			break;
		case 'd':
			o->duration_s = opt_seconds("trace", "-d", optarg, false);
			break;
		case 'o':
			o->output = opt_path("trace", "-o", optarg);
			break;
		case 'r':
			o->ring_bytes = opt_size("trace", "--ring-size", optarg);
			if (o->ring_bytes < 4096 || (o->ring_bytes & (o->ring_bytes - 1)) ||
			    o->ring_bytes > (1u << 30))
				opt_bad("trace", "--ring-size", optarg,
					"expected a power of two from 4K to 1G");
			break;
		case 'j':
			o->json = true;
			break;
		case 'A':
			o->all_events = true;
			break;
		case 'v':
			log_level = LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			die(EXIT_USAGE, "option '%s' needs a value: run 'memvirt trace --help'\n",
			    argv[optind - 1]);
		default:
			die(EXIT_USAGE, "unknown option '%s': run 'memvirt trace --help'\n",
			    argv[optind - 1]);
		}
	}
	if (optind < argc && !strcmp(argv[optind - 1], "--"))
		o->command = &argv[optind];
	else if (optind < argc)
		die(EXIT_USAGE, "unexpected argument '%s': to trace a command put it after '--'\n",
		    argv[optind]);
	if (!o->npids == !o->command)
		die(EXIT_USAGE, "give either -p PID or -- COMMAND: run 'memvirt trace --help'\n");
}

/* The process exists and has a KVM VM open (a kvm-vm anonymous inode among its fds). */
static int check_kvm_process(pid_t pid, char *err, size_t len)
{
	char path[64], comm[64] = "?";
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, len, "no process with pid %d", (int)pid);
		return -ESRCH;
	}
	if (fgets(comm, sizeof(comm), f))
		comm[strcspn(comm, "\n")] = 0;
	fclose(f);
	if (host_pid_tgid(pid) != pid) {
		snprintf(err, len, "pid %d is a thread of process %d: give the process id",
			 (int)pid, (int)host_pid_tgid(pid));
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	ret = host_pid_has_kvm_vm("/", pid);
	if (ret < 0) {
		snprintf(err, len, "cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	if (!ret) {
		snprintf(err, len,
			 "process %d (%s) is not a KVM VMM: it has no anon_inode:kvm-vm descriptor "
			 "in %s",
			 (int)pid, comm, path);
		return -EINVAL;
	}
	return 0;
}

static void print_json(const struct trace_opts *o, const struct capture_stats *st)
{
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_str(&j, "file", o->output);
	json_arr_begin(&j, "pids");
	for (unsigned i = 0; i < o->npids; i++)
		json_u64(&j, NULL, (uint64_t)o->pids[i]);
	json_arr_end(&j);
	capture_stats_json(st, &j, "trace");
	json_obj_end(&j);
	json_finish(&j);
	fputc('\n', stdout);
}

static void report(const struct trace_opts *o, const struct capture_stats *st)
{
	uint64_t dropped = st->dropped_kvm + st->dropped_host;

	if (dropped)
		pr_warn("trace: %" PRIu64 " records lost in the kernel (ring buffer full): "
			"use a larger --ring-size\n",
			dropped);
	if (o->json) {
		print_json(o, st);
		return;
	}
	printf("memvirt trace: %" PRIu64 " records in %.3f s to %s\n", st->total,
	       (double)st->duration_ns / 1e9, o->output);
	capture_stats_print(st, stdout);
	fflush(stdout);
	ev_stat_print(o->output, stdout, false);
}

_Static_assert(CAPTURE_MAX_PIDS <= HOST_WAIT_MAX_PIDS, "host_wait_pids must take every traced pid");

/* One line once the probes are on (their count is capture's line above): what ends it. */
static void announce(const struct trace_opts *o, const struct capture_config *cc)
{
	char until[64];

	if (o->duration_s > 0)
		snprintf(until, sizeof(until), "for %g s", o->duration_s);
	else
		snprintf(until, sizeof(until), "until %s exits",
			 o->command	 ? "the command"
			 : cc->npids > 1 ? "every process"
					 : "the process");
	pr_info("trace: capturing into %s %s; Ctrl-C to stop\n", o->output, until);
}

static int trace_run(struct trace_opts *o)
{
	struct capture_config cc = {.ring_bytes = o->ring_bytes, .all_events = o->all_events};
	struct sigaction sa = {.sa_handler = on_signal};
	struct capture_stats st;
	struct ev_writer *w = NULL;
	struct capture *cap;
	int release = -1, child_status = 0, ret;
	pid_t child = 0;
	char err[512], lab[256];

	if (o->command) {
		child = host_spawn_held(o->command, "trace", &release);
		if (child < 0) {
			pr_err("trace: cannot start %s: %s\n", o->command[0], strerror(errno));
			return EXIT_HOST;
		}
		o->pids[o->npids++] = child;
	}
	ret = ev_writer_open(&w, o->output, 0, o->npids == 1 ? (uint32_t)o->pids[0] : 0, false);
	if (ret) {
		pr_err("trace: cannot create %s: %s\n", o->output, strerror(-ret));
		goto fail_child;
	}
	if (lab_describe(lab, sizeof(lab)))
		ev_write_note(w, "lab: %s", lab);
	memcpy(cc.pids, o->pids, sizeof(cc.pids));
	cc.npids = o->npids;
	cc.w = w;
	cap = capture__start(&cc, err, sizeof(err));
	if (!cap) {
		pr_err("trace: %s\n", err);
		ev_writer_abort(w);
		goto fail_child;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	announce(o, &cc);
	if (release >= 0) {
		/* The command runs from here on; EOF without the byte makes it exit 127. */
		ret = host_release_held(release);
		if (ret)
			pr_warn("trace: cannot release %s: %s\n", o->command[0], strerror(-ret));
	}
	host_wait_pids(o->pids, o->npids, child,
		       o->duration_s > 0 ? now_ns() + (uint64_t)(o->duration_s * 1e9) : 0,
		       &stop_signal, &child_status);
	ret = capture__stop(cap, &st);
	ret = ev_writer_close(w, true) ?: ret;
	if (ret) {
		pr_err("trace: writing %s failed: %s\n", o->output, strerror(-ret));
		return EXIT_HOST;
	}
	report(o, &st);
	if (child > 0 && !stop_signal && WIFEXITED(child_status) && WEXITSTATUS(child_status))
		return WEXITSTATUS(child_status);
	return 0;

fail_child:
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return EXIT_HOST;
}

int cmd_trace_capture(int argc, char **argv)
{
	struct trace_opts o;
	char err[512];

	parse(argc, argv, &o);
	if (capture_check_host(err, sizeof(err))) {
		pr_err("trace: %s\n", err);
		return EXIT_HOST;
	}
	for (unsigned i = 0; i < o.npids; i++) {
		if (check_kvm_process(o.pids[i], err, sizeof(err))) {
			pr_err("trace: %s\n", err);
			return EXIT_HOST;
		}
	}
	return trace_run(&o);
}

#endif
