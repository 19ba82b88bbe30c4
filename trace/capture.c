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
#include "kvmmmu.skel.h"

#define DEFAULT_RING_BYTES (16u << 20)
#define DEFAULT_POLL_MS	   100
#define CAP_PERFMON_BIT	   38
#define CAP_BPF_BIT	   39
#define CAP_SYSADM_BIT	   21

/* Every tracepoint the tracer knows, and the program that handles it. */
static const struct probe_def {
	const char *system, *event, *prog;
} probe_defs[CAPTURE_NPROBES] = {
	{"kvmmmu", "kvm_mmu_pagetable_walk", "mv_walk"},
	{"kvmmmu", "kvm_mmu_paging_element", "mv_walk_elem"},
	{"kvmmmu", "kvm_mmu_walker_error", "mv_walk_err"},
	{"kvmmmu", "kvm_mmu_set_accessed_bit", "mv_set_accessed"},
	{"kvmmmu", "kvm_mmu_set_dirty_bit", "mv_set_dirty"},
	{"kvmmmu", "kvm_mmu_spte_requested", "mv_spte_req"},
	{"kvmmmu", "kvm_mmu_set_spte", "mv_set_spte"},
	{"kvmmmu", "kvm_mmu_get_page", "mv_get_page"},
	{"kvmmmu", "kvm_mmu_sync_page", "mv_sync_page"},
	{"kvmmmu", "kvm_mmu_unsync_page", "mv_unsync_page"},
	{"kvmmmu", "kvm_mmu_prepare_zap_page", "mv_zap_page"},
	{"kvmmmu", "fast_page_fault", "mv_fast_pf"},
	{"kvmmmu", "kvm_tdp_mmu_spte_changed", "mv_tdp_spte"},
	{"kvmmmu", "kvm_mmu_split_huge_page", "mv_split_huge"},
	{"kvmmmu", "handle_mmio_page_fault", "mv_mmio_pf"},
	{"kvmmmu", "kvm_mmu_zap_all_fast", "mv_zap_all"},
	{"kvm", "kvm_exit", "mv_kvm_exit"},
	{"kvm", "kvm_entry", "mv_kvm_entry"},
	{"kvm", "kvm_page_fault", "mv_kvm_pf"},
	{"kvm", "kvm_cr", "mv_kvm_cr"},
	{"kvm", "kvm_emulate_insn", "mv_emulate"},
	{"exceptions", "page_fault_user", "mv_pf_user"},
	{"exceptions", "page_fault_kernel", "mv_pf_kernel"},
	{"kmem", "rss_stat", "mv_rss"},
	{"sched", "sched_process_exit", "mv_thread_exit"},
};

struct capture {
	struct kvmmmu *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[CAPTURE_NPROBES];
	struct ev_writer *w;
	pthread_t thread;
	bool thread_running;
	atomic_bool stop;
	int poll_ms;
	int poll_err;
	uint64_t t0;
	struct capture_stats st;
};

static const char *tracefs_dir(void)
{
	const char *env = getenv("MEMVIRT_TRACEFS");
	struct stat sb;

	if (env && *env)
		return env;
	if (stat("/sys/kernel/tracing/events", &sb) &&
	    !stat("/sys/kernel/debug/tracing/events", &sb))
		return "/sys/kernel/debug/tracing";
	return "/sys/kernel/tracing";
}

static const char *btf_path(void)
{
	const char *env = getenv("MEMVIRT_BTF");

	return env && *env ? env : "/sys/kernel/btf/vmlinux";
}

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
	const char *tfs = tracefs_dir(), *btf = btf_path();
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

/* libbpf's messages through the project's log: warnings as warnings, the rest at -v. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[2048];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (level == LIBBPF_WARN)
		pr_warn("libbpf: %s", buf);
	else
		pr_debug("libbpf: %s", buf);
	return 0;
}

/* A probe is usable when tracefs lists the event and BTF has its raw tracepoint type. */
static bool probe_exists(const struct probe_def *p, const struct btf *btf)
{
	char path[600], tname[128];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs_dir(), p->system, p->event);
	if (stat(path, &sb))
		return false;
	snprintf(tname, sizeof(tname), "btf_trace_%s", p->event);
	return btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF) > 0;
}

