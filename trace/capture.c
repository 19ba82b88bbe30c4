// SPDX-License-Identifier: GPL-2.0
/* Load, attach and drain the KVM MMU / host-fault probes into an event file. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "trace/capture.h"
#include "trace/evfile.h"
#include "trace/probes.h"
#include "kvmmmu.skel.h"

#define DEFAULT_RING_BYTES (16u << 20)
#define DEFAULT_POLL_MS	   100
#define CAP_PERFMON_BIT	   38
#define CAP_BPF_BIT	   39
#define CAP_SYSADM_BIT	   21

struct capture {
	struct kvmmmu *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[CAPTURE_NPROBES];
	struct ev_writer *w;
	int gup_primary, gup_standby; /* probe indexes of the host gup fault hooks, -1 none */
	bool rss_batched;	      /* this kernel batches kmem:rss_stat (before 6.2) */
	pthread_t thread;
	bool thread_running;
	atomic_bool stop;
	int poll_ms;
	int poll_err;
	uint64_t t0;
	struct capture_stats st;
};

/* Effective capabilities from /proc/self/status (no libcap). */
static uint64_t cap_effective(void)
{
	char line[256];
	uint64_t caps = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "CapEff:", 7)) {
			caps = strtoull(line + 7, NULL, 16);
			break;
		}
	}
	fclose(f);
	return caps;
}

int capture_check_host(char *err, size_t len)
{
	uint64_t caps = cap_effective();
	bool bpf = (caps >> CAP_BPF_BIT & 1) && (caps >> CAP_PERFMON_BIT & 1);
	const char *tfs = probe_tracefs_dir(), *btf = probe_btf_path();
	char path[600];
	struct stat sb;

	if (!bpf && !(caps >> CAP_SYSADM_BIT & 1)) {
		snprintf(err, len,
			 "tracing needs root, or CAP_BPF and CAP_PERFMON (effective caps 0x%" PRIx64
			 "): run it as root, e.g. sudo memvirt trace ...",
			 caps);
		return -EPERM;
	}
	snprintf(path, sizeof(path), "%s/events", tfs);
	if (stat(path, &sb) || !S_ISDIR(sb.st_mode)) {
		snprintf(err, len,
			 "tracefs is not mounted at %s: mount it with 'mount -t tracefs nodev %s'",
			 tfs, tfs);
		return -ENOENT;
	}
	if (stat(btf, &sb)) {
		snprintf(err, len,
			 "this kernel has no BTF (%s is missing): the tracer needs a kernel built "
			 "with CONFIG_DEBUG_INFO_BTF=y",
			 btf);
		return -ENOENT;
	}
	return 0;
}

/* One record as the file wants it, header and body, copied into the writer's buffer in one piece.
 */
static void write_one(struct capture *cap, const void *data, size_t size)
{
	const struct kvm_rec_hdr *h = data;
	const struct ev_type *t;

	if (size < sizeof(*h) || h->size != size || !(t = kvm_ev_type(h->type)) ||
	    t->body_size + sizeof(*h) != size || ev_write_record(cap->w, t, data)) {
		cap->st.bad++;
		return;
	}
	cap->st.records[h->type]++;
	cap->st.total++;
}

/*
 * A bundle (events_kvm.h): the records of one shadow fault in slots, written
 * as separate records in slot order; empty slots are skipped by their size.
 */
static void write_bundle(struct capture *cap, const uint8_t *data, size_t size)
{
	const struct kvm_bundle_hdr *bh = (const void *)data;
	size_t off = sizeof(*bh);

	if (size < sizeof(*bh) || bh->size != size || bh->nslots > KVM_BUNDLE_MAX_PARTS) {
		cap->st.bad++;
		return;
	}
	for (unsigned i = 0; i < bh->nslots; i++) {
		const struct kvm_rec_hdr *h = (const void *)(data + off);

		if (off + sizeof(*h) > size || h->size < sizeof(*h) || h->size > size - off) {
			cap->st.bad++;
			return;
		}
		if (bh->parts & (1u << i))
			write_one(cap, h, h->size);
		off += h->size;
	}
}

