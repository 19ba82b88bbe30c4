// SPDX-License-Identifier: GPL-2.0
/*
 * Host memory behind guest RAM: anonymous 4K pages, transparent huge pages,
 * hugetlbfs 2M or 1G pages, or a memfd. Also how freed guest frames are
 * dropped (or zeroed) for each kind.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/mman.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/internal.h"

static const char *const names[] = {
	[VM_BACKING_ANON] = "anon",
	[VM_BACKING_THP] = "thp",
	[VM_BACKING_HUGETLB_2M] = "hugetlb-2m",
	[VM_BACKING_HUGETLB_1G] = "hugetlb-1g",
	[VM_BACKING_MEMFD] = "memfd",
};

const char *vm_backing_name(enum vm_backing b)
{
	return (unsigned)b < ARRAY_SIZE(names) ? names[b] : "unknown";
}

int vm_backing_parse(const char *s)
{
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i]))
			return (int)i;
	}
	return -1;
}

/* The host page size backing guest memory when the kernel can give it. */
uint64_t vm_backing_page_size(enum vm_backing b)
{
	return b == VM_BACKING_HUGETLB_1G			   ? SZ_1G
	       : b == VM_BACKING_HUGETLB_2M || b == VM_BACKING_THP ? SZ_2M
								   : SZ_4K;
}

/* hugetlbfs pages must be reserved beforehand: say how many and how. */
static int check_hugetlb(uint64_t mem, uint64_t psize, char *err, size_t errlen)
{
	const char *dir = psize == SZ_1G ? "hugepages-1048576kB" : "hugepages-2048kB";
	char path[128], buf[32];
	uint64_t need = mem / psize, free_pages = 0;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/free_hugepages", dir);
	if (read_text_file(path, buf, sizeof(buf)) || parse_u64(buf, &free_pages))
		free_pages = 0;
	if (mem % psize) {
		snprintf(err, errlen, "--backing %s needs --mem to be a multiple of %s",
			 psize == SZ_1G ? "hugetlb-1g" : "hugetlb-2m",
			 psize == SZ_1G ? "1G" : "2M");
		return -EINVAL;
	}
	if (free_pages < need) {
		snprintf(err, errlen,
			 "--backing %s needs %" PRIu64 " free %s pages, the host has %" PRIu64
			 ": reserve them with 'echo %" PRIu64 " > /sys/kernel/mm/hugepages/%s/"
			 "nr_hugepages' (as root)",
			 psize == SZ_1G ? "hugetlb-1g" : "hugetlb-2m", need,
			 psize == SZ_1G ? "1G" : "2M", free_pages, need, dir);
		return -ENOMEM;
	}
	return 0;
}

static void *map_thp(struct vm *vm)
{
	uint8_t *p = mmap(NULL, vm->mem_size + SZ_2M, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return p;
	vm->map_base = p;
	vm->map_size = vm->mem_size + SZ_2M;
	p = (uint8_t *)(((uintptr_t)p + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1));
	madvise(p, vm->mem_size, MADV_HUGEPAGE);
	return p;
}

int backing_map(struct vm *vm, char *err, size_t errlen)
{
	enum vm_backing b = vm->cfg.backing;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS, ret;
	void *p;

	vm->mem_fd = -1;
	switch (b) {
	case VM_BACKING_HUGETLB_2M:
	case VM_BACKING_HUGETLB_1G:
		ret = check_hugetlb(vm->mem_size, vm_backing_page_size(b), err, errlen);
		if (ret)
			return ret;
		flags |= MAP_HUGETLB | (b == VM_BACKING_HUGETLB_1G ? MAP_HUGE_1GB : MAP_HUGE_2MB);
		p = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE, flags, -1, 0);
		break;
	case VM_BACKING_THP:
		p = map_thp(vm);
		break;
	case VM_BACKING_MEMFD:
		vm->mem_fd = memfd_create("memvirt-guest", MFD_CLOEXEC);
		if (vm->mem_fd < 0 || ftruncate(vm->mem_fd, (off_t)vm->mem_size) < 0) {
			snprintf(err, errlen, "memfd for guest memory: %s", strerror(errno));
			return -errno;
		}
		p = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->mem_fd, 0);
		break;
	default:
		p = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE, flags | MAP_NORESERVE, -1, 0);
		/* THP "always" would back some 2M ranges with huge (zero) pages: asked, not here */
		if (p != MAP_FAILED && vm->cfg.no_thp &&
		    madvise(p, vm->mem_size, MADV_NOHUGEPAGE)) {
			ret = -errno;
			snprintf(err, errlen, "madvise(MADV_NOHUGEPAGE) on guest memory: %s",
				 strerror(-ret));
			munmap(p, vm->mem_size);
			return ret;
		}
	}
	if (p == MAP_FAILED) {
		ret = -errno;
		snprintf(err, errlen,
			 "cannot map %" PRIu64 " MiB of guest memory (--backing %s): %s",
			 vm->mem_size >> 20, vm_backing_name(b), strerror(errno));
		return ret;
	}
	vm->mem = p;
	if (!vm->map_base) {
		vm->map_base = p;
		vm->map_size = vm->mem_size;
	}
	return 0;
}

void backing_unmap(struct vm *vm)
{
	if (vm->map_base)
		munmap(vm->map_base, vm->map_size);
	if (vm->mem_fd >= 0)
		close(vm->mem_fd);
	vm->map_base = vm->mem = NULL;
	vm->mem_fd = -1;
}

/*
 * Freed guest frames must read as zero when reused. Anonymous memory drops
 * the pages (MADV_DONTNEED), a memfd punches a hole; hugetlbfs pages cannot
 * be dropped 4K at a time, so they are zeroed here, on the host, natively.
 */
void backing_discard(struct vm *vm, void *hva, uint64_t len)
{
	switch (vm->cfg.backing) {
	case VM_BACKING_MEMFD:
		fallocate(vm->mem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)((uint8_t *)hva - vm->mem), (off_t)len);
		break;
	case VM_BACKING_HUGETLB_2M:
	case VM_BACKING_HUGETLB_1G:
		memset(hva, 0, len);
		break;
	default:
		madvise(hva, len, MADV_DONTNEED);
	}
}
