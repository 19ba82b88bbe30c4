// SPDX-License-Identifier: GPL-2.0
/* The VM's life: creation, the KVM_RUN loop and its exits, signals, teardown. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "vmm/elf.h"
#include "vmm/internal.h"

#define CONSOLE_MAX (16ULL << 20) /* a guest cannot fill the disk through its console */

static volatile sig_atomic_t stop_signal;
static struct kvm_run *volatile running;

static void on_signal(int sig)
{
	stop_signal = sig;
	if (running)
		running->immediate_exit = 1;
}

void vm_install_signal_handlers(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: KVM_RUN must return EINTR. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
}

const char *vm_end_name(enum vm_end end)
{
	static const char *const names[] = {
		[VM_END_NONE] = "none",		[VM_END_EXIT] = "exit",
		[VM_END_PANIC] = "guest-crash", [VM_END_SHUTDOWN] = "triple-fault",
		[VM_END_HLT] = "halt",		[VM_END_TIMEOUT] = "timeout",
		[VM_END_SIGNAL] = "signal",	[VM_END_ERROR] = "error",
	};

	return (unsigned)end < ARRAY_SIZE(names) ? names[end] : "unknown";
}

uint64_t vm_mem_needed(const struct wl_params *p)
{
	uint64_t data = p->footprint, slack;

	if (p->kind == WL_PINGPONG)
		data = (uint64_t)p->nproc * (p->footprint + MV_STACK_SIZE + 3 * SZ_4K);
	else if (p->kind == WL_CHURN)
		data = 2 * p->footprint;
	/* Image, stacks and VMM tables below 16M; page tables ~1/512 of the data; alignment. */
	slack = p->page_size > SZ_4K ? p->page_size : 0;
	return (16ULL << 20) + data + data / 256 + slack;
}

/*
 * The steps of vm__create once the images are read, in order; *@fail names
 * the kind of the one that failed (kvm.c tells the host's refusals apart).
 */
static int vm_build(struct vm *vm, const struct elf_image *kernel, const struct elf_image *program,
		    enum vm_fail *fail, char *err, size_t errlen)
{
	const struct mv_boot_info *bi;
	gva_t rsp, params;
	int ret = kvm_setup_early(vm, fail, err, errlen);

	if (ret)
		return ret;
	/* The images do not fit guest memory, or the kernel's header is wrong. */
	*fail = VM_FAIL_IMAGE;
	ret = boot_build(vm, kernel, program, &rsp, &params, err, errlen);
	if (ret)
		return ret;
	*fail = VM_FAIL_SETUP;
	ret = evchan_setup(vm, err, errlen);
	if (ret)
		return ret;
	/* The VMM's own values, taken before the guest can write its copy. */
	bi = vm__gpa_to_hva(vm, vm->boot_info_gpa, sizeof(*bi));
	vm->pool_start = bi ? bi->pool_start : 0;
	vm->pool_end = bi ? bi->pool_end : 0;
	ret = kvm_setup_late(vm, fail, err, errlen);
	if (ret)
		return ret;
	*fail = VM_FAIL_SETUP;
	ret = kvm_set_user_mode(vm, vm->user_entry, rsp, params, err, errlen);
	if (ret)
		return ret;
	if (vm->cfg.console_path) {
		vm->console = fopen(vm->cfg.console_path, "w");
		if (!vm->console) {
			ret = -errno;
			snprintf(err, errlen, "cannot create %s: %s", vm->cfg.console_path,
				 strerror(errno));
		}
	}
	return ret;
}

struct vm *vm__create(const struct vm_config *cfg, enum vm_fail *fail, char *err, size_t errlen)
{
	struct elf_image kernel = {0}, program = {0};
	struct vm *vm = calloc(1, sizeof(*vm));
	enum vm_fail kind = VM_FAIL_IMAGE;
	int ret;

	if (!vm) {
		snprintf(err, errlen, "out of memory");
		if (fail)
			*fail = VM_FAIL_SETUP;
		errno = ENOMEM;
		return NULL;
	}
	vm->cfg = *cfg;
	vm->mem_size = cfg->mem_size;
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = vm->mem_fd = -1;
	vm->pagemap_fd = vm->kpageflags_fd = -1;
	vm->t_start_ns = now_ns();
	ret = elf_load_file(cfg->kernel_path, &kernel, err, errlen);
	if (!ret)
		ret = elf_load_file(cfg->program_path, &program, err, errlen);
	if (!ret)
		ret = vm_build(vm, &kernel, &program, &kind, err, errlen);
	elf_image_free(&kernel);
	elf_image_free(&program);
	if (fail)
		*fail = ret ? kind : VM_FAIL_NONE;
	if (ret) {
		vm__destroy(vm);
		errno = -ret;
		return NULL;
	}
	return vm;
}

void vm__destroy(struct vm *vm)
{
	if (!vm)
		return;
	evchan_free(vm);
	vm_paging_release(vm);
	if (vm->console)
		fclose(vm->console);
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	backing_unmap(vm);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm);
}

