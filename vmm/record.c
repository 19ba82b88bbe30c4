// SPDX-License-Identifier: GPL-2.0
/* run.json: configuration, host, results, kernel counters and KVM statistics of one run. */
#include <errno.h>
#include <string.h>

#include "common/json.h"
#include "lab/lab.h"
#include "common/util.h"
#include "common/version.h"
#include "host/host.h"
#include "vmm/vmm.h"

#define RUN_SCHEMA "memvirt-run/1"

static void write_config(struct json *j, const struct vm_config *c)
{
	json_obj_begin(j, "config");
	json_str(j, "workload", wl_name(c->wl.kind));
	json_u64(j, "footprint_bytes", c->wl.footprint);
	json_u64(j, "iters", c->wl.iters);
	json_u64(j, "page_size_bytes", c->wl.page_size);
	json_u64(j, "seed", c->wl.seed);
	json_u64(j, "stride_bytes", c->wl.stride);
	json_u64(j, "nproc", c->wl.nproc);
	json_bool(j, "populate", c->wl.populate);
	json_u64(j, "mem_bytes", c->mem_size);
	json_str(j, "backing", vm_backing_name(c->backing));
	json_u64(j, "host_page_size_bytes", vm_backing_page_size(c->backing));
	if (c->backing == VM_BACKING_ANON)
		json_bool(j, "thp_allowed", !c->no_thp);
	json_double(j, "timeout_s", c->timeout_s);
	json_str(j, "kernel", c->kernel_path);
	json_str(j, "program", c->program_path);
	json_obj_end(j);
}

static void write_result(struct json *j, const struct run_record *rec)
{
	const struct vm_result *res = rec->res;
	const struct mv_result *r = &res->result;

	json_obj_begin(j, "result");
	json_bool(j, "reported", res->have_result);
	if (res->have_result) {
		json_hex(j, "checksum", r->checksum);
		json_u64(j, "accesses", r->accesses);
		json_u64(j, "cycles", r->cycles);
		json_double(j, "cycles_per_access",
			    r->accesses ? (double)r->cycles / (double)r->accesses : 0.0);
		json_u64(j, "guest_faults", r->faults);
		if (rec->tsc_khz)
			json_double(j, "measured_seconds",
				    (double)r->cycles / ((double)rec->tsc_khz * 1000.0));
	}
	json_bool(j, "verify_done", rec->verify_done);
	if (rec->verify_done) {
		json_hex(j, "expected_checksum", rec->expected_checksum);
		json_bool(j, "verified", rec->verified);
	}
	json_obj_end(j);
}

static void write_kernel(struct json *j, const struct mv_kstats *k)
{
	json_obj_begin(j, "guest_kernel");
	json_u64(j, "page_faults", k->page_faults);
	json_u64(j, "syscalls", k->syscalls);
	json_u64(j, "cr3_switches", k->cr3_switches);
	json_u64(j, "invlpg", k->invlpg);
	json_u64(j, "cr3_flushes", k->cr3_flushes);
	json_u64(j, "frames_in_use_4k", k->frames_used);
	json_u64(j, "page_table_pages", k->pt_pages);
	json_u64(j, "mmaps", k->maps);
	json_u64(j, "munmaps", k->unmaps);
	json_u64(j, "mprotects", k->protects);
	json_u64(j, "processes", k->procs);
	json_u64(j, "populated_pages", k->populated);
	json_obj_end(j);
}

