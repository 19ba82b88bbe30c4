// SPDX-License-Identifier: GPL-2.0
/* ELF loader tests: a valid image built in memory, then corrupted one field at a time. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

#include "common/util.h"
#include "test.h"
#include "vmm/elf.h"

#define B_MAX_SEGS 17
#define SEG_STRIDE 0x40 /* file bytes reserved per segment */
#define SEG_FILESZ 0x20
#define BSS_SIZE   0x2000
#define SEG_ALIGN  0x1000
#define PH_SEG(i)  ((i) + 1) /* program header 0 is PT_GNU_STACK */

enum { SEC_NULL, SEC_TEXT, SEC_DATA, SEC_BSS, SEC_SYMTAB, SEC_STRTAB, SEC_SHSTRTAB, SEC_NUM };
enum { SYM_NULL, SYM_START, SYM_RESULT, SYM_UNDEF, SYM_NUM };

static const char STRTAB[] = "\0_start\0guest_result\0undefined_sym";
static const char SHSTRTAB[] = "\0.text\0.data\0.bss\0.symtab\0.strtab\0.shstrtab";

/* An image and what the builder wrote into it: the expected values. */
struct built {
	uint8_t *buf;
	size_t size;
	size_t min_size; /* bytes elf_parse() needs: headers and segment file ranges */
	unsigned nseg;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[B_MAX_SEGS];
	Elf64_Shdr sh[SEC_NUM];
	Elf64_Sym sym[SYM_NUM];
};

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static size_t max_sz(size_t a, size_t b)
{
	return a > b ? a : b;
}

static void build_segments(struct built *b, size_t off)
{
	for (unsigned i = 0; i < b->nseg; i++) {
		bool last = i == b->nseg - 1;
		Elf64_Phdr *p = &b->ph[i];

		*p = (Elf64_Phdr){
			.p_type = PT_LOAD,
			.p_flags = PF_R | (i == 0 ? PF_X : 0) | (last && i ? PF_W : 0),
			.p_offset = off + i * SEG_STRIDE,
			.p_vaddr = 0x400000 + i * 0x100000 + ((off + i * SEG_STRIDE) & 0xfff),
			.p_paddr = 0x1000000 + i * 0x100000 + ((off + i * SEG_STRIDE) & 0xfff),
			.p_filesz = SEG_FILESZ,
			.p_memsz = SEG_FILESZ + (last ? BSS_SIZE : 0),
			.p_align = SEG_ALIGN,
		};
		b->min_size = max_sz(b->min_size, p->p_offset + p->p_filesz);
	}
}

static Elf64_Shdr shdr(uint32_t name, uint32_t type, uint64_t addr, uint64_t off, uint64_t size)
{
	return (Elf64_Shdr){.sh_name = name,
			    .sh_type = type,
			    .sh_addr = addr,
			    .sh_offset = off,
			    .sh_size = size,
			    .sh_addralign = 1};
}

/* Sections .text (segment 0), .data and .bss (last segment), .symtab, .strtab, .shstrtab. */
static size_t build_sections(struct built *b, size_t off)
{
	const Elf64_Phdr *t = &b->ph[0], *d = &b->ph[b->nseg - 1];

	b->sh[SEC_TEXT] = shdr(1, SHT_PROGBITS, t->p_vaddr, t->p_offset, t->p_filesz);
	b->sh[SEC_DATA] = shdr(7, SHT_PROGBITS, d->p_vaddr, d->p_offset, d->p_filesz);
	b->sh[SEC_BSS] = shdr(13, SHT_NOBITS, d->p_vaddr + d->p_filesz, d->p_offset + d->p_filesz,
			      d->p_memsz - d->p_filesz);
	off = align_up(off, 8);
	b->sh[SEC_SYMTAB] = shdr(18, SHT_SYMTAB, 0, off, sizeof(b->sym));
	b->sh[SEC_SYMTAB].sh_entsize = sizeof(Elf64_Sym);
	b->sh[SEC_SYMTAB].sh_link = SEC_STRTAB;
	b->sh[SEC_SYMTAB].sh_info = SYM_START;
	off += sizeof(b->sym);
	b->sh[SEC_STRTAB] = shdr(26, SHT_STRTAB, 0, off, sizeof(STRTAB));
	off += sizeof(STRTAB);
	b->sh[SEC_SHSTRTAB] = shdr(34, SHT_STRTAB, 0, off, sizeof(SHSTRTAB));
	off += sizeof(SHSTRTAB);
	b->sym[SYM_START] = (Elf64_Sym){.st_name = 1,
					.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
					.st_shndx = SEC_TEXT,
					.st_value = b->eh.e_entry};
	b->sym[SYM_RESULT] = (Elf64_Sym){.st_name = 8,
					 .st_shndx = SEC_BSS,
					 .st_size = 8,
					 .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
					 .st_value = b->sh[SEC_BSS].sh_addr};
	b->sym[SYM_UNDEF] = (Elf64_Sym){.st_name = 21,
					.st_shndx = SHN_UNDEF,
					.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE)};
	return align_up(off, 8);
}