static void console_out(struct vm *vm, const uint8_t *data, uint64_t n, uint64_t *written)
{
	uint64_t room = *written < CONSOLE_MAX ? CONSOLE_MAX - *written : 0;

	if (n > room)
		n = room;
	if (vm->console)
		fwrite(data, 1, n, vm->console);
	if (vm->cfg.console_stdout)
		fwrite(data, 1, n, stdout);
	*written += n;
}

static void end_run(struct vm_result *res, enum vm_end end, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void end_run(struct vm_result *res, enum vm_end end, const char *fmt, ...)
{
	va_list ap;

	res->end = end;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

/* Freed guest frames: drop the host pages behind them (they read as zero again). */
static void handle_discard(struct vm *vm, const struct mv_msg *m, struct vm_result *res)
{
	uint64_t n = m->u.args[0];

	if (n > MV_DISCARD_MAX) {
		end_run(res, VM_END_ERROR, "guest discard message lists %llu ranges (at most %d)",
			(unsigned long long)n, MV_DISCARD_MAX);
		return;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t gpa = m->u.args[1 + 2 * i], len = m->u.args[2 + 2 * i];
		void *hva = vm__gpa_to_hva(vm, gpa, len);

		if (!hva || (gpa | len) & (SZ_4K - 1) || gpa < MV_GPA_USER) {
			end_run(res, VM_END_ERROR,
				"guest asked to discard GPA 0x%llx+0x%llx, which is not its free "
				"memory",
				(unsigned long long)gpa, (unsigned long long)len);
			return;
		}
		backing_discard(vm, hva, len);
		res->discarded_bytes += len;
	}
}

/*
 * Map a range the guest kernel asks for (populate.c checks it all), then
 * tell it how many of its table frames were taken.
 */
static void handle_populate(struct vm *vm, uint32_t gpa, const struct mv_msg *m,
			    struct vm_result *res)
{
	struct populate_ctx ctx = {vm->mem, vm->mem_size, vm->pool_start, vm->pool_end, 0};
	uint64_t used, *reply;
	struct kvm_sregs sr;
	char why[384];

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sr) < 0) {
		end_run(res, VM_END_ERROR, "KVM_GET_SREGS for a populate message: %s",
			strerror(errno));
		return;
	}
	ctx.cr3 = sr.cr3;
	if (populate_apply(&ctx, &m->u.populate, &used, why, sizeof(why))) {
		end_run(res, VM_END_ERROR, "guest populate message refused: %s", why);
		return;
	}
	reply = vm__gpa_to_hva(vm, (gpa_t)gpa + offsetof(struct mv_msg, u.populate.tables_used),
			       sizeof(*reply));
	if (reply)
		memcpy(reply, &used, sizeof(used));
}

/* A control-port message: the guest writes anything, so check it all. */
static void handle_msg(struct vm *vm, uint32_t gpa, struct vm_result *res)
{
	const struct mv_msg *m = vm__gpa_to_hva(vm, gpa, sizeof(struct mv_msg));
	struct mv_msg msg;

	if (!m) {
		end_run(res, VM_END_ERROR,
			"guest control message at GPA 0x%x is outside guest memory", gpa);
		return;
	}
	memcpy(&msg, m, sizeof(msg)); /* one snapshot; the guest cannot change it under us */
	switch (msg.type) {
	case MV_MSG_RESULT:
		res->have_result = true;
		res->result = msg.u.result;
		break;
	case MV_MSG_EXIT:
		res->have_kstats = true;
		res->kstats = msg.u.kstats;
		res->exit_status = msg.u.kstats.status;
		end_run(res, VM_END_EXIT, "the workload exited with status %llu",
			(unsigned long long)res->exit_status);
		break;
	case MV_MSG_DISCARD:
		handle_discard(vm, &msg, res);
		break;
	case MV_MSG_EVSYNC:
		evchan_sync(vm);
		break;
	case MV_MSG_POPULATE:
		handle_populate(vm, gpa, &msg, res);
		break;
	case MV_MSG_PANIC:
		res->have_panic = true;
		res->panic = msg.u.panic;
		vm_describe_panic(&res->panic, res->reason, sizeof(res->reason));
		res->end = VM_END_PANIC;
		vm__dump_crash(vm, &res->panic.regs, res->panic.cr3, res->crash_dump,
			       sizeof(res->crash_dump));
		break;
	default:
		end_run(res, VM_END_ERROR, "guest sent unknown control message type %u", msg.type);
	}
}

