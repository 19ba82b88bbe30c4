// SPDX-License-Identifier: GPL-2.0
/* The probe table, the kernel BTF that describes each probe, and libbpf's messages. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "common/util.h"
#include "trace/probes.h"

#define KBTF_MAX_MODULES   512
#define LOG_TAIL_LINES	   12
#define PROBE_REASON_LEN   160
#define PROBE_PROGNAME_LEN 64

/* The families in the order of the probe table. */
static const struct probe_family *const families[] = {
	&walk_family, &spt_family, &vmexit_family, &hostfault_family, &state_family,
};

const struct probe_def *probe_def(unsigned i)
{
	for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
		if (i < families[f]->nprobes)
			return &families[f]->probes[i];
		i -= families[f]->nprobes;
	}
	return NULL;
}

int probe_index(const char *prog)
{
	const struct probe_def *p;

	for (unsigned i = 0; (p = probe_def(i)); i++)
		if (!strcmp(p->prog, prog))
			return (int)i;
	return -1;
}

const char *probe_tracefs_dir(void)
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

const char *probe_btf_path(void)
{
	const char *env = getenv("MEMVIRT_BTF");

	return env && *env ? env : "/sys/kernel/btf/vmlinux";
}

bool probe_excluded(const struct probe_def *p)
{
	const char *list = getenv("MEMVIRT_TRACE_SKIP");
	size_t n = strlen(p->event);

	for (const char *s = list; s && *s; s += strcspn(s, ","), s += *s == ',') {
		if (!strncmp(s, p->event, n) && (s[n] == ',' || !s[n]))
			return true;
	}
	return false;
}

/* ---- kernel BTF: vmlinux and modules ---- */

struct kbtf_module {
	char name[64];
	struct btf *btf; /* NULL until parsed, or when it cannot be */
	bool tried;
};

struct kbtf {
	char dir[512];
	struct btf *vmlinux;
	struct kbtf_module mod[KBTF_MAX_MODULES];
	unsigned nmod;
	bool listed;
};

struct kbtf *kbtf__open(const char *vmlinux_path)
{
	struct kbtf *kb = calloc(1, sizeof(*kb));
	const char *slash;

	if (!kb)
		return NULL;
	kb->vmlinux = btf__parse(vmlinux_path, NULL);
	if (!kb->vmlinux) {
		int e = errno;

		free(kb);
		errno = e;
		return NULL;
	}
	slash = strrchr(vmlinux_path, '/');
	if (slash)
		snprintf(kb->dir, sizeof(kb->dir), "%.*s", (int)(slash - vmlinux_path),
			 vmlinux_path);
	else
		snprintf(kb->dir, sizeof(kb->dir), ".");
	return kb;
}

void kbtf__free(struct kbtf *kb)
{
	if (!kb)
		return;
	for (unsigned i = 0; i < kb->nmod; i++)
		btf__free(kb->mod[i].btf);
	btf__free(kb->vmlinux);
	free(kb);
}

/* The modules that have BTF: every file beside vmlinux's, listed once. */
static void kbtf__list(struct kbtf *kb)
{
	struct dirent *de;
	DIR *d;

	if (kb->listed)
		return;
	kb->listed = true;
	d = opendir(kb->dir);
	if (!d)
		return;
	while ((de = readdir(d)) && kb->nmod < KBTF_MAX_MODULES) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux") ||
		    strlen(de->d_name) >= sizeof(kb->mod[0].name))
			continue;
		memcpy(kb->mod[kb->nmod++].name, de->d_name, strlen(de->d_name) + 1);
	}
	closedir(d);
}

static struct btf *kbtf__module(struct kbtf *kb, struct kbtf_module *m)
{
	char path[600];

	if (!m->tried) {
		m->tried = true;
		snprintf(path, sizeof(path), "%s/%s", kb->dir, m->name);
		m->btf = btf__parse_split(path, kb->vmlinux);
		if (!m->btf)
			pr_debug("trace: cannot read module BTF %s: %s\n", path, strerror(errno));
	}
	return m->btf;
}

static bool has_type(const struct btf *btf, const char *name, int kind)
{
	return btf && btf__find_by_name_kind(btf, name, kind) > 0;
}

/* The module a tracepoint system's events come from, when it is not built in. */
static const char *system_module(const char *system)
{
	if (!strcmp(system, "kvm") || !strcmp(system, "kvmmmu"))
		return "kvm";
	return NULL;
}

const char *kbtf__find_tracepoint(struct kbtf *kb, const char *system, const char *event)
{
	const char *owner = system_module(system);
	char tname[128];

	snprintf(tname, sizeof(tname), "btf_trace_%s", event);
	if (has_type(kb->vmlinux, tname, BTF_KIND_TYPEDEF))
		return "vmlinux";
	kbtf__list(kb);
	/* The owner first: parsing every module's BTF costs a few ms each. */
	for (int pass = owner ? 0 : 1; pass < 2; pass++) {
		for (unsigned i = 0; i < kb->nmod; i++) {
			struct kbtf_module *m = &kb->mod[i];

			if ((pass == 0) != !strcmp(m->name, owner ? owner : ""))
				continue;
			if (has_type(kbtf__module(kb, m), tname, BTF_KIND_TYPEDEF))
				return m->name;
		}
	}
	return NULL;
}