static void build_ehdr(struct built *b)
{
	memcpy(b->eh.e_ident, ELFMAG, SELFMAG);
	b->eh.e_ident[EI_CLASS] = ELFCLASS64;
	b->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	b->eh.e_ident[EI_VERSION] = EV_CURRENT;
	b->eh.e_type = ET_EXEC;
	b->eh.e_machine = EM_X86_64;
	b->eh.e_version = EV_CURRENT;
	b->eh.e_phoff = sizeof(Elf64_Ehdr);
	b->eh.e_ehsize = sizeof(Elf64_Ehdr);
	b->eh.e_phentsize = sizeof(Elf64_Phdr);
	b->eh.e_phnum = b->nseg + 1;
	b->eh.e_shentsize = sizeof(Elf64_Shdr);
	b->eh.e_shnum = SEC_NUM;
	b->eh.e_shstrndx = SEC_SHSTRTAB;
}

static void write_image(struct built *b)
{
	Elf64_Phdr stack = {.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W, .p_align = 16};

	memcpy(b->buf, &b->eh, sizeof(b->eh));
	memcpy(b->buf + b->eh.e_phoff, &stack, sizeof(stack));
	for (unsigned i = 0; i < b->nseg; i++) {
		memcpy(b->buf + b->eh.e_phoff + PH_SEG(i) * sizeof(Elf64_Phdr), &b->ph[i],
		       sizeof(Elf64_Phdr));
		for (unsigned j = 0; j < SEG_FILESZ; j++)
			b->buf[b->ph[i].p_offset + j] = (uint8_t)(0xa0 + 7 * i + j);
	}
	memcpy(b->buf + b->sh[SEC_SYMTAB].sh_offset, b->sym, sizeof(b->sym));
	memcpy(b->buf + b->sh[SEC_STRTAB].sh_offset, STRTAB, sizeof(STRTAB));
	memcpy(b->buf + b->sh[SEC_SHSTRTAB].sh_offset, SHSTRTAB, sizeof(SHSTRTAB));
	memcpy(b->buf + b->eh.e_shoff, b->sh, sizeof(b->sh));
}

/*
 * A static x86-64 executable: PT_GNU_STACK, then @nseg PT_LOADs (the first
 * R+X with the entry point, the last R+W with a bss), then section data and
 * the section header table at the end. The buffer is exactly b->size bytes,
 * so AddressSanitizer sees any read past the end.
 */
static void build(struct built *b, unsigned nseg)
{
	size_t off;

	memset(b, 0, sizeof(*b));
	b->nseg = nseg;
	build_ehdr(b);
	off = align_up(b->eh.e_phoff + (nseg + 1) * sizeof(Elf64_Phdr), 16);
	b->min_size = off;
	build_segments(b, off);
	b->eh.e_entry = b->ph[0].p_vaddr + 4;
	b->eh.e_shoff = build_sections(b, off + nseg * SEG_STRIDE);
	b->size = b->eh.e_shoff + sizeof(b->sh);
	b->buf = calloc(1, b->size);
	if (!b->buf)
		abort();
	write_image(b);
}

static void built_free(struct built *b)
{
	free(b->buf);
	b->buf = NULL;
}

#define EDIT(type, b, off, stmt)                           \
	do {                                               \
		type x_;                                   \
		memcpy(&x_, (b)->buf + (off), sizeof(x_)); \
		{                                          \
			type *x = &x_;                     \
			stmt;                              \
		}                                          \
		memcpy((b)->buf + (off), &x_, sizeof(x_)); \
	} while (0)
#define EDIT_EHDR(b, stmt)    EDIT(Elf64_Ehdr, b, 0, stmt)
#define EDIT_PHDR(b, i, stmt) EDIT(Elf64_Phdr, b, (b)->eh.e_phoff + (i) * sizeof(Elf64_Phdr), stmt)
#define EDIT_SHDR(b, i, stmt) EDIT(Elf64_Shdr, b, (b)->eh.e_shoff + (i) * sizeof(Elf64_Shdr), stmt)
#define EDIT_SEG(b, i, stmt)  EDIT_PHDR(b, PH_SEG(i), stmt)

/* elf_parse() on a private heap copy of exactly @len bytes. */
static int parse_len(const struct built *b, size_t len, struct elf_image *img, char *err,
		     size_t errlen, uint8_t **copy)
{
	*copy = malloc(len ? len : 1);
	if (!*copy)
		abort();
	memcpy(*copy, b->buf, len);
	return elf_parse(*copy, len, img, err, errlen);
}

/* The error line is one non-empty line containing @want. */
static void check_err_line(const char *err, const char *want, const char *what, int line)
{
	if (!err[0] || strchr(err, '\n') || !strstr(err, want)) {
		fprintf(stderr, "%s:%d: %s: error \"%s\" lacks \"%s\" or is not one line\n",
			__FILE__, line, what, err, want);
		test_failures++;
	}
}

