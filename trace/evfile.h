/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The memvirt event file: one versioned binary format for guest-channel
 * events, host-resolved translation chains, KVM MMU events and host faults.
 *
 * Layout (all integers little-endian; full description in docs/trace-format.md):
 *
 *   file header (struct ev_file_header, 64 bytes)
 *   record*     each starts with struct ev_hdr; size covers header and body,
 *               is a multiple of 8 and at least 16.
 *
 * Record types are self-describing: before the first record of a type the
 * writer emits an EV_SCHEMA record naming the type, its source, its body size
 * and every field (name, kind, offset, element count). A reader needs no
 * compiled-in knowledge of a type to print it, and finds types and fields by
 * name. Type ids 1..15 are the format's own; 16..47 the guest channel and the
 * VMM; 48..127 KVM and host events from eBPF; 128.. reserved.
 *
 * A file is written as a stream and can be read while it grows. A complete
 * file ends with an EV_END record; a reader that meets end-of-file without one
 * reports the file as truncated (with the offset) after handing out every
 * whole record it holds.
 */
#ifndef MEMVIRT_EVFILE_H
#define MEMVIRT_EVFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EV_MAGIC	  "MVEVENTS" /* 8 bytes, no terminator in the file */
#define EV_VERSION	  1
#define EV_HDR_SIZE	  16
#define EV_MAX_RECORD	  4096 /* largest record (header + body), bytes */
#define EV_NAME_LEN	  32   /* type names, NUL-padded */
#define EV_FIELD_NAME_LEN 24   /* field names, NUL-padded */
#define EV_MAX_FIELDS	  32

struct ev_file_header {
	char magic[8];	  /* EV_MAGIC */
	uint16_t version; /* EV_VERSION */
	uint16_t
		header_size; /* sizeof(struct ev_file_header): readers skip what they do not know */
	uint32_t flags;	     /* 0 */
	uint64_t created_ns; /* CLOCK_REALTIME when the file was opened */
	uint64_t mono_ns;    /* CLOCK_MONOTONIC at the same moment (host timestamps use it) */
	uint64_t tsc_hz;     /* guest TSC frequency, 0 when unknown */
	uint32_t pid;	     /* VMM process the events belong to, 0 when several */
	uint32_t reserved0;
	uint64_t reserved[2];
};

/* Where a record comes from; its timestamp's clock follows from it. */
enum ev_source {
	EV_SRC_META = 0,  /* the format's own records; ts = CLOCK_MONOTONIC ns */
	EV_SRC_GUEST = 1, /* guest event channel; ts = guest TSC (see EV_CLOCK) */
	EV_SRC_VMM = 2,	  /* the VMM (chains, exits); ts = CLOCK_MONOTONIC ns */
	EV_SRC_KVM = 3,	  /* eBPF on kvm/kvmmmu tracepoints; ts = CLOCK_MONOTONIC ns */
	EV_SRC_HOST = 4,  /* eBPF on host page faults; ts = CLOCK_MONOTONIC ns */
	EV_SRC_COUNT
};

const char *ev_source_name(unsigned src); /* "meta", "guest", "vmm", "kvm", "host", "?" */

struct ev_hdr {
	uint16_t type;
	uint16_t size;	 /* bytes of header and body, multiple of 8 */
	uint16_t source; /* enum ev_source */
	uint16_t cpu;	 /* vCPU index (guest, vmm, kvm) or host CPU (host) */
	uint64_t ts;	 /* see enum ev_source */
};

/* Field kinds. */
enum ev_kind {
	EV_K_U8 = 1,
	EV_K_U16,
	EV_K_U32,
	EV_K_U64,
	EV_K_S64,
	EV_K_X64,  /* u64 shown in hex (addresses, entries) */
	EV_K_CHAR, /* char[count], NUL-padded */
};

struct ev_field {
	const char *name;
	uint16_t kind;	 /* enum ev_kind */
	uint16_t offset; /* in the body */
	uint16_t count;	 /* array elements, 1 for a scalar */
};

