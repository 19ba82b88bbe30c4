// SPDX-License-Identifier: GPL-2.0
/*
 * The probes of trace/hostfault.bpf.c: exception faults of the traced
 * processes, and the hook that sees the host faults of KVM's
 * get_user_pages, chosen for this kernel with a stand-by.
 */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "trace/capture_internal.h"
#include "trace/probes.h"

static const struct probe_def hostfault_probes[] = {
	{PROBE_TP, "exceptions", "page_fault_user", "mv_pf_user"},
	{PROBE_TP, "exceptions", "page_fault_kernel", "mv_pf_kernel"},
	{PROBE_TP, "kmem", "rss_stat", "mv_rss"},
	{PROBE_FEXIT, "fexit", "handle_mm_fault", "mv_mm_fault"},
};

const struct probe_family hostfault_family = {"hostfault", hostfault_probes,
					      ARRAY_SIZE(hostfault_probes)};

/*
 * Host faults of KVM's get_user_pages have no tracepoint. kmem:rss_stat sees
 * each page charged to the VMM, but before Linux 6.2 (a kernel whose BTF has
 * struct task_rss_stat) a thread's rss changes reach it only once per ~64
 * (per-task batching): there fexit on handle_mm_fault, which sees every
 * fault, counts them, with rss_stat loaded as the stand-by should it fail to
 * load or attach. MEMVIRT_TRACE_GUP_HOOK=rss_stat|handle_mm_fault overrides.
 */
void hostfault_choose_gup_hook(struct capture *cap, struct kbtf *kb)
{
	int rss = probe_index("mv_rss"), mmf = probe_index("mv_mm_fault");
	const char *force = getenv("MEMVIRT_TRACE_GUP_HOOK");
	bool want_mmf;

	cap->rss_batched = kbtf__has_struct(kb, "task_rss_stat");
	want_mmf = force && *force ? !strcmp(force, "handle_mm_fault") : cap->rss_batched;
	cap->gup_primary = cap->gup_standby = -1;
	if (want_mmf && capture__probe_candidate(cap, mmf)) {
		cap->gup_primary = mmf;
		cap->gup_standby = capture__probe_candidate(cap, rss) ? rss : -1;
		return;
	}
	cap->gup_primary = capture__probe_candidate(cap, rss) ? rss : -1;
	if (capture__probe_candidate(cap, mmf))
		capture__skip_probe(cap, (unsigned)mmf, CAPTURE_SKIP_UNUSED,
				    "kmem:rss_stat sees every page charged on this kernel");
}

bool hostfault_is_gup_hook(const struct capture *cap, int i)
{
	return i == cap->gup_primary || i == cap->gup_standby;
}

void hostfault_rejected(struct capture *cap, int i)
{
	if (i == cap->gup_primary) {
		cap->gup_primary = cap->gup_standby;
		cap->gup_standby = -1;
	} else if (i == cap->gup_standby) {
		cap->gup_standby = -1;
	}
}

void hostfault_attach_gup_hook(struct capture *cap)
{
	int mmf = probe_index("mv_mm_fault");
	int used = -1;

	if (cap->gup_primary >= 0 && capture__attach_probe(cap, (unsigned)cap->gup_primary))
		used = cap->gup_primary;
	else if (cap->gup_standby >= 0 && capture__attach_probe(cap, (unsigned)cap->gup_standby))
		used = cap->gup_standby;
	if (used < 0)
		cap->st.gup_hook = CAPTURE_GUP_NONE;
	else if (used == mmf)
		cap->st.gup_hook = CAPTURE_GUP_HANDLE_MM_FAULT;
	else
		cap->st.gup_hook =
			cap->rss_batched ? CAPTURE_GUP_RSS_BATCHED : CAPTURE_GUP_RSS_STAT;
	if (used == cap->gup_primary && cap->gup_standby >= 0)
		capture__skip_probe(cap, (unsigned)cap->gup_standby, CAPTURE_SKIP_UNUSED,
				    "host gup faults counted by %s",
				    capture_gup_hook_name(cap->st.gup_hook));
}