static void expect_parse(const struct built *b, int want, const char *msg, const char *what,
			 int line)
{
	struct elf_image img;
	char err[256] = "";
	int ret = elf_parse(b->buf, b->size, &img, err, sizeof(err));

	if (ret != want) {
		fprintf(stderr, "%s:%d: %s: elf_parse returned %d, expected %d (%s)\n", __FILE__,
			line, what, ret, want, err);
		test_failures++;
	}
	if (want)
		check_err_line(err, msg, what, line);
	if (want && (img.nseg || img.data)) {
		fprintf(stderr, "%s:%d: %s: image not cleared on failure\n", __FILE__, line, what);
		test_failures++;
	}
}

/* Write @val, little-endian, into the @len-byte field at @off of header @idx. */
enum { POKE_EHDR, POKE_PHDR, POKE_SHDR };
struct poke {
	uint8_t where, idx, off, len;
	uint64_t val;
};
#define FIELD(type, f) offsetof(type, f), sizeof(((type *)0)->f)
#define ID(i, v)       POKE_EHDR, 0, (i), 1, (v)
#define EH(f, v)       POKE_EHDR, 0, FIELD(Elf64_Ehdr, f), (v)
#define PHN(n, f, v)   POKE_PHDR, (n), FIELD(Elf64_Phdr, f), (v)
#define SEG(i, f, v)   PHN(PH_SEG(i), f, v)
#define SH(sec, f, v)  POKE_SHDR, (sec), FIELD(Elf64_Shdr, f), (v)
#define NOPOKE	       0, 0, 0, 0, 0

static void corrupt(struct built *b, const struct poke *p, void (*apply)(struct built *b))
{
	size_t base = p->where == POKE_PHDR   ? b->eh.e_phoff + p->idx * sizeof(Elf64_Phdr)
		      : p->where == POKE_SHDR ? b->eh.e_shoff + p->idx * sizeof(Elf64_Shdr)
					      : 0;

	for (unsigned k = 0; k < p->len; k++)
		b->buf[base + p->off + k] = (uint8_t)(p->val >> (8 * k));
	if (apply)
		apply(b);
}

/* One corruption of the valid image, and what elf_parse() must say about it. */
struct corruption {
	const char *name;
	unsigned nseg;
	struct poke poke;
	void (*apply)(struct built *b); /* for values that depend on the layout */
	int ret;
	const char *msg;
	bool seed; /* also written to the fuzz seed corpus */
};
#define CORRUPTION(name, nseg, poke, apply, ret, msg, seed) \
	{                                                   \
		name, nseg, {poke}, apply, ret, msg, seed   \
	}

static void c_phoff_end(struct built *b)
{
	EDIT_EHDR(b, x->e_phoff = b->size);
}

static void c_seg_past_end(struct built *b)
{
	EDIT_SEG(b, 1, x->p_offset = b->size - 0x10);
}

static void c_vaddr_wrap(struct built *b)
{
	EDIT_SEG(b, 1, x->p_vaddr = 0xfffffffffffff000 | (x->p_offset & 0xfff);
		 x->p_memsz = 0x2000);
}

static void c_align_incongruent(struct built *b)
{
	EDIT_SEG(b, 1, x->p_vaddr += 8);
}

static void c_align_0_and_1(struct built *b)
{
	EDIT_SEG(b, 1, x->p_align = 0; x->p_vaddr += 8);
	EDIT_SEG(b, 2, x->p_align = 1; x->p_vaddr += 8);
}

static void c_overlap_vaddr(struct built *b)
{
	EDIT_SEG(b, 1, x->p_align = 1; x->p_vaddr = b->ph[0].p_vaddr + b->ph[0].p_memsz - 1);
}

static void c_overlap_paddr(struct built *b)
{
	EDIT_SEG(b, 2, x->p_paddr = b->ph[1].p_paddr + 0x10);
}

static void c_adjacent(struct built *b)
{
	EDIT_SEG(b, 1, x->p_align = 1; x->p_vaddr = b->ph[0].p_vaddr + b->ph[0].p_memsz;
		 x->p_paddr = b->ph[0].p_paddr + b->ph[0].p_memsz);
}

static void c_entry_nx(struct built *b)
{
	EDIT_EHDR(b, x->e_entry = b->ph[1].p_vaddr);
}

static void c_entry_at_end(struct built *b)
{
	EDIT_EHDR(b, x->e_entry = b->ph[0].p_vaddr + b->ph[0].p_memsz);
}

static void c_entry_last_byte(struct built *b)
{
	EDIT_EHDR(b, x->e_entry = b->ph[0].p_vaddr + b->ph[0].p_memsz - 1);
}

static void c_no_load(struct built *b)
{
	for (unsigned i = 0; i < b->nseg; i++)
		EDIT_SEG(b, i, x->p_type = PT_NOTE);
}