static void handle_io(struct vm *vm, struct vm_result *res, uint64_t *console_bytes)
{
	struct kvm_run *run = vm->run;
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	res->io_exits++;
	if (run->io.data_offset > vm->run_size || bytes > vm->run_size - run->io.data_offset) {
		end_run(res, VM_END_ERROR, "KVM reported I/O data outside the run area");
		return;
	}
	if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == MV_PORT_SERIAL) {
		console_out(vm, data, bytes, console_bytes);
	} else if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == MV_PORT_CTRL &&
		   run->io.size == 4 && run->io.count == 1) {
		uint32_t gpa;

		memcpy(&gpa, data, 4);
		handle_msg(vm, gpa, res);
	} else {
		end_run(res, VM_END_ERROR, "unexpected guest I/O: %s port 0x%x, %u byte(s) x %u",
			run->io.direction == KVM_EXIT_IO_OUT ? "out to" : "in from", run->io.port,
			run->io.size, run->io.count);
	}
}

static void dump_vcpu(struct vm *vm, struct vm_result *res)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct mv_regs m = {0};

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0 || ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return;
	m = (struct mv_regs){.r15 = r.r15,
			     .r14 = r.r14,
			     .r13 = r.r13,
			     .r12 = r.r12,
			     .r11 = r.r11,
			     .r10 = r.r10,
			     .r9 = r.r9,
			     .r8 = r.r8,
			     .rbp = r.rbp,
			     .rdi = r.rdi,
			     .rsi = r.rsi,
			     .rdx = r.rdx,
			     .rcx = r.rcx,
			     .rbx = r.rbx,
			     .rax = r.rax,
			     .rip = r.rip,
			     .cs = s.cs.selector,
			     .rflags = r.rflags,
			     .rsp = r.rsp,
			     .ss = s.ss.selector};
	vm__dump_crash(vm, &m, s.cr3, res->crash_dump, sizeof(res->crash_dump));
}

static void handle_exit(struct vm *vm, struct vm_result *res, uint64_t *console_bytes)
{
	struct kvm_run *run = vm->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(vm, res, console_bytes);
		break;
	case KVM_EXIT_HLT:
		end_run(res, VM_END_HLT, "the guest halted without reporting an exit");
		break;
	case KVM_EXIT_SHUTDOWN:
		end_run(res, VM_END_SHUTDOWN,
			"the guest triple-faulted (KVM_EXIT_SHUTDOWN); 'dmesg' shows the host's "
			"trace of the vectors that led there");
		break;
	case KVM_EXIT_MMIO:
		res->mmio_exits++;
		end_run(res, VM_END_ERROR,
			"the guest %s %u byte(s) at GPA 0x%llx, which is not guest memory",
			run->mmio.is_write ? "wrote" : "read", run->mmio.len,
			(unsigned long long)run->mmio.phys_addr);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		end_run(res, VM_END_ERROR, "KVM internal error, suberror %u",
			run->internal.suberror);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		end_run(res, VM_END_ERROR, "KVM could not enter the guest, reason 0x%llx",
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTR:
		break;
	default:
		end_run(res, VM_END_ERROR, "unexpected KVM exit reason %u", run->exit_reason);
	}
	if (res->end == VM_END_SHUTDOWN || res->end == VM_END_ERROR || res->end == VM_END_HLT)
		dump_vcpu(vm, res);
}

static void arm_timeout(double seconds)
{
	struct itimerval it = {0};

	it.it_value.tv_sec = (time_t)seconds;
	it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
	if (seconds > 0 && !it.it_value.tv_sec && !it.it_value.tv_usec)
		it.it_value.tv_usec = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}

int vm__run(struct vm *vm, struct vm_result *res)
{
	uint64_t console_bytes = 0, t0;

	memset(res, 0, sizeof(*res));
	vm_install_signal_handlers();
	stop_signal = 0;
	running = vm->run;
	if (vm->cfg.timeout_s > 0)
		arm_timeout(vm->cfg.timeout_s);
	t0 = now_ns();
	res->t_setup_ns = t0 - vm->t_start_ns;
	res->t_first_run = t0;
	evchan_start(vm);
	while (res->end == VM_END_NONE) {
		int ret;

		if (stop_signal)
			break;
		ret = ioctl(vm->vcpu_fd, KVM_RUN, 0);
		res->exits++;
		if (ret < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vm->run->immediate_exit = 0;
				continue;
			}
			end_run(res, VM_END_ERROR, "KVM_RUN failed: %s", strerror(errno));
			break;
		}
		handle_exit(vm, res, &console_bytes);
	}
	res->t_end = now_ns();
	res->t_run_ns = res->t_end - t0;
	arm_timeout(0);
	running = NULL;
	evchan_stop(vm, res);
	if (res->end == VM_END_NONE) {
		if (stop_signal == SIGALRM)
			end_run(res, VM_END_TIMEOUT, "the run exceeded --timeout %.3g s",
				vm->cfg.timeout_s);
		else
			end_run(res, VM_END_SIGNAL, "stopped by signal %d (%s)", (int)stop_signal,
				strsignal(stop_signal));
		dump_vcpu(vm, res);
	}
	if (vm->console)
		fflush(vm->console);
	if (vm->cfg.console_stdout)
		fflush(stdout);
	return vm_read_stats(vm, res);
}