/* MEMVIRT_TRACE_SKIP=event,event,...: leave probes out (cost measurements, debugging). */
static bool probe_excluded(const struct probe_def *p)
{
	const char *list = getenv("MEMVIRT_TRACE_SKIP");
	size_t n = strlen(p->event);

	for (const char *s = list; s && *s; s += strcspn(s, ","), s += *s == ',') {
		if (!strncmp(s, p->event, n) && (s[n] == ',' || !s[n]))
			return true;
	}
	return false;
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

/* Choose the probes this kernel has, then load. */
static int open_and_load(struct capture *cap, const struct capture_config *c, char *err, size_t len)
{
	uint64_t ring = c->ring_bytes ? c->ring_bytes : DEFAULT_RING_BYTES;
	struct btf *btf;
	int ret;

	btf = btf__parse(btf_path(), NULL);
	if (!btf) {
		snprintf(err, len, "cannot read kernel BTF %s: %s", btf_path(), strerror(errno));
		return -ENOENT;
	}
	cap->skel = kvmmmu__open();
	if (!cap->skel) {
		ret = -errno;
		snprintf(err, len, "cannot open the BPF object: %s", strerror(errno));
		btf__free(btf);
		return ret;
	}
	if (ring < 4096 || ring > (1u << 30) || (ring & (ring - 1))) {
		snprintf(err, len,
			 "ring buffer size %" PRIu64 " must be a power of two from 4K to 1G", ring);
		kvmmmu__destroy(cap->skel);
		cap->skel = NULL;
		btf__free(btf);
		return -EINVAL;
	}
	bpf_map__set_max_entries(cap->skel->maps.events, (__u32)ring);
	cap->skel->rodata->wakeup_bytes = ring / 2;
	cap->skel->rodata->only_tgid = c->npids == 1 ? (__u32)c->pids[0] : 0;
	cap->skel->rodata->trace_all = c->all_events;
	/* For tests: every thread's walk state in task-local storage, the slow path. */
	cap->skel->rodata->walk_slots_off = getenv("MEMVIRT_TRACE_NO_WALK_SLOTS") != NULL;
	cap->st.all_events = c->all_events;
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		const struct probe_def *p = &probe_defs[i];
		struct bpf_program *prog =
			bpf_object__find_program_by_name(cap->skel->obj, p->prog);

		cap->st.probe[i].system = p->system;
		cap->st.probe[i].event = p->event;
		if (prog && probe_exists(p, btf) && !probe_excluded(p))
			continue;
		if (prog)
			bpf_program__set_autoload(prog, false);
		cap->st.skipped++;
		pr_debug("trace: %s:%s absent on this kernel or left out: skipped\n", p->system,
			 p->event);
		ev_write_note(cap->w, "probe %s:%s absent on this kernel: skipped", p->system,
			      p->event);
	}
	btf__free(btf);
	ret = kvmmmu__load(cap->skel);
	if (ret) {
		snprintf(err, len,
			 "cannot load the BPF programs: %s (run with -v for the verifier log)",
			 strerror(-ret));
		return ret;
	}
	return 0;
}

