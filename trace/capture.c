// SPDX-License-Identifier: GPL-2.0
/*
 * Load, attach and drain the probes into an event file: one object linked
 * from the families' BPF programs (trace/bpf.cmake), whose probes are chosen
 * for this kernel one by one (the table in probes.c, from the families'
 * lists).
 */
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
#include "trace/capture_internal.h"
#include "trace/evfile.h"
#include "trace/probes.h"
#include "kvmmmu.skel.h"

#define DEFAULT_RING_BYTES (16u << 20)
#define DEFAULT_POLL_MS	   100
#define CAP_PERFMON_BIT	   38
#define CAP_BPF_BIT	   39
#define CAP_SYSADM_BIT	   21

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

void capture__skip_probe(struct capture *cap, unsigned i, enum capture_skip why, const char *fmt,
			 ...)
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
	const struct probe_def *p = probe_def(i);
	struct capture_probe *cp = &cap->st.probe[i];
	const char *where;
	char path[600];
	struct stat sb;

	cp->system = p->system;
	cp->event = p->event;
	if (!bpf_object__find_program_by_name(cap->skel->obj, p->prog)) {
		capture__skip_probe(cap, i, CAPTURE_SKIP_NO_PROGRAM, "no program %s", p->prog);
		return;
	}
	if (probe_excluded(p)) {
		capture__skip_probe(cap, i, CAPTURE_SKIP_EXCLUDED, "MEMVIRT_TRACE_SKIP");
		return;
	}
	if (p->kind == PROBE_FEXIT) {
		if (kbtf__has_func(kb, p->event))
			snprintf(cp->btf, sizeof(cp->btf), "vmlinux");
		else
			capture__skip_probe(cap, i, CAPTURE_SKIP_NO_BTF, "no function %s in %s",
					    p->event, probe_btf_path());
		return;
	}
	snprintf(path, sizeof(path), "%s/events/%s/%s", probe_tracefs_dir(), p->system, p->event);
	if (stat(path, &sb)) {
		capture__skip_probe(cap, i, CAPTURE_SKIP_NO_EVENT, "no %s", path);
		return;
	}
	where = kbtf__find_tracepoint(kb, p->system, p->event);
	if (!where) {
		capture__skip_probe(cap, i, CAPTURE_SKIP_NO_BTF,
				    "btf_trace_%s is neither in vmlinux's BTF nor in a module's",
				    p->event);
		return;
	}
	snprintf(cp->btf, sizeof(cp->btf), "%s", where);
}

bool capture__probe_candidate(const struct capture *cap, int i)
{
	return i >= 0 && cap->st.probe[i].skip == CAPTURE_PROBE_ATTACHED;
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
	hostfault_choose_gup_hook(cap, kb);
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
	state_configure(cap, c, ring);
	cap->st.all_events = c->all_events;
	return 0;
}

static void set_autoload(struct capture *cap)
{
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		struct bpf_program *prog =
			bpf_object__find_program_by_name(cap->skel->obj, probe_def(i)->prog);

		if (prog)
			bpf_program__set_autoload(prog, capture__probe_candidate(cap, (int)i));
	}
}

/* The verifier refused probe @i: leave it out, and its stand-by takes its place. */
static void reject(struct capture *cap, int i)
{
	const struct probe_def *p = probe_def((unsigned)i);

	capture__skip_probe(cap, (unsigned)i, CAPTURE_SKIP_REJECTED, "%s", probe_log_reason());
	pr_warn("trace: %s:%s rejected by the verifier (%s): loading the others without it\n",
		p->system, p->event, probe_log_reason());
	hostfault_rejected(cap, i);
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
		if (i < 0 || !capture__probe_candidate(cap, i))
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

bool capture__attach_probe(struct capture *cap, unsigned i)
{
	struct bpf_program *prog =
		bpf_object__find_program_by_name(cap->skel->obj, probe_def(i)->prog);

	cap->links[i] = bpf_program__attach(prog);
	if (!cap->links[i]) {
		capture__skip_probe(cap, i, CAPTURE_SKIP_ATTACH, "%s", strerror(errno));
		return false;
	}
	cap->st.probe[i].attached = true;
	cap->st.attached++;
	cap->st.kvm_attached += is_kvm_probe(probe_def(i));
	return true;
}

static int attach_all(struct capture *cap)
{
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		if (hostfault_is_gup_hook(cap, (int)i) || !capture__probe_candidate(cap, (int)i))
			continue;
		capture__attach_probe(cap, i);
	}
	hostfault_attach_gup_hook(cap);
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
		if (st->probe[i].attached && is_kvm_probe(probe_def(i)))
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
	ret = state_set_filter(cap, c, err, len);
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
	state_flush_walks(cap);
	while (ring_buffer__consume(cap->rb) > 0)
		;
	state_read_drops(cap);
	state_read_counts(cap);
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
