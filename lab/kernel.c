// SPDX-License-Identifier: GPL-2.0
/* The lab's kernel: where it is cached, and which modules it needs in what order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lab_internal.h"

#define LAB_FETCH_HINT "run 'bash scripts/lab-kernel.sh' (it fetches Debian's linux-image-amd64)"

const char *lab_cache_dir(char *buf, size_t len)
{
	const char *env = getenv("MEMVIRT_LAB_CACHE"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
		snprintf(buf, len, "/var/cache/memvirt/lab");
	else if (xdg && *xdg)
		snprintf(buf, len, "%s/memvirt/lab", xdg);
	else
		snprintf(buf, len, "%s/.cache/memvirt/lab", home ? home : "");
	return buf;
}

static bool is_file(const char *path)
{
	struct stat sb;

	return !stat(path, &sb) && S_ISREG(sb.st_mode);
}

/* A modules folder is usable when depmod has run over it. */
static int check_modules(const char *modules, char *err, size_t len)
{
	char dep[PATH_MAX + 16];

	snprintf(dep, sizeof(dep), "%s/modules.dep", modules);
	if (is_file(dep))
		return 0;
	snprintf(err, len,
		 "%s has no modules.dep: run 'depmod -b ROOT VERSION' over it, where ROOT "
		 "holds lib/modules/VERSION",
		 modules);
	return -ENOENT;
}

static int find_given(const char *image, const char *modules, struct lab_kernel *k, char *err,
		      size_t len)
{
	const char *base;

	if (!image || !modules) {
		snprintf(err, len,
			 "--kernel and --modules go together: --kernel BZIMAGE "
			 "--modules DIR (DIR is lib/modules/VERSION of that kernel)");
		return -EINVAL;
	}
	if (!is_file(image)) {
		snprintf(err, len, "kernel image %s: %s", image, strerror(errno ? errno : ENOENT));
		return -ENOENT;
	}
	if (!realpath(image, k->image) || !realpath(modules, k->modules)) {
		snprintf(err, len, "modules folder %s: %s", modules, strerror(errno));
		return -ENOENT;
	}
	base = strrchr(k->modules, '/');
	base = base ? base + 1 : k->modules;
	if (strlen(base) >= sizeof(k->version)) {
		snprintf(err, len, "modules folder name %.64s... is too long for a kernel version",
			 base);
		return -ENAMETOOLONG;
	}
	memcpy(k->version, base, strlen(base) + 1);
	return check_modules(k->modules, err, len);
}

int lab_kernel_find(const char *image, const char *modules, struct lab_kernel *k, char *err,
		    size_t len)
{
	char cache[PATH_MAX], cur[PATH_MAX + 16], ver[128], elf[PATH_MAX];
	ssize_t n;

	memset(k, 0, sizeof(*k));
	if (image || modules)
		return find_given(image, modules, k, err, len);
	lab_cache_dir(cache, sizeof(cache));
	snprintf(cur, sizeof(cur), "%s/current", cache);
	n = readlink(cur, ver, sizeof(ver) - 1);
	if (n <= 0) {
		snprintf(err, len,
			 "no lab kernel in %s: %s, or pass --kernel BZIMAGE --modules DIR", cache,
			 LAB_FETCH_HINT);
		return -ENOENT;
	}
	ver[n] = '\0';
	if (strchr(ver, '/')) {
		snprintf(err, len, "%s points outside the cache (%s): %s", cur, ver,
			 LAB_FETCH_HINT);
		return -EINVAL;
	}
	snprintf(k->version, sizeof(k->version), "%s", ver);
	if (snprintf(k->image, sizeof(k->image), "%s/%s/boot/vmlinuz-%s", cache, ver, ver) >=
		    (int)sizeof(k->image) ||
	    snprintf(k->modules, sizeof(k->modules), "%s/%s/lib/modules/%s", cache, ver, ver) >=
		    (int)sizeof(k->modules)) {
		snprintf(err, len, "lab cache path %s is too long", cache);
		return -ENAMETOOLONG;
	}
	if (!is_file(k->image)) {
		snprintf(err, len, "lab kernel %s is missing: %s", k->image, LAB_FETCH_HINT);
		return -ENOENT;
	}
	/* The unpacked ELF kernel boots through PVH, without seconds of decompression. */
	if (snprintf(elf, sizeof(elf), "%s/%s/boot/vmlinux-%s", cache, ver, ver) <
		    (int)sizeof(elf) &&
	    is_file(elf))
		memcpy(k->image, elf, sizeof(k->image));
	return check_modules(k->modules, err, len);
}