/* One ring-buffer sample: a record laid out as in the file, or a bundle of them. */
static int on_sample(void *ctx, void *data, size_t size)
{
	struct capture *cap = ctx;

	if (size >= sizeof(uint16_t) && *(const uint16_t *)data == KVM_REC_BUNDLE)
		write_bundle(cap, data, size);
	else
		write_one(cap, data, size);
	return 0;
}

/*
 * The consumer: wait up to poll_ms for a wakeup (the programs wake it only
 * when the ring is half full), then drain whatever is there. It runs until
 * capture__stop() asks, never for a number of polls. Its cost per record is
 * a copy into the writer's buffer (no system call: the writer flushes 64K at
 * a time); -v prints the CPU time it used, which shares the cores with the
 * vCPUs.
 */
static void *consumer(void *arg)
{
	struct capture *cap = arg;
	struct rusage ru;

	while (!atomic_load(&cap->stop)) {
		int n = ring_buffer__poll(cap->rb, cap->poll_ms);

		if (n < 0 && n != -EINTR) {
			cap->poll_err = n;
			break;
		}
		ring_buffer__consume(cap->rb);
	}
	if (!getrusage(RUSAGE_THREAD, &ru))
		pr_debug("trace: consumer thread used %ld.%06ld s user, %ld.%06ld s system\n",
			 (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
			 (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
	return NULL;
}

static int set_filter(struct capture *cap, const struct capture_config *c, char *err, size_t len)
{
	__u8 one = 1;

	for (unsigned i = 0; i < c->npids; i++) {
		__u32 tgid = (__u32)c->pids[i];
		int ret = bpf_map__update_elem(cap->skel->maps.tgids, &tgid, sizeof(tgid), &one,
					       sizeof(one), BPF_ANY);

		if (ret) {
			snprintf(err, len, "cannot set the pid filter: %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static void probe_skip(struct capture *cap, unsigned i, enum capture_skip why, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void probe_skip(struct capture *cap, unsigned i, enum capture_skip why, const char *fmt, ...)
{
	struct capture_probe *cp = &cap->st.probe[i];
	va_list ap;

	cp->skip = why;
	cp->attached = false;
	va_start(ap, fmt);
	vsnprintf(cp->detail, sizeof(cp->detail), fmt, ap);
	va_end(ap);
}

/*
 * Whether this kernel offers probe @i: its event in tracefs and its type in
 * vmlinux's BTF or a module's (KVM built as a module), or its function in
 * vmlinux's BTF. A probe still a candidate keeps skip CAPTURE_PROBE_ATTACHED.
 */
static void select_probe(struct capture *cap, struct kbtf *kb, unsigned i)
{
	const struct probe_def *p = &probe_defs[i];
	struct capture_probe *cp = &cap->st.probe[i];
	const char *where;
	char path[600];
	struct stat sb;

	cp->system = p->system;
	cp->event = p->event;
	if (!bpf_object__find_program_by_name(cap->skel->obj, p->prog)) {
		probe_skip(cap, i, CAPTURE_SKIP_NO_PROGRAM, "no program %s", p->prog);
		return;
	}
	if (probe_excluded(p)) {
		probe_skip(cap, i, CAPTURE_SKIP_EXCLUDED, "MEMVIRT_TRACE_SKIP");
		return;
	}
	if (p->kind == PROBE_FEXIT) {
		if (kbtf__has_func(kb, p->event))
			snprintf(cp->btf, sizeof(cp->btf), "vmlinux");
		else
			probe_skip(cap, i, CAPTURE_SKIP_NO_BTF, "no function %s in %s", p->event,
				   probe_btf_path());
		return;
	}
	snprintf(path, sizeof(path), "%s/events/%s/%s", probe_tracefs_dir(), p->system, p->event);
	if (stat(path, &sb)) {
		probe_skip(cap, i, CAPTURE_SKIP_NO_EVENT, "no %s", path);
		return;
	}
	where = kbtf__find_tracepoint(kb, p->system, p->event);
	if (!where) {
		probe_skip(cap, i, CAPTURE_SKIP_NO_BTF,
			   "btf_trace_%s is neither in vmlinux's BTF nor in a module's", p->event);
		return;
	}
	snprintf(cp->btf, sizeof(cp->btf), "%s", where);
}

static bool probe_candidate(const struct capture *cap, int i)
{
	return i >= 0 && cap->st.probe[i].skip == CAPTURE_PROBE_ATTACHED;
}

/*
 * Host faults of KVM's get_user_pages have no tracepoint. kmem:rss_stat sees
 * each page charged to the VMM, but before Linux 6.2 (a kernel whose BTF has
 * struct task_rss_stat) a thread's rss changes reach it only once per ~64
 * (per-task batching): there fexit on handle_mm_fault, which sees every
 * fault, counts them, with rss_stat loaded as the stand-by should it fail to
 * load or attach. MEMVIRT_TRACE_GUP_HOOK=rss_stat|handle_mm_fault overrides.
 */
static void choose_gup_hook(struct capture *cap, struct kbtf *kb)
{
	int rss = probe_index("mv_rss"), mmf = probe_index("mv_mm_fault");
	const char *force = getenv("MEMVIRT_TRACE_GUP_HOOK");
	bool want_mmf;

	cap->rss_batched = kbtf__has_struct(kb, "task_rss_stat");
	want_mmf = force && *force ? !strcmp(force, "handle_mm_fault") : cap->rss_batched;
	cap->gup_primary = cap->gup_standby = -1;
	if (want_mmf && probe_candidate(cap, mmf)) {
		cap->gup_primary = mmf;
		cap->gup_standby = probe_candidate(cap, rss) ? rss : -1;
		return;
	}
	cap->gup_primary = probe_candidate(cap, rss) ? rss : -1;
	if (probe_candidate(cap, mmf))
		probe_skip(cap, (unsigned)mmf, CAPTURE_SKIP_UNUSED,
			   "kmem:rss_stat sees every page charged on this kernel");
}

static int select_probes(struct capture *cap, char *err, size_t len)
{
	struct kbtf *kb = kbtf__open(probe_btf_path());

	if (!kb) {
		snprintf(err, len, "cannot read kernel BTF %s: %s", probe_btf_path(),
			 strerror(errno));
		return -ENOENT;
	}
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++)
		select_probe(cap, kb, i);
	choose_gup_hook(cap, kb);
	kbtf__free(kb);
	return 0;
}

/* Open the object and set what must be set before load: sizes, read-only config, programs. */
static int open_configured(struct capture *cap, const struct capture_config *c, char *err,
			   size_t len)
{
	uint64_t ring = c->ring_bytes ? c->ring_bytes : DEFAULT_RING_BYTES;

	if (ring < 4096 || ring > (1u << 30) || (ring & (ring - 1))) {
		snprintf(err, len,
			 "ring buffer size %" PRIu64 " must be a power of two from 4K to 1G", ring);
		return -EINVAL;
	}
	cap->skel = kvmmmu__open();
	if (!cap->skel) {
		snprintf(err, len, "cannot open the BPF object: %s", strerror(errno));
		return -errno;
	}
	bpf_map__set_max_entries(cap->skel->maps.events, (__u32)ring);
	cap->skel->rodata->wakeup_bytes = ring / 2;
	cap->skel->rodata->only_tgid = c->npids == 1 ? (__u32)c->pids[0] : 0;
	cap->skel->rodata->trace_all = c->all_events;
	cap->st.all_events = c->all_events;
	/* For tests: every thread's walk state in task-local storage, the slow path. */
	cap->skel->rodata->walk_slots_off = getenv("MEMVIRT_TRACE_NO_WALK_SLOTS") != NULL;
	return 0;
}

static void set_autoload(struct capture *cap)
{
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		struct bpf_program *prog =
			bpf_object__find_program_by_name(cap->skel->obj, probe_defs[i].prog);

		if (prog)
			bpf_program__set_autoload(prog, probe_candidate(cap, (int)i));
	}
}

/* The verifier refused probe @i: leave it out, and its stand-by takes its place. */
static void reject(struct capture *cap, int i)
{
	const struct probe_def *p = &probe_defs[i];

	probe_skip(cap, (unsigned)i, CAPTURE_SKIP_REJECTED, "%s", probe_log_reason());
	pr_warn("trace: %s:%s rejected by the verifier (%s): loading the others without it\n",
		p->system, p->event, probe_log_reason());
	if (i == cap->gup_primary) {
		cap->gup_primary = cap->gup_standby;
		cap->gup_standby = -1;
	} else if (i == cap->gup_standby) {
		cap->gup_standby = -1;
	}
}

/*
 * Choose the probes this kernel has, then load. A program the verifier
 * rejects is named, left out, and the object loaded again without it (a
 * failed object cannot be loaded twice, so it is opened anew).
 */
static int open_and_load(struct capture *cap, const struct capture_config *c, char *err, size_t len)
{
	int ret = 0;

	for (unsigned tries = 0; tries <= CAPTURE_NPROBES; tries++) {
		int i;

		ret = open_configured(cap, c, err, len);
		if (ret)
			return ret;
		if (tries == 0 && (ret = select_probes(cap, err, len)))
			return ret;
		set_autoload(cap);
		probe_log_reset();
		ret = kvmmmu__load(cap->skel);
		if (!ret)
			return 0;
		i = probe_index(probe_log_failed_prog());
		if (i < 0 || !probe_candidate(cap, i))
			break;
		reject(cap, i);
		kvmmmu__destroy(cap->skel);
		cap->skel = NULL;
	}
	snprintf(err, len, "cannot load the BPF programs: %s%s%s%s", strerror(-ret),
		 *probe_log_failed_prog() ? " (program " : "", probe_log_failed_prog(),
		 *probe_log_failed_prog() ? "; the verifier's log is above)" : "");
	return ret;
}

static bool is_kvm_probe(const struct probe_def *p)
{
	return !strcmp(p->system, "kvm") || !strcmp(p->system, "kvmmmu");
}

static bool attach_one(struct capture *cap, unsigned i)
{
	struct bpf_program *prog =
		bpf_object__find_program_by_name(cap->skel->obj, probe_defs[i].prog);

	cap->links[i] = bpf_program__attach(prog);
	if (!cap->links[i]) {
		probe_skip(cap, i, CAPTURE_SKIP_ATTACH, "%s", strerror(errno));
		return false;
	}
	cap->st.probe[i].attached = true;
	cap->st.attached++;
	cap->st.kvm_attached += is_kvm_probe(&probe_defs[i]);
	return true;
}

/* The host gup fault hook: the chosen one, else its stand-by. */
static void attach_gup_hook(struct capture *cap)
{
	int mmf = probe_index("mv_mm_fault");
	int used = -1;

	if (cap->gup_primary >= 0 && attach_one(cap, (unsigned)cap->gup_primary))
		used = cap->gup_primary;
	else if (cap->gup_standby >= 0 && attach_one(cap, (unsigned)cap->gup_standby))
		used = cap->gup_standby;
	if (used < 0)
		cap->st.gup_hook = CAPTURE_GUP_NONE;
	else if (used == mmf)
		cap->st.gup_hook = CAPTURE_GUP_HANDLE_MM_FAULT;
	else
		cap->st.gup_hook =
			cap->rss_batched ? CAPTURE_GUP_RSS_BATCHED : CAPTURE_GUP_RSS_STAT;
	if (used == cap->gup_primary && cap->gup_standby >= 0)
		probe_skip(cap, (unsigned)cap->gup_standby, CAPTURE_SKIP_UNUSED,
			   "host gup faults counted by %s",
			   capture_gup_hook_name(cap->st.gup_hook));
}

static int attach_all(struct capture *cap)
{
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		if ((int)i == cap->gup_primary || (int)i == cap->gup_standby ||
		    !probe_candidate(cap, (int)i))
			continue;
		attach_one(cap, i);
	}
	attach_gup_hook(cap);
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++)
		cap->st.skipped += !cap->st.probe[i].attached;
	return cap->st.attached ? 0 : -ENOENT;
}

/*
 * Never silent: how many probes attached, where KVM's BTF came from, which
 * hook counts host gup faults, and every probe skipped with its reason, on
 * stderr and as notes in the event file.
 */
static void report_probes(struct capture *cap)
{
	const struct capture_stats *st = &cap->st;
	const char *kvm_btf = "";
	char line[256];

	for (unsigned i = 0; i < CAPTURE_NPROBES && !*kvm_btf; i++) {
		if (st->probe[i].attached && is_kvm_probe(&probe_defs[i]))
			kvm_btf = st->probe[i].btf;
	}
	pr_info("trace: %u of %u probes attached, %u on KVM events%s%s%s; host gup faults: %s\n",
		st->attached, CAPTURE_NPROBES, st->kvm_attached, *kvm_btf ? " (BTF: " : "", kvm_btf,
		*kvm_btf ? ")" : "", capture_gup_hook_name(st->gup_hook));
	ev_write_note(cap->w, "probes: %u attached (%u KVM, BTF %s), %u skipped", st->attached,
		      st->kvm_attached, *kvm_btf ? kvm_btf : "none", st->skipped);
	ev_write_note(cap->w, "host gup faults counted by %s", capture_gup_hook_name(st->gup_hook));
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		if (st->probe[i].attached)
			continue;
		capture_probe_describe(&st->probe[i], line, sizeof(line));
		pr_info("trace: skipped %s\n", line);
		ev_write_note(cap->w, "probe skipped: %s", line);
	}
	if (!st->kvm_attached)
		pr_warn("trace: no KVM probe attached, so no KVM record will be written: is the "
			"kvm module loaded? (reasons above)\n");
	if (st->gup_hook == CAPTURE_GUP_RSS_BATCHED)
		pr_warn("trace: this kernel batches kmem:rss_stat (one event per ~64 faults): "
			"host_gup_fault records are undercounted\n");
}

static void detach_all(struct capture *cap)
{
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		bpf_link__destroy(cap->links[i]);
		cap->links[i] = NULL;
	}
}

static void destroy(struct capture *cap)
{
	detach_all(cap);
	ring_buffer__free(cap->rb);
	kvmmmu__destroy(cap->skel);
	free(cap);
}

/* Start the consumer with every signal blocked: signals belong to the caller's threads. */
static int start_consumer(struct capture *cap)
{
	sigset_t all, old;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&cap->thread, NULL, consumer, cap);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return -ret;
	cap->thread_running = true;
	return 0;
}