static void write_stats(struct json *j, const struct vm_result *res)
{
	static const char *const scopes[] = {"vm", "vcpu"};

	json_obj_begin(j, "kvm_stats");
	for (unsigned s = 0; s < ARRAY_SIZE(scopes); s++) {
		json_obj_begin(j, scopes[s]);
		for (unsigned i = 0; i < res->nr_stats; i++) {
			if (!strcmp(res->stats[i].scope, scopes[s]))
				json_u64(j, res->stats[i].name, res->stats[i].value);
		}
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void write_end(struct json *j, const struct vm_result *res)
{
	json_obj_begin(j, "end");
	json_str(j, "kind", vm_end_name(res->end));
	json_str(j, "reason", res->reason);
	json_u64(j, "exit_status", res->exit_status);
	if (res->crash_dump[0])
		json_str(j, "crash_dump", res->crash_dump);
	json_obj_end(j);
	json_obj_begin(j, "timing");
	json_u64(j, "setup_ns", res->t_setup_ns);
	json_u64(j, "guest_ns", res->t_run_ns);
	if (util_main_ns && res->t_first_run) {
		json_u64(j, "main_to_first_instruction_ns", res->t_first_run - util_main_ns);
		json_u64(j, "main_to_guest_end_ns", res->t_end - util_main_ns);
	}
	json_u64(j, "kvm_run_calls", res->exits);
	json_u64(j, "io_exits", res->io_exits);
	json_u64(j, "discarded_bytes", res->discarded_bytes);
	json_obj_end(j);
}

/* The guest event channel: what it delivered and what it lost (docs/run-json.md). */
static void write_events(struct json *j, const struct run_record *rec)
{
	static const char *const names[MV_EV__COUNT] = {
		[MV_EV_FAULT] = "guest_fault",	       [MV_EV_MAP] = "guest_map",
		[MV_EV_UNMAP] = "guest_unmap",	       [MV_EV_PROTECT] = "guest_protect",
		[MV_EV_AS_CREATE] = "guest_as_create", [MV_EV_AS_SWITCH] = "guest_as_switch",
		[MV_EV_TLB_FLUSH] = "guest_tlb_flush",
	};
	const struct vm_events *e = &rec->res->ev;

	json_obj_begin(j, "events");
	if (rec->events_path)
		json_str(j, "path", rec->events_path);
	else
		json_null(j, "path");
	json_bool(j, "channel", e->enabled);
	if (e->enabled) {
		json_hex(j, "ring_gpa", e->ring_gpa);
		json_u64(j, "ring_bytes", e->ring_bytes);
		json_obj_begin(j, "records");
		for (unsigned t = 1; t < MV_EV__COUNT; t++)
			json_u64(j, names[t], e->records[t]);
		json_u64(j, "vmm_chain", e->chains);
		json_obj_end(j);
		json_obj_begin(j, "dropped");
		json_u64(j, "guest_full", e->guest_full);
		json_u64(j, "malformed", e->malformed);
		json_obj_end(j);
		json_u64(j, "resyncs", e->resyncs);
		json_u64(j, "chain_failures", e->chain_failures);
		json_u64(j, "drains", e->drains);
		json_u64(j, "write_errors", e->write_errors);
	}
	json_obj_end(j);
}

int run_record_fprint(FILE *f, const struct run_record *rec)
{
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "schema", RUN_SCHEMA);
	json_str(&j, "memvirt_version", MEMVIRT_VERSION_STRING);
	memvirt_provenance_json(&j);
	json_str(&j, "status", rec->status);
	json_str(&j, "error", rec->error);
	json_str(&j, "started_at", rec->started_at);
	json_str(&j, "paging_requested", rec->paging);
	if (rec->host)
		json_str(&j, "paging_mode", host_mmu_mode_name(rec->host->mmu_mode));
	if (rec->host)
		vm_translation_json(rec->host, &j);
	json_obj_begin(&j, "paging");
	json_bool(&j, "reloaded", rec->paging_reloaded);
	json_str(&j, "from", rec->paging_reloaded ? rec->paging_from : NULL);
	json_str(&j, "to", rec->paging_reloaded ? rec->paging_to : NULL);
	json_obj_end(&j);
	json_u64(&j, "wall_ns", rec->wall_ns);
	write_config(&j, rec->cfg);
	if (rec->host) {
		json_obj_begin(&j, "host");
		host_info_json(rec->host, &j);
		json_obj_end(&j);
	}
	lab_identity_json(&j, "lab");
	if (rec->res) {
		write_end(&j, rec->res);
		write_result(&j, rec);
		if (rec->res->have_kstats)
			write_kernel(&j, &rec->res->kstats);
		write_stats(&j, rec->res);
		write_events(&j, rec);
		json_arr_begin(&j, "translations");
		for (unsigned i = 0; i < rec->nr_chains; i++) {
			json_obj_begin(&j, NULL);
			vm_chain_json(&rec->chains[i], &j);
			json_obj_end(&j);
		}
		json_arr_end(&j);
	}
	if (rec->extra_json)
		rec->extra_json(&j, rec->extra_arg);
	json_obj_end(&j);
	return json_finish(&j);
}

static int fill(FILE *f, void *arg)
{
	return run_record_fprint(f, arg);
}

int run_record_write(const char *path, const struct run_record *rec, bool sync)
{
	return write_file_atomic(path, fill, (void *)rec, sync);
}