bool kbtf__has_func(struct kbtf *kb, const char *name)
{
	return has_type(kb->vmlinux, name, BTF_KIND_FUNC);
}

bool kbtf__has_struct(struct kbtf *kb, const char *name)
{
	return has_type(kb->vmlinux, name, BTF_KIND_STRUCT);
}

/* ---- libbpf's messages ---- */

static struct {
	char prog[PROBE_PROGNAME_LEN];
	char reason[PROBE_REASON_LEN];
} failed;

const char *probe_log_failed_prog(void)
{
	return failed.prog;
}

const char *probe_log_reason(void)
{
	return failed.reason;
}

void probe_log_reset(void)
{
	memset(&failed, 0, sizeof(failed));
}

/* A line of the verifier log that says nothing about why (statistics, the end marker). */
static bool log_line_is_noise(const char *line, size_t n)
{
	static const char *const prefixes[] = {"processed ", "verification time", "stack depth",
					       "-- END PROG LOAD LOG", "libbpf:"};

	if (!n)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		if (!strncmp(line, prefixes[i], strlen(prefixes[i])))
			return true;
	}
	return false;
}

/* "prog 'NAME': ..." messages: note the first program that failed, and its reason. */
static void note_failure(const char *msg)
{
	const char *q;
	size_t n;

	if (!strncmp(msg, "libbpf: ", 8))
		msg += 8;
	if (strncmp(msg, "prog '", 6) || !strstr(msg, "fail") || failed.prog[0])
		return;
	q = strchr(msg + 6, '\'');
	if (!q || (n = (size_t)(q - msg - 6)) >= sizeof(failed.prog))
		return;
	memcpy(failed.prog, msg + 6, n);
	/* Without a verifier log (no attach target, ...), the message is the reason. */
	snprintf(failed.reason, sizeof(failed.reason), "%.*s", (int)strcspn(q + 3, "\n"),
		 q[1] == ':' ? q + 3 : q + 1);
}

/*
 * A program's load log ("prog 'X': -- BEGIN PROG LOAD LOG --\n...-- END"):
 * the last meaningful line is the verifier's reason. Every line goes to -v;
 * the last LOG_TAIL_LINES always, so the reason is never cut off.
 */
static void print_load_log(const char *msg)
{
	const char *lines[LOG_TAIL_LINES];
	size_t lens[LOG_TAIL_LINES], total = 0, kept = 0;

	for (const char *p = msg; *p;) {
		size_t n = strcspn(p, "\n");

		pr_debug("%.*s\n", (int)n, p);
		if (!log_line_is_noise(p, n)) {
			lines[total % LOG_TAIL_LINES] = p;
			lens[total % LOG_TAIL_LINES] = n;
			total++;
		}
		p += n + (p[n] == '\n');
	}
	if (!total)
		return;
	kept = total < LOG_TAIL_LINES ? total : LOG_TAIL_LINES;
	if (log_level < LOG_DEBUG)
		pr_warn("libbpf: verifier log, last %zu of %zu lines (-v prints all):\n", kept,
			total);
	for (size_t i = total - kept; i < total && log_level < LOG_DEBUG; i++)
		pr_warn("libbpf:   %.*s\n", (int)lens[i % LOG_TAIL_LINES],
			lines[i % LOG_TAIL_LINES]);
	{
		size_t last = (total - 1) % LOG_TAIL_LINES;

		snprintf(failed.reason, sizeof(failed.reason), "%.*s", (int)lens[last],
			 lines[last]);
	}
}

int probe_log_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (level == LIBBPF_DEBUG)
		return 0;
	if (vasprintf(&msg, fmt, ap) < 0)
		return 0;
	if (level == LIBBPF_WARN)
		note_failure(msg);
	/* The object's and skeleton's failure follow from the program's, already named. */
	if (level == LIBBPF_WARN && failed.prog[0] && strstr(msg, "failed to load "))
		level = LIBBPF_INFO;
	if (level == LIBBPF_WARN && strstr(msg, "-- BEGIN PROG LOAD LOG --")) {
		print_load_log(msg);
	} else {
		/* Line by line, whole: no buffer cuts a message short. */
		for (const char *p = msg; *p;) {
			size_t n = strcspn(p, "\n");

			if (level == LIBBPF_WARN)
				pr_warn("%.*s\n", (int)n, p);
			else
				pr_debug("%.*s\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
	}
	free(msg);
	return 0;
}

void probe_log_install(void)
{
	libbpf_set_print(probe_log_print);
}