static const struct corruption corruptions[] = {
	CORRUPTION("valid-1seg", 1, NOPOKE, NULL, 0, NULL, true),
	CORRUPTION("valid-3seg", 3, NOPOKE, NULL, 0, NULL, true),
	CORRUPTION("valid-16seg", 16, NOPOKE, NULL, 0, NULL, true),
	CORRUPTION("bad-magic", 3, ID(EI_MAG1, 'X'), NULL, -EINVAL, "not an ELF file (bad magic)",
		   false),
	CORRUPTION("class32", 3, ID(EI_CLASS, ELFCLASS32), NULL, -EINVAL,
		   "ELF class 32-bit: memvirt guest images must be 64-bit x86-64", false),
	CORRUPTION("class-invalid", 3, ID(EI_CLASS, 7), NULL, -EINVAL, "ELF class 7 is invalid",
		   false),
	CORRUPTION("big-endian", 3, ID(EI_DATA, ELFDATA2MSB), NULL, -EINVAL, "big-endian", false),
	CORRUPTION("ident-version", 3, ID(EI_VERSION, EV_NONE), NULL, -EINVAL,
		   "identification version 0", false),
	CORRUPTION("e-version", 3, EH(e_version, 2), NULL, -EINVAL, "e_version 2", false),
	CORRUPTION("machine", 3, EH(e_machine, EM_AARCH64), NULL, -EINVAL,
		   "ELF machine 183 (AArch64)", false),
	CORRUPTION("et-dyn", 3, EH(e_type, ET_DYN), NULL, -EINVAL, "ET_DYN", true),
	CORRUPTION("et-rel", 3, EH(e_type, ET_REL), NULL, -EINVAL, "ET_REL", false),
	CORRUPTION("phoff-past-end", 3, NOPOKE, c_phoff_end, -EINVAL, "extends past end of file",
		   false),
	CORRUPTION("phoff-wrap", 3, EH(e_phoff, UINT64_MAX - 8), NULL, -EINVAL,
		   "program header table", false),
	CORRUPTION("phnum-huge", 3, EH(e_phnum, 0xfffe), NULL, -E2BIG, "e_phnum 65534", false),
	CORRUPTION("phnum-xnum", 3, EH(e_phnum, PN_XNUM), NULL, -E2BIG, "e_phnum 65535", false),
	CORRUPTION("phnum-past-end", 3, EH(e_phnum, 60), NULL, -EINVAL, "program header table",
		   false),
	CORRUPTION("phnum-zero", 3, EH(e_phnum, 0), NULL, -EINVAL, "no program headers", false),
	CORRUPTION("phentsize", 3, EH(e_phentsize, 32), NULL, -EINVAL, "e_phentsize 32", false),
	CORRUPTION("seg-past-end", 3, NOPOKE, c_seg_past_end, -EINVAL, "extends past end of file",
		   true),
	CORRUPTION("seg-offset-wrap", 3, SEG(1, p_offset, UINT64_MAX - 0xf), NULL, -EINVAL,
		   "overflows 64 bits", false),
	CORRUPTION("filesz-gt-memsz", 3, SEG(0, p_memsz, SEG_FILESZ - 1), NULL, -EINVAL,
		   "program header 1: file size 0x20 is larger than memory size 0x1f", true),
	CORRUPTION("vaddr-wrap", 3, NOPOKE, c_vaddr_wrap, -EINVAL, "program header 2: memory range",
		   false),
	CORRUPTION("paddr-wrap", 3, SEG(1, p_paddr, UINT64_MAX - 0xf), NULL, -EINVAL,
		   "program header 2: physical range", false),
	CORRUPTION("align-not-pow2", 3, SEG(1, p_align, 0x1800), NULL, -EINVAL,
		   "0x1800 is not a power of two", false),
	CORRUPTION("align-incongruent", 3, NOPOKE, c_align_incongruent, -EINVAL,
		   "differ modulo alignment 0x1000", false),
	CORRUPTION("align-0-and-1", 3, NOPOKE, c_align_0_and_1, 0, NULL, false),
	CORRUPTION("overlap-vaddr", 3, NOPOKE, c_overlap_vaddr, -EINVAL,
		   "program headers 1 and 2: segments 0x400120+0x20 and 0x40013f+0x20 overlap in "
		   "virtual memory",
		   true),
	CORRUPTION("overlap-paddr", 3, NOPOKE, c_overlap_paddr, -EINVAL,
		   "overlap in physical memory", false),
	CORRUPTION("adjacent", 3, NOPOKE, c_adjacent, 0, NULL, false),
	CORRUPTION("too-many-segments", 17, NOPOKE, NULL, -E2BIG,
		   "program header 17: more than 16 PT_LOAD", true),
	CORRUPTION("entry-outside", 3, EH(e_entry, 0x10), NULL, -EINVAL,
		   "entry point 0x10 is not inside an executable segment: no PT_LOAD", false),
	CORRUPTION("entry-nx", 3, NOPOKE, c_entry_nx, -EINVAL,
		   "entry point 0x500160 is not inside an executable segment: program header 2 "
		   "(0x500160+0x20) lacks PF_X",
		   true),
	CORRUPTION("entry-at-end", 3, NOPOKE, c_entry_at_end, -EINVAL,
		   "entry point 0x400140 is not inside", false),
	CORRUPTION("entry-last-byte", 3, NOPOKE, c_entry_last_byte, 0, NULL, false),
	CORRUPTION("no-load", 3, NOPOKE, c_no_load, -EINVAL, "no PT_LOAD segment", false),
	CORRUPTION("interp", 3, PHN(0, p_type, PT_INTERP), NULL, -EINVAL,
		   "program header 0: PT_INTERP", false),
};

