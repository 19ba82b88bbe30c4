// SPDX-License-Identifier: GPL-2.0
/* KVM binary statistics (KVM_GET_STATS_FD), read for the VM and the vCPU at the end of a run. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/internal.h"

static const char *type_name(uint32_t flags)
{
	switch (flags & KVM_STATS_TYPE_MASK) {
	case KVM_STATS_TYPE_CUMULATIVE:
		return "cumulative";
	case KVM_STATS_TYPE_INSTANT:
		return "instant";
	case KVM_STATS_TYPE_PEAK:
		return "peak";
	case KVM_STATS_TYPE_LINEAR_HIST:
		return "linear-hist";
	case KVM_STATS_TYPE_LOG_HIST:
		return "log-hist";
	}
	return "unknown";
}

static const char *unit_name(uint32_t flags)
{
	switch (flags & KVM_STATS_UNIT_MASK) {
	case KVM_STATS_UNIT_NONE:
		return "none";
	case KVM_STATS_UNIT_BYTES:
		return "bytes";
	case KVM_STATS_UNIT_SECONDS:
		return "seconds";
	case KVM_STATS_UNIT_CYCLES:
		return "cycles";
	case KVM_STATS_UNIT_BOOLEAN:
		return "boolean";
	}
	return "unknown";
}

/* One descriptor's value: a single u64, or the sum of a histogram's buckets. */
static int read_value(int fd, const struct kvm_stats_header *h, const struct kvm_stats_desc *d,
		      uint64_t *out)
{
	uint64_t buf[64], sum = 0;
	size_t n = d->size;

	if (n == 0 || n > ARRAY_SIZE(buf))
		return -EINVAL;
	if (pread(fd, buf, n * 8, (off_t)h->data_offset + d->offset) != (ssize_t)(n * 8))
		return -EIO;
	for (size_t i = 0; i < n; i++)
		sum += buf[i];
	*out = n == 1 ? buf[0] : sum;
	return 0;
}

int kvm_stats_read(int fd, const char *scope, struct vm_stat *out, unsigned max, unsigned *n)
{
	struct kvm_stats_header h;
	size_t desc_size;
	uint8_t *descs;
	int ret = 0;

	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		return -EIO;
	if (h.name_size == 0 || h.name_size > 256 || h.num_desc > 4096)
		return -EINVAL;
	desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(desc_size * h.num_desc);
	if (!descs)
		return -ENOMEM;
	if (pread(fd, descs, desc_size * h.num_desc, h.desc_offset) !=
	    (ssize_t)(desc_size * h.num_desc)) {
		free(descs);
		return -EIO;
	}
	for (uint32_t i = 0; i < h.num_desc && *n < max; i++) {
		const struct kvm_stats_desc *d = (const void *)(descs + i * desc_size);
		struct vm_stat *s = &out[*n];

		if (read_value(fd, &h, d, &s->value))
			continue;
		snprintf(s->name, sizeof(s->name), "%.*s", (int)h.name_size, d->name);
		snprintf(s->scope, sizeof(s->scope), "%s", scope);
		snprintf(s->unit, sizeof(s->unit), "%s", unit_name(d->flags));
		snprintf(s->kind, sizeof(s->kind), "%s", type_name(d->flags));
		(*n)++;
	}
	free(descs);
	return ret;
}

int vm_read_stats(struct vm *vm, struct vm_result *res)
{
	int fds[2] = {vm->vm_fd, vm->vcpu_fd};
	const char *scopes[2] = {"vm", "vcpu"};

	res->nr_stats = 0;
	for (int i = 0; i < 2; i++) {
		int fd = ioctl(fds[i], KVM_GET_STATS_FD, NULL);
		int ret;

		if (fd < 0)
			return -errno;
		ret = kvm_stats_read(fd, scopes[i], res->stats, VM_MAX_STATS, &res->nr_stats);
		close(fd);
		if (ret)
			return ret;
	}
	return 0;
}

uint64_t vm_result_stat(const struct vm_result *res, const char *name)
{
	for (unsigned i = 0; i < res->nr_stats; i++) {
		if (!strcmp(res->stats[i].name, name))
			return res->stats[i].value;
	}
	return 0;
}