/* "kernel/fs/9p/9p.ko" is module "9p"; '-' and '_' are the same character in names. */
static bool mod_matches(const char *path, size_t plen, const char *name)
{
	const char *base = path, *end = path + plen;
	size_t nlen = strlen(name);

	for (const char *p = path; p < end; p++)
		if (*p == '/')
			base = p + 1;
	if ((size_t)(end - base) != nlen + 3 || memcmp(end - 3, ".ko", 3))
		return false;
	for (size_t i = 0; i < nlen; i++) {
		char a = base[i] == '-' ? '_' : base[i], b = name[i] == '-' ? '_' : name[i];

		if (a != b)
			return false;
	}
	return true;
}

static int list_push(struct lab_modlist *l, const char *path, size_t plen, char *err, size_t len)
{
	for (int i = 0; i < l->n; i++)
		if (strlen(l->path[i]) == plen && !memcmp(l->path[i], path, plen))
			return 0;
	if (l->n >= LAB_MAX_MODULES || plen >= sizeof(l->path[0])) {
		snprintf(err, len, "too many or too long module paths for the lab's initramfs");
		return -E2BIG;
	}
	memcpy(l->path[l->n], path, plen);
	l->path[l->n][plen] = '\0';
	l->n++;
	return 0;
}

/*
 * A modules.dep line is "kernel/a.ko: kernel/b.ko kernel/c.ko", every dependency,
 * direct or not, with a module's own dependencies after it: loading the list
 * from its end gives each module after those it needs.
 */
static int add_line(char *line, struct lab_modlist *l, char *err, size_t len)
{
	char *colon = strchr(line, ':'), *deps[LAB_MAX_MODULES];
	int ndeps = 0, ret;

	*colon = '\0';
	for (char *tok = strtok(colon + 1, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
		if (ndeps == LAB_MAX_MODULES) {
			snprintf(err, len, "module %s has too many dependencies", line);
			return -E2BIG;
		}
		deps[ndeps++] = tok;
	}
	for (int i = ndeps - 1; i >= 0; i--) {
		ret = list_push(l, deps[i], strlen(deps[i]), err, len);
		if (ret)
			return ret;
	}
	return list_push(l, line, strlen(line), err, len);
}

/* A module built into the kernel is listed in modules.builtin and needs no loading. */
static bool mod_builtin(const char *modules, const char *name)
{
	char path[PATH_MAX + 20], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/modules.builtin", modules);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found = mod_matches(line, strlen(line), name);
	}
	fclose(f);
	return found;
}

int lab_modules_add(const char *modules, const char *name, struct lab_modlist *l, char *err,
		    size_t len)
{
	char path[PATH_MAX + 16], line[4096];
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "%s/modules.dep", modules);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, len, "cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon || !mod_matches(line, (size_t)(colon - line), name))
			continue;
		ret = add_line(line, l, err, len);
		break;
	}
	fclose(f);
	if (ret == -ENOENT && mod_builtin(modules, name))
		return 0;
	if (ret == -ENOENT)
		snprintf(err, len,
			 "the lab kernel has no module '%s' (%s): it needs 9p, 9pnet_virtio, "
			 "virtio_pci, overlay and kvm as modules or built in",
			 name, path);
	return ret;
}