/* Segment and entry values that the messages in corruptions[] spell out. */
static void test_layout(void)
{
	struct built b;

	build(&b, 3);
	CHECK_EQ_U64(b.ph[0].p_vaddr, 0x400120);
	CHECK_EQ_U64(b.ph[1].p_vaddr, 0x500160);
	CHECK_EQ_U64(b.eh.e_entry, 0x400124);
	CHECK(b.size < 4096);
	built_free(&b);
}

static void test_corruptions(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(corruptions); i++) {
		const struct corruption *c = &corruptions[i];
		struct built b;

		build(&b, c->nseg);
		corrupt(&b, &c->poke, c->apply);
		expect_parse(&b, c->ret, c->msg, c->name, __LINE__);
		built_free(&b);
	}
}

/* The exact message for a segment past the end, with the numbers the builder chose. */
static void test_past_end_message(void)
{
	struct elf_image img;
	char err[256], want[256];
	struct built b;

	build(&b, 3);
	c_seg_past_end(&b);
	CHECK_EQ_U64(elf_parse(b.buf, b.size, &img, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "program header 2: segment file range 0x%zx+0x20 extends past end of file "
		 "(0x%zx bytes)",
		 b.size - 0x10, b.size);
	CHECK_STR(err, want);
	built_free(&b);
}

static void check_segments(const struct built *b, const struct elf_image *img)
{
	CHECK_EQ_U64(img->nseg, b->nseg);
	CHECK_EQ_U64(img->entry, b->eh.e_entry);
	for (unsigned i = 0; i < b->nseg && i < img->nseg; i++) {
		const struct elf_segment *s = &img->seg[i];
		const Elf64_Phdr *p = &b->ph[i];
		uint32_t flags = ELF_SEG_R | (i == 0 ? ELF_SEG_X : 0) |
				 (i && i == b->nseg - 1 ? ELF_SEG_W : 0);

		CHECK_EQ_U64(s->vaddr, p->p_vaddr);
		CHECK_EQ_U64(s->paddr, p->p_paddr);
		CHECK_EQ_U64(s->offset, p->p_offset);
		CHECK_EQ_U64(s->filesz, p->p_filesz);
		CHECK_EQ_U64(s->memsz, p->p_memsz);
		CHECK_EQ_U64(s->align, p->p_align);
		CHECK_EQ_U64(s->flags, flags);
	}
}

static void check_section(const struct elf_image *img, const char *name, const Elf64_Shdr *sh)
{
	uint64_t addr = 1, size = 1;

	CHECK_EQ_U64(elf_find_section(img, name, &addr, &size), 0);
	CHECK_EQ_U64(addr, sh->sh_addr);
	CHECK_EQ_U64(size, sh->sh_size);
}

static void check_lookups(const struct built *b, const struct elf_image *img)
{
	uint64_t v = 0, a, s;

	check_section(img, ".text", &b->sh[SEC_TEXT]);
	check_section(img, ".data", &b->sh[SEC_DATA]);
	check_section(img, ".bss", &b->sh[SEC_BSS]);
	check_section(img, ".symtab", &b->sh[SEC_SYMTAB]);
	check_section(img, ".shstrtab", &b->sh[SEC_SHSTRTAB]);
	CHECK_EQ_U64(elf_find_section(img, ".mvhdr", &a, &s), -ENOENT);
	CHECK_EQ_U64(elf_find_section(img, ".shstrtab.longer-than-the-table", &a, &s), -ENOENT);
	CHECK_EQ_U64(elf_find_section(img, "", &a, &s), -ENOENT);
	CHECK_EQ_U64(elf_find_symbol(img, "_start", &v), 0);
	CHECK_EQ_U64(v, b->sym[SYM_START].st_value);
	CHECK_EQ_U64(elf_find_symbol(img, "guest_result", &v), 0);
	CHECK_EQ_U64(v, b->sym[SYM_RESULT].st_value);
	CHECK_EQ_U64(elf_find_symbol(img, "undefined_sym", &v), -ENOENT);
	CHECK_EQ_U64(elf_find_symbol(img, "guest_resul", &v), -ENOENT);
	CHECK_EQ_U64(elf_find_symbol(img, "missing", &v), -ENOENT);
}

static void test_valid(void)
{
	static const unsigned counts[] = {1, 3, 16};

	for (size_t k = 0; k < ARRAY_SIZE(counts); k++) {
		struct elf_image img;
		char err[256] = "";
		struct built b;

		build(&b, counts[k]);
		CHECK_EQ_U64(elf_parse(b.buf, b.size, &img, err, sizeof(err)), 0);
		CHECK_STR(err, "");
		CHECK(img.data == b.buf && img.size == b.size && !img.owned);
		check_segments(&b, &img);
		check_lookups(&b, &img);
		elf_image_free(&img); /* must not free the caller's buffer */
		CHECK(!img.data && !img.nseg);
		built_free(&b);
	}
}

static void test_segment_copy(void)
{
	struct elf_image img;
	struct built b;
	uint8_t *dst;
	size_t cap = SEG_FILESZ + BSS_SIZE + 64;

	build(&b, 3);
	CHECK_EQ_U64(elf_parse(b.buf, b.size, &img, NULL, 0), 0);
	dst = malloc(cap);
	for (unsigned i = 0; i < b.nseg && dst; i++) {
		const Elf64_Phdr *p = &b.ph[i];
		size_t bad = 0;

		memset(dst, 0xee, cap);
		CHECK_EQ_U64(elf_segment_copy(&img, i, dst, p->p_memsz - 1), -E2BIG);
		CHECK(dst[0] == 0xee);
		CHECK_EQ_U64(elf_segment_copy(&img, i, dst, cap), 0);
		for (size_t j = 0; j < cap; j++) {
			uint8_t want = j < p->p_filesz	? (uint8_t)(0xa0 + 7 * i + j)
				       : j < p->p_memsz ? 0
							: 0xee;
			bad += dst[j] != want;
		}
		CHECK_EQ_U64(bad, 0);
		CHECK_EQ_U64(elf_segment_copy(&img, i, dst, p->p_memsz), 0);
	}
	CHECK_EQ_U64(elf_segment_copy(&img, b.nseg, dst, cap), -EINVAL);
	free(dst);
	built_free(&b);
}

/* Every prefix of the image: no crash, failure below min_size, success from there. */
static void test_truncation(void)
{
	struct built b;

	build(&b, 3);
	CHECK(b.min_size > sizeof(Elf64_Ehdr) && b.min_size < b.size);
	for (size_t len = 0; len <= b.size; len++) {
		struct elf_image img;
		char err[256] = "";
		uint64_t a, s, v;
		uint8_t *copy;
		int ret = parse_len(&b, len, &img, err, sizeof(err), &copy);

		if (len < b.min_size) {
			CHECK(ret == -EINVAL);
			check_err_line(err, "", "truncated", __LINE__);
		} else {
			CHECK_EQ_U64(ret, 0);
			/* Section headers come last, so every shorter prefix cuts them. */
			ret = elf_find_section(&img, ".text", &a, &s);
			CHECK_EQ_U64(ret, len == b.size ? 0 : -EINVAL);
			ret = elf_find_symbol(&img, "_start", &v);
			CHECK_EQ_U64(ret, len == b.size ? 0 : -EINVAL);
		}
		free(copy);
	}
	built_free(&b);
}

static void test_err_buffer(void)
{
	struct elf_image img;
	char err[8];
	struct built b;

	build(&b, 3);
	b.buf[EI_MAG1] = 'X';
	memset(err, 'z', sizeof(err));
	CHECK_EQ_U64(elf_parse(b.buf, b.size, &img, err, 5), -EINVAL);
	CHECK_STR(err, "not ");
	CHECK(err[5] == 'z');
	CHECK_EQ_U64(elf_parse(b.buf, b.size, &img, NULL, 0), -EINVAL);
	CHECK_EQ_U64(elf_parse(NULL, 0, &img, err, sizeof(err)), -EINVAL);
	CHECK_EQ_U64(elf_parse(NULL, 64, &img, err, sizeof(err)), -EINVAL);
	built_free(&b);
}

/* A section-level corruption: elf_parse() accepts it, the lookups refuse it. */
struct sec_corruption {
	const char *name;
	struct poke poke;
	void (*apply)(struct built *b);
	int section_ret, symbol_ret;
};
#define SEC_CORRUPTION(name, poke, apply, sec_ret, sym_ret) \
	{                                                   \
		name, {poke}, apply, sec_ret, sym_ret       \
	}

static void s_shstrtab_unterminated(struct built *b)
{
	const Elf64_Shdr *sh = &b->sh[SEC_SHSTRTAB];

	b->buf[sh->sh_offset + sh->sh_size - 1] = 'x';
}

static void s_strtab_unterminated(struct built *b)
{
	const Elf64_Shdr *sh = &b->sh[SEC_STRTAB];

	b->buf[sh->sh_offset + sh->sh_size - 1] = 'x';
}

static void s_shoff_end(struct built *b)
{
	EDIT_EHDR(b, x->e_shoff = b->size - 8);
}

static void s_shstrtab_past_end(struct built *b)
{
	EDIT_SHDR(b, SEC_SHSTRTAB, x->sh_offset = b->size - 4);
}

static void s_sym_name(struct built *b)
{
	size_t off = b->sh[SEC_SYMTAB].sh_offset + SYM_START * sizeof(Elf64_Sym);

	EDIT(Elf64_Sym, b, off, x->st_name = 0xffffff);
}

static const struct sec_corruption sec_corruptions[] = {
	SEC_CORRUPTION("shstrtab-unterminated", NOPOKE, s_shstrtab_unterminated, -EINVAL, 0),
	SEC_CORRUPTION("strtab-unterminated", NOPOKE, s_strtab_unterminated, 0, -EINVAL),
	SEC_CORRUPTION("section-name-index", SH(SEC_TEXT, sh_name, 0x10000), NULL, -EINVAL, 0),
	SEC_CORRUPTION("section-name-at-end", SH(SEC_TEXT, sh_name, sizeof(SHSTRTAB)), NULL,
		       -EINVAL, 0),
	SEC_CORRUPTION("shstrndx-out-of-range", EH(e_shstrndx, SEC_NUM), NULL, -EINVAL, -EINVAL),
	SEC_CORRUPTION("shstrndx-not-strtab", EH(e_shstrndx, SEC_SYMTAB), NULL, -EINVAL, 0),
	SEC_CORRUPTION("shstrndx-undef", EH(e_shstrndx, SHN_UNDEF), NULL, -ENOENT, 0),
	SEC_CORRUPTION("shentsize", EH(e_shentsize, 40), NULL, -EINVAL, -EINVAL),
	SEC_CORRUPTION("shoff-past-end", NOPOKE, s_shoff_end, -EINVAL, -EINVAL),
	SEC_CORRUPTION("shoff-wrap", EH(e_shoff, UINT64_MAX - 0x40), NULL, -EINVAL, -EINVAL),
	SEC_CORRUPTION("no-section-headers", EH(e_shoff, 0), NULL, -ENOENT, -ENOENT),
	SEC_CORRUPTION("shnum-extended", EH(e_shnum, 0), NULL, -EINVAL, -EINVAL),
	SEC_CORRUPTION("shstrtab-past-end", NOPOKE, s_shstrtab_past_end, -EINVAL, 0),
	SEC_CORRUPTION("symtab-entsize", SH(SEC_SYMTAB, sh_entsize, 16), NULL, 0, -EINVAL),
	SEC_CORRUPTION("symtab-size", SH(SEC_SYMTAB, sh_size, SYM_NUM * sizeof(Elf64_Sym) - 1),
		       NULL, 0, -EINVAL),
	SEC_CORRUPTION("symtab-past-end", SH(SEC_SYMTAB, sh_size, 1000 * sizeof(Elf64_Sym)), NULL,
		       0, -EINVAL),
	SEC_CORRUPTION("symtab-link-range", SH(SEC_SYMTAB, sh_link, 99), NULL, 0, -EINVAL),
	SEC_CORRUPTION("symtab-link-progbits", SH(SEC_SYMTAB, sh_link, SEC_TEXT), NULL, 0, -EINVAL),
	SEC_CORRUPTION("symtab-link-zero", SH(SEC_SYMTAB, sh_link, 0), NULL, 0, -EINVAL),
	SEC_CORRUPTION("symbol-name-index", NOPOKE, s_sym_name, 0, -EINVAL),
	SEC_CORRUPTION("no-symtab", SH(SEC_SYMTAB, sh_type, SHT_PROGBITS), NULL, 0, -ENOENT),
};

static void test_sections(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(sec_corruptions); i++) {
		const struct sec_corruption *c = &sec_corruptions[i];
		struct elf_image img;
		uint64_t a = 0, s = 0, v = 0;
		struct built b;
		int ret;

		build(&b, 3);
		corrupt(&b, &c->poke, c->apply);
		ret = elf_parse(b.buf, b.size, &img, NULL, 0);
		CHECK_EQ_U64(ret, 0);
		ret = elf_find_section(&img, ".data", &a, &s);
		if (ret != c->section_ret) {
			fprintf(stderr, "%s:%d: %s: elf_find_section %d, expected %d\n", __FILE__,
				__LINE__, c->name, ret, c->section_ret);
			test_failures++;
		}
		ret = elf_find_symbol(&img, "guest_result", &v);
		if (ret != c->symbol_ret) {
			fprintf(stderr, "%s:%d: %s: elf_find_symbol %d, expected %d\n", __FILE__,
				__LINE__, c->name, ret, c->symbol_ret);
			test_failures++;
		}
		built_free(&b);
	}
}

