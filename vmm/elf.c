// SPDX-License-Identifier: GPL-2.0
/* ELF64 guest image validation and loading: every offset, size and index is checked before use. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/elf.h"

/* Real static images carry about ten program headers; more is a sign of garbage. */
#define ELF_MAX_PHDRS 64

/* State of one elf_parse() call. */
struct elf_parse_ctx {
	const uint8_t *data;
	size_t size;
	char *err;
	size_t errlen;
	unsigned phidx[ELF_MAX_SEGMENTS]; /* program header index of each PT_LOAD */
};

__attribute__((format(printf, 2, 3))) static int elf_err(struct elf_parse_ctx *c, const char *fmt,
							 ...)
{
	va_list ap;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* [off, off + len) lies inside a buffer of @size bytes, without wrapping. */
static bool range_in(uint64_t off, uint64_t len, uint64_t size)
{
	uint64_t end;

	if (__builtin_add_overflow(off, len, &end))
		return false;
	return end <= size;
}

static const char *machine_name(unsigned machine)
{
	switch (machine) {
	case EM_386:
		return "i386";
	case EM_ARM:
		return "ARM";
	case EM_AARCH64:
		return "AArch64";
	case EM_RISCV:
		return "RISC-V";
	case EM_PPC64:
		return "PowerPC64";
	case EM_S390:
		return "s390";
	default:
		return "unknown";
	}
}

/* e_ident: magic, class, byte order and identification version. */
static int check_ident(struct elf_parse_ctx *c, const unsigned char *id)
{
	if (c->size < SELFMAG || memcmp(id, ELFMAG, SELFMAG))
		return elf_err(c, "not an ELF file (bad magic)");
	if (c->size < sizeof(Elf64_Ehdr))
		return elf_err(c, "ELF header truncated: file is %zu bytes, the header needs %zu",
			       c->size, sizeof(Elf64_Ehdr));
	if (id[EI_CLASS] == ELFCLASS32)
		return elf_err(c, "ELF class 32-bit: memvirt guest images must be 64-bit x86-64");
	if (id[EI_CLASS] != ELFCLASS64)
		return elf_err(c, "ELF class %u is invalid: memvirt guest images must be 64-bit",
			       id[EI_CLASS]);
	if (id[EI_DATA] == ELFDATA2MSB)
		return elf_err(c, "ELF data big-endian: memvirt guest images must be little-endian "
				  "x86-64");
	if (id[EI_DATA] != ELFDATA2LSB)
		return elf_err(c, "ELF data encoding %u is invalid: expected little-endian (1)",
			       id[EI_DATA]);
	if (id[EI_VERSION] != EV_CURRENT)
		return elf_err(c, "ELF identification version %u is not EV_CURRENT (1)",
			       id[EI_VERSION]);
	return 0;
}

static int check_type(struct elf_parse_ctx *c, unsigned type)
{
	switch (type) {
	case ET_EXEC:
		return 0;
	case ET_DYN:
		return elf_err(c,
			       "ELF type ET_DYN (PIE or shared object): memvirt guest images must "
			       "be ET_EXEC; link with -static -no-pie");
	case ET_REL:
		return elf_err(c, "ELF type ET_REL (relocatable object): link it into an ET_EXEC "
				  "executable first");
	case ET_CORE:
		return elf_err(c, "ELF type ET_CORE (core dump) is not a guest image");
	default:
		return elf_err(c, "ELF type %u is not ET_EXEC (2)", type);
	}
}

/* The rest of the ELF header: version, machine, type and the program header table's place. */
static int check_header(struct elf_parse_ctx *c, const Elf64_Ehdr *eh)
{
	int ret = check_ident(c, eh->e_ident);

	if (ret)
		return ret;
	if (eh->e_version != EV_CURRENT)
		return elf_err(c, "ELF header: e_version %u is not EV_CURRENT (1)", eh->e_version);
	if (eh->e_machine != EM_X86_64)
		return elf_err(c, "ELF machine %u (%s): memvirt guest images must be x86-64 (%u)",
			       eh->e_machine, machine_name(eh->e_machine), EM_X86_64);
	ret = check_type(c, eh->e_type);
	if (ret)
		return ret;
	if (eh->e_phnum == 0)
		return elf_err(c, "ELF header: no program headers (e_phnum 0), nothing to load");
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return elf_err(c, "ELF header: e_phentsize %u is not sizeof(Elf64_Phdr) (%zu)",
			       eh->e_phentsize, sizeof(Elf64_Phdr));
	if (eh->e_phnum > ELF_MAX_PHDRS) {
		elf_err(c,
			"ELF header: e_phnum %u is more than the %u program headers memvirt "
			"accepts",
			eh->e_phnum, ELF_MAX_PHDRS);
		return -E2BIG;
	}
	if (!range_in(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), c->size))
		return elf_err(c,
			       "program header table 0x%" PRIx64 "+%u*%zu extends past end of "
			       "file (0x%zx bytes)",
			       eh->e_phoff, eh->e_phnum, sizeof(Elf64_Phdr), c->size);
	return 0;
}