struct capture *capture__start(const struct capture_config *c, char *err, size_t len)
{
	struct capture *cap;
	int ret;

	if (!c->npids || c->npids > CAPTURE_MAX_PIDS || !c->w) {
		snprintf(err, len, "capture needs 1 to %d processes and an event file",
			 CAPTURE_MAX_PIDS);
		errno = EINVAL;
		return NULL;
	}
	cap = calloc(1, sizeof(*cap));
	if (!cap) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	probe_log_install();
	cap->w = c->w;
	cap->poll_ms = c->poll_ms ? (int)c->poll_ms : DEFAULT_POLL_MS;
	cap->t0 = now_ns();
	ret = open_and_load(cap, c, err, len);
	if (ret)
		goto fail;
	ret = set_filter(cap, c, err, len);
	if (ret)
		goto fail;
	cap->rb = ring_buffer__new(bpf_map__fd(cap->skel->maps.events), on_sample, cap, NULL);
	if (!cap->rb) {
		ret = -errno;
		snprintf(err, len, "cannot map the ring buffer: %s", strerror(errno));
		goto fail;
	}
	ret = attach_all(cap);
	report_probes(cap);
	if (ret) {
		snprintf(err, len,
			 "no probe could be attached (%u skipped, reasons above): is KVM built in "
			 "or loaded?",
			 cap->st.skipped);
		goto fail;
	}
	ret = start_consumer(cap);
	if (ret) {
		snprintf(err, len, "cannot start the consumer thread: %s", strerror(-ret));
		goto fail;
	}
	for (unsigned i = 0; i < c->npids; i++)
		ev_write_note(cap->w, "tracing pid %d: %u probes attached, %u skipped",
			      (int)c->pids[i], cap->st.attached, cap->st.skipped);
	return cap;
fail:
	destroy(cap);
	errno = -ret;
	return NULL;
}