/* A string table that ends the file: a name one byte too long must not read past it. */
static void test_strtab_at_end(void)
{
	struct elf_image img;
	uint64_t a = 0, s = 0;
	size_t old = 0;
	struct built b;

	build(&b, 3);
	old = b.size;
	b.size += sizeof(SHSTRTAB);
	b.buf = realloc(b.buf, b.size);
	if (!b.buf)
		abort();
	memcpy(b.buf + old, SHSTRTAB, sizeof(SHSTRTAB));
	EDIT_SHDR(&b, SEC_SHSTRTAB, x->sh_offset = old);
	CHECK_EQ_U64(elf_parse(b.buf, b.size, &img, NULL, 0), 0);
	CHECK_EQ_U64(elf_find_section(&img, ".shstrtab", &a, &s), 0);
	CHECK_EQ_U64(s, sizeof(SHSTRTAB));
	CHECK_EQ_U64(elf_find_section(&img, ".shstrtabX", &a, &s), -ENOENT);
	built_free(&b);
}

/* This test binary itself: a PIE on Debian, which guest images must not be. */
static void test_self_exe(void)
{
	struct elf_image img;
	char err[512] = "";
	Elf64_Ehdr eh = {0};
	int fd = open("/proc/self/exe", O_RDONLY), ret;

	if (fd < 0 || read(fd, &eh, sizeof(eh)) != sizeof(eh))
		CHECK(!"cannot read /proc/self/exe");
	if (fd >= 0)
		close(fd);
	ret = elf_load_file("/proc/self/exe", &img, err, sizeof(err));
	CHECK(!img.owned && !img.data);
	if (eh.e_type != ET_DYN) {
		fprintf(stderr, "note: test binary is not PIE (e_type %u): %s\n", eh.e_type, err);
		return;
	}
	CHECK_EQ_U64(ret, -EINVAL);
	check_err_line(err, "/proc/self/exe: ELF type ET_DYN (PIE or shared object)", "self",
		       __LINE__);
}