static int attach_all(struct capture *cap)
{
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		const struct probe_def *p = &probe_defs[i];
		struct bpf_program *prog =
			bpf_object__find_program_by_name(cap->skel->obj, p->prog);

		if (!prog || !bpf_program__autoload(prog))
			continue;
		cap->links[i] = bpf_program__attach(prog);
		if (!cap->links[i]) {
			int e = errno;

			cap->st.skipped++;
			pr_debug("trace: cannot attach %s:%s (%s): skipped\n", p->system, p->event,
				 strerror(e));
			ev_write_note(cap->w, "probe %s:%s failed to attach (%s): skipped",
				      p->system, p->event, strerror(e));
			continue;
		}
		cap->st.probe[i].attached = true;
		cap->st.attached++;
	}
	return cap->st.attached ? 0 : -ENOENT;
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
	libbpf_set_print(libbpf_log);
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
	if (ret) {
		snprintf(err, len,
			 "no probe could be attached (%u skipped): is KVM built in or loaded?",
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

void capture_stats_json(const struct capture_stats *st, struct json *j, const char *key)
{
	json_obj_begin(j, key);
	json_u64(j, "records", st->total);
	json_obj_begin(j, "events");
	for (unsigned id = 0; id <= EVK__LAST; id++) {
		const struct ev_type *t = kvm_ev_type(id);

		if (t)
			json_u64(j, t->name, st->records[id]);
	}
	json_obj_end(j);
	json_u64(j, "dropped", st->dropped_kvm + st->dropped_host);
	json_u64(j, "dropped_kvm", st->dropped_kvm);
	json_u64(j, "dropped_host", st->dropped_host);
	json_u64(j, "walks_flushed_at_stop", st->walks_flushed);
	json_u64(j, "walk_threads_spilled", st->walk_threads_spilled);
	json_bool(j, "all_events", st->all_events);
	json_obj_begin(j, "kernel_counts");
	json_u64(j, "vcpus", st->kernel.vcpu);
	json_u64(j, "fault_walks", st->kernel.fault_walks);
	json_u64(j, "emulator_walks", st->kernel.emulator_walks);
	json_arr_begin(j, "emulator_walk_levels");
	for (unsigned l = 0; l <= KVM_WALK_MAX_LEVELS; l++)
		json_u64(j, NULL, st->kernel.emulator_walk_levels[l]);
	json_arr_end(j);
	json_u64(j, "emulate_insn", st->kernel.emulate_insn);
	json_u64(j, "emulate_failed", (uint64_t)st->kernel.emulate_failed);
	json_obj_end(j);
	json_u64(j, "duration_ns", st->duration_ns);
	json_arr_begin(j, "probes_attached");
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		if (st->probe[i].event && st->probe[i].attached)
			json_str(j, NULL, st->probe[i].event);
	}
	json_arr_end(j);
	json_arr_begin(j, "probes_skipped");
	for (unsigned i = 0; i < CAPTURE_NPROBES; i++) {
		if (st->probe[i].event && !st->probe[i].attached)
			json_str(j, NULL, st->probe[i].event);
	}
	json_arr_end(j);
	json_obj_end(j);
}

void capture_stats_print(const struct capture_stats *st, FILE *f)
{
	fprintf(f, "  %-26s %12s\n", "record type", "records");
	for (unsigned id = 0; id <= EVK__LAST; id++) {
		const struct ev_type *t = kvm_ev_type(id);

		if (t && st->records[id])
			fprintf(f, "  %-26s %12" PRIu64 "\n", t->name, st->records[id]);
	}
	fprintf(f, "  %-26s %12" PRIu64 "\n", "total", st->total);
	fprintf(f, "  %-26s %12" PRIu64 " (kvm %" PRIu64 ", host %" PRIu64 ")\n", "dropped",
		st->dropped_kvm + st->dropped_host, st->dropped_kvm, st->dropped_host);
	fprintf(f,
		"  counted in the kernel%s: %" PRIu64 " fault walks, %" PRIu64
		" emulator walks, %" PRIu64 " emulated instructions (%" PRIu64 " failed)\n",
		st->all_events ? " (and recorded)" : "", (uint64_t)st->kernel.fault_walks,
		(uint64_t)st->kernel.emulator_walks, (uint64_t)st->kernel.emulate_insn,
		(uint64_t)st->kernel.emulate_failed);
	fprintf(f, "  probes: %u attached, %u skipped", st->attached, st->skipped);
	for (unsigned i = 0, n = 0; i < CAPTURE_NPROBES; i++) {
		if (st->probe[i].event && !st->probe[i].attached)
			fprintf(f, "%s%s", n++ ? ", " : " (", st->probe[i].event);
	}
	fprintf(f, "%s\n", st->skipped ? ")" : "");
}
