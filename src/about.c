// SPDX-License-Identifier: GPL-2.0
/* What this binary is and where its files are: --version, guest_dir(), sample_run_dir(). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/version.h"
#include "src/cmds.h"

/* The folder holding this binary, from /proc/self/exe (symbolic links resolved). */
static int self_dir(char *buf, size_t len)
{
	char self[PATH_MAX];
	char *slash;

	if (!realpath("/proc/self/exe", self))
		return -1;
	slash = strrchr(self, '/');
	if (!slash || (size_t)(slash - self) + 2 > len)
		return -1;
	/* The root folder stays "/" */
	slash[slash == self] = '\0';
	memcpy(buf, self, strlen(self) + 1);
	return 0;
}

/* @dir holds a guest kernel image. */
static int has_images(const char *dir)
{
	char path[PATH_MAX + 96];

	snprintf(path, sizeof(path), "%s/kernel.elf", dir);
	return !access(path, R_OK);
}

/*
 * "/usr/share/memvirt" rather than "/usr/bin/../share/memvirt", into @out: the folder, else
 * (missing, so that an error names it plainly) its parent, resolved; else @path as it is.
 */
static void tidy_path(const char *path, char *out, size_t len)
{
	char parent[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(path, '/'), *tail = "";
	size_t n;

	if (!realpath(path, real)) {
		n = slash ? (size_t)(slash - path) : 0;
		if (!slash || n >= sizeof(parent))
			goto as_is;
		memcpy(parent, path, n);
		parent[n] = '\0';
		if (!realpath(parent, real))
			goto as_is;
		tail = slash;
	}
	if (strlen(real) + strlen(tail) >= len)
		goto as_is;
	memcpy(out, real, strlen(real) + 1);
	strcat(out, tail);
	return;
as_is:
	n = strnlen(path, len - 1);
	memcpy(out, path, n);
	out[n] = '\0';
}

/*
 * Found from the binary's own place, so neither an installed binary nor a build tree needs a
 * variable: guest/ next to it in the build tree, else ../share/memvirt once installed. An
 * installed binary can thus be moved with its share/ folder (DESTDIR, a relocated prefix).
 */
const char *guest_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("MEMVIRT_GUEST_DIR");
	char self[PATH_MAX], path[PATH_MAX + 64];

	if (env && *env)
		return env;
	if (dir[0])
		return dir;
	if (self_dir(self, sizeof(self))) {
		snprintf(dir, sizeof(dir), "guest");
		return dir;
	}
	snprintf(path, sizeof(path), "%s/guest", self);
	if (!has_images(path))
		snprintf(path, sizeof(path), "%s/%s", self, memvirt_build()->data_reldir);
	tidy_path(path, dir, sizeof(dir));
	return dir;
}

/* @dir holds a run's page-table snapshot. */
static int has_run(const char *dir)
{
	char path[PATH_MAX + 96];

	snprintf(path, sizeof(path), "%s/pagetables.bin", dir);
	return !access(path, R_OK);
}

static char sample_installed[PATH_MAX], sample_source[PATH_MAX];

/* The two places, from the binary's own place as for the guest images; "" when unknown. */
static void sample_places(void)
{
	char self[PATH_MAX], path[2 * PATH_MAX];

	if (sample_source[0])
		return;
	if (!self_dir(self, sizeof(self))) {
		snprintf(path, sizeof(path), "%s/%s/docs/sample-run", self,
			 memvirt_build()->doc_reldir);
		tidy_path(path, sample_installed, sizeof(sample_installed));
	}
	snprintf(sample_source, sizeof(sample_source), "%s/docs/sample-run",
		 memvirt_build()->source_dir);
}

const char *sample_run_dir(void)
{
	sample_places();
	if (sample_installed[0] && has_run(sample_installed))
		return sample_installed;
	if (has_run(sample_source))
		return sample_source;
	return NULL;
}

const char *sample_run_looked(void)
{
	static char both[2 * PATH_MAX + 8];

	sample_places();
	snprintf(both, sizeof(both), "%s%s%s", sample_installed, sample_installed[0] ? ", " : "",
		 sample_source);
	return both;
}

int cmd_version(void)
{
	const struct memvirt_build *b = memvirt_build();

	printf("memvirt %s\n", memvirt_version());
	printf("%-13s %s\n", "commit", memvirt_commit());
	printf("%-13s %s (%s)\n", "tracer", b->tracer ? "eBPF, built in" : "not built",
	       b->tracer_note);
	printf("%-13s %s\n", "lab",
	       "built in; needs QEMU at run time ('memvirt info' says if ready)");
	printf("%-13s %s\n", "capstone", b->capstone);
	printf("%-13s %s\n", "guest images", guest_dir());
	printf("%-13s %s\n", "sample run", sample_run_dir() ? sample_run_dir() : "not found");
	return fflush(stdout) ? 1 : 0;
}