/* Where a PT_LOAD segment's bytes come from: inside the file, no more than its memory size. */
static int check_load_file(struct elf_parse_ctx *c, unsigned idx, const Elf64_Phdr *ph)
{
	uint64_t end;

	if (__builtin_add_overflow(ph->p_offset, ph->p_filesz, &end))
		return elf_err(c,
			       "program header %u: segment file range 0x%" PRIx64 "+0x%" PRIx64
			       " overflows 64 bits",
			       idx, ph->p_offset, ph->p_filesz);
	if (end > c->size)
		return elf_err(c,
			       "program header %u: segment file range 0x%" PRIx64 "+0x%" PRIx64
			       " extends past end of file (0x%zx bytes)",
			       idx, ph->p_offset, ph->p_filesz, c->size);
	if (ph->p_filesz > ph->p_memsz)
		return elf_err(c,
			       "program header %u: file size 0x%" PRIx64
			       " is larger than memory size 0x%" PRIx64,
			       idx, ph->p_filesz, ph->p_memsz);
	return 0;
}

/* Where a PT_LOAD segment goes: no wrap-around, and the gABI p_align rules. */
static int check_load_memory(struct elf_parse_ctx *c, unsigned idx, const Elf64_Phdr *ph)
{
	uint64_t end;

	if (__builtin_add_overflow(ph->p_vaddr, ph->p_memsz, &end))
		return elf_err(c,
			       "program header %u: memory range 0x%" PRIx64 "+0x%" PRIx64
			       " wraps past the top of the address space",
			       idx, ph->p_vaddr, ph->p_memsz);
	if (__builtin_add_overflow(ph->p_paddr, ph->p_memsz, &end))
		return elf_err(c,
			       "program header %u: physical range 0x%" PRIx64 "+0x%" PRIx64
			       " wraps past the top of the address space",
			       idx, ph->p_paddr, ph->p_memsz);
	/* gABI: 0 and 1 mean no alignment; otherwise a power of two with p_vaddr ≡ p_offset. */
	if (ph->p_align & (ph->p_align - 1))
		return elf_err(c,
			       "program header %u: alignment 0x%" PRIx64 " is not a power of two",
			       idx, ph->p_align);
	if (ph->p_align > 1 && (ph->p_vaddr - ph->p_offset) & (ph->p_align - 1))
		return elf_err(c,
			       "program header %u: vaddr 0x%" PRIx64 " and file offset 0x%" PRIx64
			       " differ modulo alignment 0x%" PRIx64,
			       idx, ph->p_vaddr, ph->p_offset, ph->p_align);
	return 0;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	/* Ends cannot wrap: check_load_memory() refused that. */
	return alen && blen && a < b + blen && b < a + alen;
}