struct ev_type {
	uint16_t id;
	uint16_t source;    /* enum ev_source */
	uint16_t body_size; /* multiple of 8 */
	const char *name;   /* e.g. "guest_fault", "kvm_mmu_pagetable_walk" */
	const struct ev_field *fields;
	unsigned nfields;
};

/* ---- the format's own records ---- */

enum {
	EV_SCHEMA = 1,	/* describes one type (struct ev_schema_body + fields) */
	EV_END = 2,	/* last record of a complete file */
	EV_DROPPED = 3, /* a source lost records (ring full, consumer behind) */
	EV_CLOCK = 4,	/* pairs the guest TSC with CLOCK_MONOTONIC */
	EV_NOTE = 5,	/* free text: a probe skipped, an attach target, ... */
};

struct ev_schema_body {
	uint16_t type;
	uint16_t source;
	uint16_t body_size;
	uint16_t nfields;
	char name[EV_NAME_LEN];
	/* then nfields * struct ev_schema_field */
};

struct ev_schema_field {
	char name[EV_FIELD_NAME_LEN];
	uint16_t kind;
	uint16_t offset;
	uint16_t count;
	uint16_t reserved;
};

struct ev_end_body {
	uint64_t records;		/* records before this one, schema included */
	uint64_t dropped[EV_SRC_COUNT]; /* lost records per source over the whole file */
};

struct ev_dropped_body {
	uint32_t source;
	uint32_t reserved;
	uint64_t count; /* lost since the previous EV_DROPPED of this source */
};

struct ev_clock_body {
	uint64_t guest_tsc; /* guest TSC ... */
	uint64_t mono_ns;   /* ... at this host CLOCK_MONOTONIC time */
	uint64_t tsc_hz;
};

struct ev_note_body {
	char text[120];
};

/* ---- guest event channel and VMM records (ids 16..47) ---- */

enum {
	EV_GUEST_FAULT = 16,
	EV_GUEST_MAP = 17,
	EV_GUEST_UNMAP = 18,
	EV_GUEST_PROTECT = 19,
	EV_GUEST_AS_CREATE = 20,
	EV_GUEST_AS_SWITCH = 21,
	EV_GUEST_TLB_FLUSH = 22,
	EV_VMM_CHAIN = 32,
	EV_VMM_MEMSLOT = 33,
};

/* A guest page fault the guest kernel handled: CR2, RIP, #PF error code, the frame it mapped. */
struct ev_guest_fault {
	uint64_t cr2;
	uint64_t rip;
	uint64_t gpa;	     /* frame mapped for it (page base), ~0 if the fault was fatal */
	uint64_t cr3;	     /* address space */
	uint32_t error_code; /* x86 #PF error code */
	uint32_t page_shift; /* 12, 21 or 30: size of the page mapped */
};

struct ev_guest_map { /* map, unmap and protect share this body */
	uint64_t va;
	uint64_t len;
	uint64_t cr3;
	uint32_t prot;	     /* MV_PROT_* of the guest ABI; 0 for unmap */
	uint32_t page_shift; /* 12, 21 or 30 */
};

struct ev_guest_as {
	uint64_t cr3;	   /* AS_CREATE: the new root; AS_SWITCH: the root switched to */
	uint64_t prev_cr3; /* AS_SWITCH: the root switched from; AS_CREATE: the creator's */
	uint32_t pid;
	uint32_t reserved;
};

enum ev_flush_kind {
	EV_FLUSH_INVLPG = 0, /* one page */
	EV_FLUSH_CR3 = 1,    /* CR3 reload (non-global entries) */
	EV_FLUSH_ALL = 2,    /* global entries too */
};

struct ev_guest_tlb_flush {
	uint64_t va; /* INVLPG: the address */
	uint64_t cr3;
	uint32_t kind; /* enum ev_flush_kind */
	uint32_t reserved;
};