static int write_tmp(const void *buf, size_t len, char *path, size_t pathlen)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, pathlen, "%s/test_elf.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

static void test_load_file(void)
{
	struct elf_image img;
	char path[256], err[512];
	uint64_t v = 0;
	struct built b;
	int fd;

	build(&b, 3);
	fd = write_tmp(b.buf, b.size, path, sizeof(path));
	if (fd < 0) {
		CHECK(!"cannot write a temporary file");
		built_free(&b);
		return;
	}
	CHECK_EQ_U64(elf_load_file(path, &img, err, sizeof(err)), 0);
	CHECK(img.owned && img.data == img.owned && img.size == b.size);
	check_segments(&b, &img);
	CHECK_EQ_U64(elf_find_symbol(&img, "_start", &v), 0);
	CHECK_EQ_U64(v, b.eh.e_entry);
	elf_image_free(&img);
	CHECK(!img.owned && !img.data);

	/* The size limit is checked before reading: a sparse file costs nothing. */
	CHECK(ftruncate(fd, ELF_MAX_FILE_SIZE + 1) == 0);
	CHECK_EQ_U64(elf_load_file(path, &img, err, sizeof(err)), -EFBIG);
	check_err_line(err, "more than the 64 MiB limit", "too big", __LINE__);
	CHECK(ftruncate(fd, 40) == 0);
	CHECK_EQ_U64(elf_load_file(path, &img, err, sizeof(err)), -EINVAL);
	check_err_line(err, ": ELF header truncated: file is 40 bytes, the header needs 64",
		       "short", __LINE__);
	close(fd);
	unlink(path);

	CHECK_EQ_U64(elf_load_file(path, &img, err, sizeof(err)), -ENOENT);
	check_err_line(err, ": cannot open: No such file or directory", "missing", __LINE__);
	CHECK_EQ_U64(elf_load_file("/", &img, err, sizeof(err)), -EINVAL);
	check_err_line(err, "/: not a regular file", "directory", __LINE__);
	built_free(&b);
}

/* Seed inputs for tests/fuzz/fuzz_elf.c: test_elf --write-corpus DIR. */
static int write_corpus(const char *dir)
{
	char path[4096];
	FILE *f;

	for (size_t i = 0; i < ARRAY_SIZE(corruptions); i++) {
		const struct corruption *c = &corruptions[i];
		struct built b;
		size_t n;

		if (!c->seed)
			continue;
		build(&b, c->nseg);
		corrupt(&b, &c->poke, c->apply);
		snprintf(path, sizeof(path), "%s/%s.elf", dir, c->name);
		f = fopen(path, "wb");
		n = f ? fwrite(b.buf, 1, b.size, f) : 0;
		if (!f || fclose(f) || n != b.size) {
			perror(path);
			built_free(&b);
			return 1;
		}
		built_free(&b);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--write-corpus"))
		return write_corpus(argv[2]);
	test_layout();
	test_valid();
	test_corruptions();
	test_past_end_message();
	test_segment_copy();
	test_truncation();
	test_err_buffer();
	test_sections();
	test_strtab_at_end();
	test_self_exe();
	test_load_file();
	TEST_DONE();
}