/*
 * Walks still open when the probes went away (their last level came, nothing
 * followed): the mv_flush iterator emits them into the ring, once.
 */
static void flush_walks(struct capture *cap)
{
	struct bpf_link *link = bpf_program__attach_iter(cap->skel->progs.mv_flush, NULL);
	char buf[64];
	int fd;

	if (!link) {
		pr_warn("trace: cannot flush the walks in progress: %s\n", strerror(errno));
		return;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd >= 0) {
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	bpf_link__destroy(link);
	cap->st.walks_flushed = cap->skel->bss->flushed_walks;
	cap->st.walk_threads_spilled = cap->skel->bss->spilled_threads;
}

static void read_drops(struct capture *cap)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(cap->skel->maps.drops);
	uint64_t *v;

	if (ncpu <= 0)
		return;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return;
	for (__u32 src = 0; src < 2; src++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(fd, &src, v))
			continue;
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
		*(src ? &cap->st.dropped_host : &cap->st.dropped_kvm) = sum;
	}
	free(v);
	if (cap->st.dropped_kvm)
		ev_write_dropped(cap->w, EV_SRC_KVM, cap->st.dropped_kvm);
	if (cap->st.dropped_host)
		ev_write_dropped(cap->w, EV_SRC_HOST, cap->st.dropped_host);
}