/* Segment @n against every earlier one, in virtual and in physical memory. */
static int check_overlap(struct elf_parse_ctx *c, const struct elf_image *img, unsigned n)
{
	const struct elf_segment *s = &img->seg[n], *t;
	unsigned i;

	for (i = 0; i < n; i++) {
		t = &img->seg[i];
		if (ranges_overlap(s->vaddr, s->memsz, t->vaddr, t->memsz))
			return elf_err(
				c,
				"program headers %u and %u: segments 0x%" PRIx64 "+0x%" PRIx64
				" and 0x%" PRIx64 "+0x%" PRIx64 " overlap in virtual memory",
				c->phidx[i], c->phidx[n], t->vaddr, t->memsz, s->vaddr, s->memsz);
		if (ranges_overlap(s->paddr, s->memsz, t->paddr, t->memsz))
			return elf_err(
				c,
				"program headers %u and %u: segments 0x%" PRIx64 "+0x%" PRIx64
				" and 0x%" PRIx64 "+0x%" PRIx64 " overlap in physical memory",
				c->phidx[i], c->phidx[n], t->paddr, t->memsz, s->paddr, s->memsz);
	}
	return 0;
}

static uint32_t seg_flags(uint32_t p_flags)
{
	return (p_flags & PF_R ? ELF_SEG_R : 0) | (p_flags & PF_W ? ELF_SEG_W : 0) |
	       (p_flags & PF_X ? ELF_SEG_X : 0);
}

/* Validate PT_LOAD header @idx and append it to @img. */
static int add_load(struct elf_parse_ctx *c, struct elf_image *img, unsigned idx,
		    const Elf64_Phdr *ph)
{
	struct elf_segment *s;
	int ret;

	ret = check_load_file(c, idx, ph);
	if (!ret)
		ret = check_load_memory(c, idx, ph);
	if (ret)
		return ret;
	if (img->nseg == ELF_MAX_SEGMENTS) {
		elf_err(c, "program header %u: more than %u PT_LOAD segments", idx,
			ELF_MAX_SEGMENTS);
		return -E2BIG;
	}
	c->phidx[img->nseg] = idx;
	s = &img->seg[img->nseg];
	*s = (struct elf_segment){
		.vaddr = ph->p_vaddr,
		.paddr = ph->p_paddr,
		.offset = ph->p_offset,
		.filesz = ph->p_filesz,
		.memsz = ph->p_memsz,
		.align = ph->p_align,
		.flags = seg_flags(ph->p_flags),
	};
	ret = check_overlap(c, img, img->nseg);
	if (ret)
		return ret;
	img->nseg++;
	return 0;
}

static int parse_phdrs(struct elf_parse_ctx *c, const Elf64_Ehdr *eh, struct elf_image *img)
{
	Elf64_Phdr ph;
	unsigned i;
	int ret;

	for (i = 0; i < eh->e_phnum; i++) {
		/* In bounds: check_header() checked the whole table. */
		memcpy(&ph, c->data + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_INTERP)
			return elf_err(c,
				       "program header %u: PT_INTERP asks for a dynamic loader; "
				       "memvirt guest images must be statically linked",
				       i);
		if (ph.p_type != PT_LOAD)
			continue;
		ret = add_load(c, img, i, &ph);
		if (ret)
			return ret;
	}
	if (!img->nseg)
		return elf_err(c, "program headers: no PT_LOAD segment, nothing to load");
	return 0;
}

static int check_entry(struct elf_parse_ctx *c, const struct elf_image *img)
{
	const struct elf_segment *s;
	unsigned i;

	for (i = 0; i < img->nseg; i++) {
		s = &img->seg[i];
		if (img->entry < s->vaddr || img->entry - s->vaddr >= s->memsz)
			continue;
		if (s->flags & ELF_SEG_X)
			return 0;
		return elf_err(c,
			       "entry point 0x%" PRIx64 " is not inside an executable segment: "
			       "program header %u (0x%" PRIx64 "+0x%" PRIx64 ") lacks PF_X",
			       img->entry, c->phidx[i], s->vaddr, s->memsz);
	}
	return elf_err(c,
		       "entry point 0x%" PRIx64 " is not inside an executable segment: no "
		       "PT_LOAD segment contains it",
		       img->entry);
}

int elf_parse(const void *data, size_t size, struct elf_image *img, char *err, size_t errlen)
{
	struct elf_parse_ctx c = {.data = data, .size = size, .err = err, .errlen = errlen};
	Elf64_Ehdr eh;
	int ret;

	memset(img, 0, sizeof(*img));
	if (!data && size)
		return elf_err(&c, "no image data");
	if (err && errlen)
		err[0] = '\0';
	memset(&eh, 0, sizeof(eh));
	memcpy(&eh, data ? data : "", size < sizeof(eh) ? size : sizeof(eh));
	ret = check_header(&c, &eh);
	if (!ret)
		ret = parse_phdrs(&c, &eh, img);
	img->data = data;
	img->size = size;
	img->entry = eh.e_entry;
	if (!ret)
		ret = check_entry(&c, img);
	if (ret)
		memset(img, 0, sizeof(*img));
	return ret;
}

