// SPDX-License-Identifier: GPL-2.0
/*
 * The lab's initramfs, built by memvirt for each boot: an uncompressed cpio
 * archive ("newc", the format of the kernel's Documentation/driver-api/
 * early-userspace/buffer-format.rst) with a static busybox, the modules that
 * mount the host's root (virtio, 9p, overlay) and the init script.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lab/lab_internal.h"

/* Modules the init loads before it can reach the host, in the order named. */
static const char *const lab_boot_modules[] = {
	"virtio_pci",
	"9pnet_virtio",
	"9p",
	"overlay",
};

struct cpio {
	FILE *f;
	unsigned int ino;
	char *err;
	size_t errlen;
};

static int cpio_pad(struct cpio *c)
{
	static const char zero[4];
	long pos = ftell(c->f);

	if (pos < 0)
		return -errno;
	if (pos & 3 && fwrite(zero, 1, 4 - (pos & 3), c->f) != (size_t)(4 - (pos & 3)))
		return -EIO;
	return 0;
}

/* One entry: header, name, padding, data, padding. */
static int cpio_entry(struct cpio *c, const char *name, unsigned int mode, unsigned int rmaj,
		      unsigned int rmin, const void *data, size_t size)
{
	size_t nlen = strlen(name) + 1;
	int ret;

	if (fprintf(c->f, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", ++c->ino,
		    mode, 0, 0, 1, 0, size, 0, 0, rmaj, rmin, nlen, 0) != 110 ||
	    fwrite(name, 1, nlen, c->f) != nlen)
		return -EIO;
	ret = cpio_pad(c);
	if (ret || !size)
		return ret;
	if (fwrite(data, 1, size, c->f) != size)
		return -EIO;
	return cpio_pad(c);
}

/* A host file into the archive as @name. */
static int cpio_file(struct cpio *c, const char *name, const char *src, unsigned int mode)
{
	struct stat sb;
	void *buf;
	int fd, ret;

	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb)) {
		ret = -errno;
		snprintf(c->err, c->errlen, "cannot read %s: %s", src, strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	buf = malloc(sb.st_size ? (size_t)sb.st_size : 1);
	ret = buf && read(fd, buf, sb.st_size) == sb.st_size ? 0 : -EIO;
	close(fd);
	if (!ret)
		ret = cpio_entry(c, name, S_IFREG | mode, 0, 0, buf, sb.st_size);
	free(buf);
	if (ret)
		snprintf(c->err, c->errlen, "cannot add %s to the initramfs: %s", src,
			 strerror(-ret));
	return ret;
}

/*
 * The init runs before any library is reachable, so busybox must be static: no
 * PT_INTERP program header (ELF64, as the lab is x86-64 only).
 */
static int busybox_check(const char *path, char *err, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0) {
		snprintf(err, len,
			 "%s is missing: install it with 'apt-get install busybox-static'", path);
		return -ENOENT;
	}
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph))
		ret = -ENOEXEC;
	for (int i = 0; !ret && i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + (off_t)i * sizeof(ph)) != sizeof(ph))
			ret = -ENOEXEC;
		else if (ph.p_type == PT_INTERP)
			ret = -ENOEXEC;
	}
	close(fd);
	if (ret)
		snprintf(err, len,
			 "%s is not a static x86-64 busybox: install 'busybox-static' (it "
			 "replaces 'busybox')",
			 path);
	return ret;
}

static const char *busybox_path(void)
{
	const char *env = getenv("MEMVIRT_LAB_BUSYBOX");

	return env && *env ? env : "/bin/busybox";
}

static int add_tree(struct cpio *c)
{
	static const char *const dirs[] = {"bin",  "dev", "proc", "sys", "tmp",
					   "mods", "ctl", "host", "rw",	 "newroot"};
	int ret = 0;

	for (size_t i = 0; !ret && i < sizeof(dirs) / sizeof(dirs[0]); i++)
		ret = cpio_entry(c, dirs[i], S_IFDIR | 0755, 0, 0, NULL, 0);
	/* The kernel opens /dev/console for init before devtmpfs is mounted. */
	if (!ret)
		ret = cpio_entry(c, "dev/console", S_IFCHR | 0600, 5, 1, NULL, 0);
	if (!ret)
		ret = cpio_entry(c, "init", S_IFREG | 0755, 0, 0, lab_init_script,
				 lab_init_script_len);
	if (ret)
		snprintf(c->err, c->errlen, "cannot write the initramfs: %s", strerror(-ret));
	return ret;
}

static int add_modules(struct cpio *c, const struct lab_kernel *k)
{
	struct lab_modlist l = {.n = 0};
	char order[LAB_MAX_MODULES * 64], name[300], src[PATH_MAX + 300];
	size_t olen = 0;
	int ret = 0;

	for (size_t i = 0; !ret && i < sizeof(lab_boot_modules) / sizeof(lab_boot_modules[0]); i++)
		ret = lab_modules_add(k->modules, lab_boot_modules[i], &l, c->err, c->errlen);
	for (int i = 0; !ret && i < l.n; i++) {
		const char *base = strrchr(l.path[i], '/');

		base = base ? base + 1 : l.path[i];
		snprintf(name, sizeof(name), "mods/%s", base);
		snprintf(src, sizeof(src), "%s/%s", k->modules, l.path[i]);
		ret = cpio_file(c, name, src, 0644);
		olen += snprintf(order + olen, sizeof(order) - olen, "%s\n", base);
		if (olen >= sizeof(order))
			ret = -E2BIG;
	}
	if (!ret)
		ret = cpio_entry(c, "mods/order", S_IFREG | 0644, 0, 0, order, olen);
	return ret;
}

int lab_initramfs_build(const struct lab_kernel *k, const char *path, char *err, size_t len)
{
	struct cpio c = {.err = err, .errlen = len};
	int ret;

	ret = busybox_check(busybox_path(), err, len);
	if (ret)
		return ret;
	c.f = fopen(path, "we");
	if (!c.f) {
		snprintf(err, len, "cannot create %s: %s", path, strerror(errno));
		return -errno;
	}
	ret = add_tree(&c);
	if (!ret)
		ret = cpio_file(&c, "bin/busybox", busybox_path(), 0755);
	if (!ret)
		ret = add_modules(&c, k);
	if (!ret)
		ret = cpio_entry(&c, "TRAILER!!!", 0, 0, 0, NULL, 0);
	if (fclose(c.f) && !ret) {
		snprintf(err, len, "cannot write %s: %s", path, strerror(errno));
		ret = -EIO;
	}
	if (ret)
		unlink(path);
	return ret;
}