static void counts_add(struct kvm_ev_counts *sum, const struct kvm_ev_counts *v)
{
	sum->fault_walks += v->fault_walks;
	sum->emulator_walks += v->emulator_walks;
	for (unsigned l = 0; l <= KVM_WALK_MAX_LEVELS; l++)
		sum->emulator_walk_levels[l] += v->emulator_walk_levels[l];
	sum->emulate_insn += v->emulate_insn;
	sum->emulate_failed += v->emulate_failed;
}

/* The kernel's counts: one kvm_counts record per vCPU that has any, and the totals. */
static void read_counts(struct capture *cap)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(cap->skel->maps.counts);
	struct kvm_ev_counts *v;

	if (ncpu <= 0)
		return;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return;
	for (__u32 vcpu = 0; vcpu < KVM_COUNTS_VCPUS; vcpu++) {
		struct kvm_ev_counts sum = {.vcpu = vcpu};

		if (bpf_map_lookup_elem(fd, &vcpu, v))
			continue;
		for (int i = 0; i < ncpu; i++)
			counts_add(&sum, &v[i]);
		if (!sum.fault_walks && !sum.emulator_walks && !sum.emulate_insn)
			continue;
		counts_add(&cap->st.kernel, &sum);
		cap->st.kernel.vcpu++;
		if (!ev_write(cap->w, &ev_type_kvm_counts, (uint16_t)vcpu, now_ns(), &sum))
			cap->st.records[EVK_KVM_COUNTS]++, cap->st.total++;
	}
	free(v);
}

int capture__stop(struct capture *cap, struct capture_stats *st)
{
	int ret = 0;

	if (!cap)
		return 0;
	/* No new events from here on; then everything still in the ring is written. */
	detach_all(cap);
	atomic_store(&cap->stop, true);
	if (cap->thread_running)
		pthread_join(cap->thread, NULL);
	flush_walks(cap);
	while (ring_buffer__consume(cap->rb) > 0)
		;
	read_drops(cap);
	read_counts(cap);
	if (cap->poll_err) {
		pr_warn("trace: ring buffer poll failed: %s\n", strerror(-cap->poll_err));
		ret = cap->poll_err;
	}
	if (cap->st.bad)
		pr_warn("trace: %" PRIu64 " records could not be written\n", cap->st.bad);
	cap->st.duration_ns = now_ns() - cap->t0;
	if (st)
		*st = cap->st;
	destroy(cap);
	return ret;
}