/* Read all of regular file @path (at most ELF_MAX_FILE_SIZE bytes) into a new buffer. */
static int read_image(struct elf_parse_ctx *c, const char *path, void **bufp)
{
	char eb[128];
	struct stat st;
	uint8_t *buf = NULL;
	size_t done = 0;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		elf_err(c, "cannot open: %s", strerror_r(-ret, eb, sizeof(eb)));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		elf_err(c, "cannot stat: %s", strerror_r(-ret, eb, sizeof(eb)));
	} else if (!S_ISREG(st.st_mode)) {
		ret = elf_err(c, "not a regular file");
	} else if ((uint64_t)st.st_size > ELF_MAX_FILE_SIZE) {
		elf_err(c, "file is %jd bytes, more than the %llu MiB limit for guest images",
			(intmax_t)st.st_size, ELF_MAX_FILE_SIZE >> 20);
		ret = -EFBIG;
	} else if (!(buf = malloc(st.st_size ? st.st_size : 1))) {
		ret = -ENOMEM;
		elf_err(c, "cannot allocate %jd bytes", (intmax_t)st.st_size);
	}
	while (!ret && done < (size_t)st.st_size) {
		n = read(fd, buf + done, st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			elf_err(c, "read failed: %s", strerror_r(-ret, eb, sizeof(eb)));
		} else if (n == 0) {
			ret = -EIO;
			elf_err(c, "file shrank to %zu bytes while being read", done);
		}
		done += n > 0 ? (size_t)n : 0;
	}
	close(fd);
	c->size = done;
	if (ret)
		free(buf);
	else
		*bufp = buf;
	return ret;
}

int elf_load_file(const char *path, struct elf_image *img, char *err, size_t errlen)
{
	char why[512] = "";
	struct elf_parse_ctx c = {.err = why, .errlen = sizeof(why)};
	void *buf = NULL;
	int ret;

	memset(img, 0, sizeof(*img));
	ret = read_image(&c, path, &buf);
	if (!ret)
		ret = elf_parse(buf, c.size, img, why, sizeof(why));
	if (ret) {
		free(buf);
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, why);
		return ret;
	}
	img->owned = buf;
	return 0;
}

void elf_image_free(struct elf_image *img)
{
	if (!img)
		return;
	free(img->owned);
	memset(img, 0, sizeof(*img));
}

/* A validated section header table. */
struct elf_shdrs {
	const struct elf_image *img;
	uint64_t off;
	unsigned num;
	unsigned strndx;
};

static int shdrs_open(const struct elf_image *img, struct elf_shdrs *t)
{
	Elf64_Ehdr eh;

	if (!img || !img->data || img->size < sizeof(eh))
		return -EINVAL;
	memcpy(&eh, img->data, sizeof(eh));
	/*
	 * gABI: e_shoff 0 means no section header table. e_shnum 0 with e_shoff
	 * set is extended numbering (>= 0xff00 sections), refused below.
	 */
	if (!eh.e_shoff)
		return -ENOENT;
	if (!eh.e_shnum || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shstrndx >= eh.e_shnum)
		return -EINVAL;
	if (!range_in(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), img->size))
		return -EINVAL;
	*t = (struct elf_shdrs){
		.img = img, .off = eh.e_shoff, .num = eh.e_shnum, .strndx = eh.e_shstrndx};
	return 0;
}

static void shdr_get(const struct elf_shdrs *t, unsigned i, Elf64_Shdr *sh)
{
	memcpy(sh, t->img->data + t->off + (uint64_t)i * sizeof(*sh), sizeof(*sh));
}