/* Chain flags. */
#define EV_CHAIN_HPA_KNOWN  (1u << 0) /* the process could read the PFN */
#define EV_CHAIN_PRESENT    (1u << 1) /* host page present (pagemap bit 63) */
#define EV_CHAIN_SWAPPED    (1u << 2)
#define EV_CHAIN_SOFTDIRTY  (1u << 3)
#define EV_CHAIN_EXCLUSIVE  (1u << 4)
#define EV_CHAIN_KVM_AGREES (1u << 5) /* KVM_TRANSLATE gave the same GPA */

/* The four-space chain of one guest address, resolved by the VMM (run --chains). */
struct ev_vmm_chain {
	uint64_t gva;
	uint64_t gpa;
	uint64_t hva;
	uint64_t hpa; /* valid with EV_CHAIN_HPA_KNOWN */
	uint64_t cr3;
	uint64_t entry[5];    /* guest entries read, entry[0] = top level */
	uint32_t levels;      /* guest paging levels walked (entries valid) */
	uint32_t guest_shift; /* guest page size: 12, 21, 30 */
	uint32_t host_shift;  /* host page backing the HVA: 12, 21, 30 */
	uint32_t flags;	      /* EV_CHAIN_* */
};

/*
 * One KVM memory slot of the VM (written by the VMM at start, one per slot):
 * guest physical [gpa, gpa + size) is host virtual [hva, hva + size) of the
 * VMM process. Readers use it to place a host fault address in guest memory.
 */
struct ev_vmm_memslot {
	uint64_t gpa;
	uint64_t size; /* bytes */
	uint64_t hva;
	uint32_t slot;	/* KVM slot number */
	uint32_t flags; /* KVM_MEM_* flags of the slot */
};

/* The descriptors of the types above (for writers and for tests). */
extern const struct ev_type ev_type_guest_fault, ev_type_guest_map, ev_type_guest_unmap,
	ev_type_guest_protect, ev_type_guest_as_create, ev_type_guest_as_switch,
	ev_type_guest_tlb_flush, ev_type_vmm_chain;
extern const struct ev_type ev_type_vmm_memslot;

/* Bytes of one element of @kind, 0 for an unknown kind. */
unsigned ev_kind_size(unsigned kind);

/* ---- writer ---- */

struct ev_writer;

/*
 * Create @path (written as @path.tmp while open, renamed on ev_writer_close,
 * so a reader never sees a half-written file under the final name unless
 * @streaming, which writes @path directly so it can be read while it grows).
 * @tsc_hz and @pid go to the header. Returns 0 or -errno.
 */
int ev_writer_open(struct ev_writer **w, const char *path, uint64_t tsc_hz, uint32_t pid,
		   bool streaming);
/*
 * Append one record of @t (its schema record goes out first, once). @body
 * holds t->body_size bytes. Thread-safe; buffered. Returns 0 or -errno.
 */
int ev_write(struct ev_writer *w, const struct ev_type *t, uint16_t cpu, uint64_t ts,
	     const void *body);
/*
 * The same for a record already laid out as in the file: @rec holds a struct
 * ev_hdr (type and source those of @t, size EV_HDR_SIZE + t->body_size) and
 * the body, copied in one piece. For producers that build records in place
 * (the eBPF ring buffer).
 */
