// SPDX-License-Identifier: GPL-2.0
/* run --trace: the eBPF capture of this process, into the run's event file. */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "common/log.h"
#include "run/internal.h"

#ifdef MEMVIRT_HAVE_BPF
#include "common/json.h"

static void trace_json(struct json *j, const void *arg)
{
	capture_stats_json(arg, j, "trace");
}

int run_trace_start(struct run_session *s)
{
	struct capture_config cc = {
		.pids = {getpid()}, .npids = 1, .w = s->vm.events, .all_events = s->cfg->trace_all};
	char err[512];

	if (!s->cfg->trace)
		return 0;
	if (capture_check_host(err, sizeof(err)) ||
	    !(s->capture = capture__start(&cc, err, sizeof(err)))) {
		snprintf(s->o->error, sizeof(s->o->error), "--trace: %s", err);
		return -1;
	}
	return 0;
}

void run_trace_stop(struct run_session *s)
{
	struct run_outcome *o = s->o;
	struct capture_stats *st = &s->capture_stats;

	if (!s->capture)
		return;
	if (capture__stop(s->capture, st))
		pr_warn("--trace: the capture ended with an error; events.mvev may be short\n");
	s->capture = NULL;
	o->traced = true;
	o->trace_records = st->total;
	o->trace_dropped = st->dropped_kvm + st->dropped_host;
	if (o->trace_dropped)
		pr_warn("--trace: %" PRIu64 " records lost in the kernel (ring buffer full)\n",
			o->trace_dropped);
	s->rec.extra_json = trace_json;
	s->rec.extra_arg = st;
}
#else
int run_trace_start(struct run_session *s)
{
	if (!s->cfg->trace)
		return 0;
	snprintf(s->o->error, sizeof(s->o->error),
		 "--trace: this memvirt was built without the eBPF tracer (clang, bpftool or "
		 "libbpf-dev missing): run scripts/install-deps.sh and rebuild");
	return -1;
}

void run_trace_stop(struct run_session *s)
{
}
#endif