/* A string table: SHT_STRTAB, inside the file, non-empty and NUL-terminated (gABI). */
static int strtab_get(const struct elf_shdrs *t, unsigned i, Elf64_Shdr *sh)
{
	if (i == SHN_UNDEF || i >= t->num)
		return -EINVAL;
	shdr_get(t, i, sh);
	if (sh->sh_type != SHT_STRTAB || !sh->sh_size)
		return -EINVAL;
	if (!range_in(sh->sh_offset, sh->sh_size, t->img->size))
		return -EINVAL;
	if (t->img->data[sh->sh_offset + sh->sh_size - 1] != '\0')
		return -EINVAL;
	return 0;
}

/* 1 if the string at @off of string table @strtab is @name, 0 if not, -EINVAL if out of range. */
static int strtab_match(const struct elf_shdrs *t, const Elf64_Shdr *strtab, uint64_t off,
			const char *name)
{
	size_t len = strlen(name);
	const uint8_t *s;

	if (off >= strtab->sh_size)
		return -EINVAL;
	/* The table ends in NUL, so comparing len + 1 bytes stays inside it when len < avail. */
	if (len >= strtab->sh_size - off)
		return 0;
	s = t->img->data + strtab->sh_offset + off;
	return !memcmp(s, name, len + 1);
}

int elf_find_section(const struct elf_image *img, const char *name, uint64_t *addr, uint64_t *size)
{
	struct elf_shdrs t;
	Elf64_Shdr names, sh;
	unsigned i;
	int ret;

	ret = shdrs_open(img, &t);
	if (ret)
		return ret;
	if (t.strndx == SHN_UNDEF)
		return -ENOENT;
	ret = strtab_get(&t, t.strndx, &names);
	if (ret)
		return ret;
	for (i = 1; i < t.num; i++) {
		shdr_get(&t, i, &sh);
		ret = strtab_match(&t, &names, sh.sh_name, name);
		if (ret < 0)
			return ret;
		if (ret) {
			*addr = sh.sh_addr;
			*size = sh.sh_size;
			return 0;
		}
	}
	return -ENOENT;
}

/* The SHT_SYMTAB section and its string table, both checked. */
static int symtab_get(const struct elf_shdrs *t, Elf64_Shdr *symtab, Elf64_Shdr *strtab)
{
	unsigned i;

	for (i = 1; i < t->num; i++) {
		shdr_get(t, i, symtab);
		if (symtab->sh_type == SHT_SYMTAB)
			break;
	}
	if (i == t->num)
		return -ENOENT;
	if (symtab->sh_entsize != sizeof(Elf64_Sym) || symtab->sh_size % sizeof(Elf64_Sym))
		return -EINVAL;
	if (!range_in(symtab->sh_offset, symtab->sh_size, t->img->size))
		return -EINVAL;
	return strtab_get(t, symtab->sh_link, strtab);
}

int elf_find_symbol(const struct elf_image *img, const char *name, uint64_t *value)
{
	struct elf_shdrs t;
	Elf64_Shdr symtab, strtab;
	Elf64_Sym sym;
	uint64_t i, n;
	int ret;

	ret = shdrs_open(img, &t);
	if (!ret)
		ret = symtab_get(&t, &symtab, &strtab);
	if (ret)
		return ret;
	n = symtab.sh_size / sizeof(sym);
	/* Symbol 0 is the reserved undefined entry. */
	for (i = 1; i < n; i++) {
		memcpy(&sym, img->data + symtab.sh_offset + i * sizeof(sym), sizeof(sym));
		ret = strtab_match(&t, &strtab, sym.st_name, name);
		if (ret < 0)
			return ret;
		if (ret && sym.st_shndx != SHN_UNDEF) {
			*value = sym.st_value;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_segment_copy(const struct elf_image *img, unsigned i, void *dst, size_t dst_size)
{
	const struct elf_segment *s;

	if (!img || i >= img->nseg)
		return -EINVAL;
	s = &img->seg[i];
	if (s->memsz > dst_size)
		return -E2BIG;
	/* Checked by elf_parse(); checked again because @img is plain data the caller could edit.
	 */
	if (s->filesz > s->memsz || !range_in(s->offset, s->filesz, img->size))
		return -EINVAL;
	memcpy(dst, img->data + s->offset, s->filesz);
	memset((uint8_t *)dst + s->filesz, 0, s->memsz - s->filesz);
	return 0;
}