int ev_write_record(struct ev_writer *w, const struct ev_type *t, const void *rec);
/* Count @count records lost by @source (also written as an EV_DROPPED record). */
int ev_write_dropped(struct ev_writer *w, enum ev_source source, uint64_t count);
int ev_write_clock(struct ev_writer *w, uint64_t guest_tsc, uint64_t mono_ns, uint64_t tsc_hz);
int ev_write_note(struct ev_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ev_writer_flush(struct ev_writer *w);
/* Records written so far (schema included) and drops per source. */
uint64_t ev_writer_records(const struct ev_writer *w);
uint64_t ev_writer_dropped(const struct ev_writer *w, enum ev_source source);
/* Write EV_END, flush, fsync when @sync, rename into place; frees @w. Returns 0 or -errno. */
int ev_writer_close(struct ev_writer *w, bool sync);
/* Remove the partial file and free @w (error paths). */
void ev_writer_abort(struct ev_writer *w);

/* ---- reader ---- */

struct ev_reader;

/* A record type as the file's schema describes it. */
struct ev_rtype {
	uint16_t id;
	uint16_t source;
	uint16_t body_size;
	uint16_t nfields;
	char name[EV_NAME_LEN + 1];
	struct {
		char name[EV_FIELD_NAME_LEN + 1];
		uint16_t kind, offset, count;
	} field[EV_MAX_FIELDS];
};

struct ev_record {
	const struct ev_rtype *type; /* NULL for EV_SCHEMA records (not returned) */
	uint16_t source;
	uint16_t cpu;
	uint64_t ts;
	uint64_t offset;     /* of the record in the file */
	const uint8_t *body; /* valid until the next ev_read */
	uint32_t body_len;
};

/* Open a file, or a buffer (not copied; fuzzing and tests). Return 0 or -errno; on a bad header
 * ev_reader_error() says why. */
/*
 * On a bad header the call returns -EINVAL and still sets *r, so that
 * ev_reader_error(*r) can say why; the caller closes it. On other errors
 * (-ENOENT, -ENOMEM, ...) *r is NULL. ev_reader_close(NULL) does nothing.
 * After a truncation error (end of data inside a record or before EV_END),
 * ev_read may be called again: it retries from the same offset, so a file
 * written with @streaming can be followed while it grows. Any other error
 * is final.
 */
/*
 * @path may be '-': standard input, read whole into memory the first time and kept, so
 * that every later open of '-' reads it again. gzip and zstd files (and pipes) are read
 * in order through common/instream.h; a plain file in place.
 */
int ev_reader_open(struct ev_reader **r, const char *path);
int ev_reader_open_mem(struct ev_reader **r, const void *buf, size_t len);
void ev_reader_close(struct ev_reader *r);
const struct ev_file_header *ev_reader_header(const struct ev_reader *r);
/*
 * Next record other than EV_SCHEMA: 1 and *rec filled, 0 at a clean EV_END,
 * -1 on a bad or truncated file (ev_reader_error: "offset N: reason").
 * EV_END, EV_DROPPED, EV_CLOCK and EV_NOTE are returned like any record
 * (their types are built in).
 */
int ev_read(struct ev_reader *r, struct ev_record *rec);
const char *ev_reader_error(const struct ev_reader *r);
/* Types the file has described so far, by name or id; NULL if absent. */
const struct ev_rtype *ev_reader_type(const struct ev_reader *r, const char *name);
const struct ev_rtype *ev_reader_type_id(const struct ev_reader *r, uint16_t id);
/* Index of a field in @t, or -1. */
int ev_field_index(const struct ev_rtype *t, const char *name);
/* Element @i of field @f of @rec as an integer (0 for a bad index: callers check with
 * ev_field_index first). */
uint64_t ev_field_u64(const struct ev_record *rec, int f, unsigned i);
/* Totals seen in EV_END / EV_DROPPED so far. */
uint64_t ev_reader_dropped(const struct ev_reader *r, enum ev_source source);

/*
 * Guest timestamps on the host clock. Guest records carry the guest TSC; an
 * EV_CLOCK record pairs a TSC value with CLOCK_MONOTONIC. Feed every record
 * to ev_clock_see() in file order; ev_clock_ns() then gives a record's time in
 * CLOCK_MONOTONIC ns: host-side records as they are, guest records through
 * the latest EV_CLOCK, or before any, through the header's tsc_hz counting
 * from the first guest record (placed at the header's mono_ns). With no TSC
 * frequency at all the TSC is taken as ns.
 */
struct ev_clock {
	uint64_t tsc, mono, hz; /* the reference pair and the frequency in use */
	bool have_clock;	/* an EV_CLOCK was seen */
	bool have_first;	/* a guest record fixed the header-based reference */
	uint64_t hdr_mono, hdr_hz;
};
void ev_clock_init(struct ev_clock *c, const struct ev_file_header *h);
void ev_clock_see(struct ev_clock *c, const struct ev_record *rec);
uint64_t ev_clock_ns(const struct ev_clock *c, const struct ev_record *rec);

#endif
