/* SPDX-License-Identifier: ISC */
#include "core/qr.h"
#include "core/buf.h"

#include <pthread.h>
#include <dlfcn.h>
#include <png.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define QUIET 2       /* modules of margin in a terminal */
#define QUIET_IMG 4   /* and in an image, as the standard asks */
#define PNG_SCALE 8

/* libqrencode and libpng are loaded when a QR code is drawn: verify never
 * needs them, and linking them costs every run a quarter of a millisecond. */
static struct {
	void *qh, *ph;
	QRcode *(*encode)(const char *, int, QRecLevel, QRencodeMode, int);
	void (*qfree)(QRcode *);
	png_structp (*create_write)(png_const_charp, png_voidp, png_error_ptr, png_error_ptr);
	png_infop (*create_info)(png_const_structrp);
	void (*set_write_fn)(png_structrp, png_voidp, png_rw_ptr, png_flush_ptr);
	void (*set_ihdr)(png_const_structrp, png_inforp, png_uint_32, png_uint_32, int, int, int, int, int);
	void (*write_info)(png_structrp, png_const_inforp);
	void (*write_row)(png_structrp, png_const_bytep);
	void (*write_end)(png_structrp, png_inforp);
	void (*destroy_write)(png_structpp, png_infopp);
	png_voidp (*get_io_ptr)(png_const_structrp);
	jmp_buf *(*set_longjmp_fn)(png_structrp, png_longjmp_ptr, size_t);
} lib;

static int libs_load_locked(void)
{
	if (lib.qh && lib.ph)
		return CORE_OK;
	if (!lib.qh)
		lib.qh = dlopen("libqrencode.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!lib.ph)
		lib.ph = dlopen("libpng16.so.16", RTLD_NOW | RTLD_LOCAL);
	if (!lib.qh || !lib.ph)
		return CORE_ECRYPTO;
#define QSYM(f, n) *(void **)(&lib.f) = dlsym(lib.qh, n)
#define PSYM(f, n) *(void **)(&lib.f) = dlsym(lib.ph, n)
	QSYM(encode, "QRcode_encodeString");
	QSYM(qfree, "QRcode_free");
	PSYM(create_write, "png_create_write_struct");
	PSYM(create_info, "png_create_info_struct");
	PSYM(set_write_fn, "png_set_write_fn");
	PSYM(set_ihdr, "png_set_IHDR");
	PSYM(write_info, "png_write_info");
	PSYM(write_row, "png_write_row");
	PSYM(write_end, "png_write_end");
	PSYM(destroy_write, "png_destroy_write_struct");
	PSYM(get_io_ptr, "png_get_io_ptr");
	PSYM(set_longjmp_fn, "png_set_longjmp_fn");
#undef QSYM
#undef PSYM
	if (!lib.encode || !lib.qfree || !lib.create_write || !lib.create_info || !lib.set_write_fn ||
	    !lib.set_ihdr || !lib.write_info || !lib.write_row || !lib.write_end || !lib.destroy_write ||
	    !lib.get_io_ptr || !lib.set_longjmp_fn)
		return CORE_ECRYPTO;
	return CORE_OK;
}

/* Loaded once, whichever thread asks first (a handle per thread is allowed). */
static int libs_load(void)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	int rc;

	pthread_mutex_lock(&mu);
	rc = libs_load_locked();
	pthread_mutex_unlock(&mu);
	return rc;
}

int qr_format_parse(const char *s, enum qr_format *f)
{
	static const char *const names[] = { "none", "ansi", "utf8", "png", "svg" };

	for (unsigned i = 0; i < 5; i++)
		if (!strcasecmp(s, names[i])) {
			*f = (enum qr_format)i;
			return CORE_OK;
		}
	return CORE_EINVAL;
}

static int dark(const QRcode *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[y * q->width + x] & 1;
}

static void render_ansi(const QRcode *q, struct buf *b)
{
	for (int y = -QUIET; y < q->width + QUIET; y++) {
		int last = -1;

		for (int x = -QUIET; x < q->width + QUIET; x++) {
			int d = dark(q, x, y);

			if (d != last)
				buf_str(b, d ? "\033[40m" : "\033[47m");
			last = d;
			buf_str(b, "  ");
		}
		buf_str(b, "\033[0m\n");
	}
}

static void render_utf8(const QRcode *q, struct buf *b)
{
	/* Two rows per line; light modules are drawn, as terminals are mostly
	 * light text on a dark background (as qrencode -t UTF8 does). */
	static const char *const cell[4] = { "\xe2\x96\x88", "\xe2\x96\x84", "\xe2\x96\x80", " " };

	for (int y = -QUIET; y < q->width + QUIET; y += 2) {
		for (int x = -QUIET; x < q->width + QUIET; x++) {
			int top = dark(q, x, y), bot = (y + 1 < q->width + QUIET) ? dark(q, x, y + 1) : 1;

			buf_str(b, cell[top * 2 + bot]);
		}
		buf_str(b, "\n");
	}
}

static void render_svg(const QRcode *q, struct buf *b)
{
	char tmp[256];
	int size = q->width + 2 * QUIET_IMG;

	snprintf(tmp, sizeof tmp,
	         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
	         size * PNG_SCALE, size * PNG_SCALE, size, size);
	buf_str(b, tmp);
	snprintf(tmp, sizeof tmp, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"", size, size);
	buf_str(b, tmp);
	for (int y = 0; y < q->width; y++)
		for (int x = 0; x < q->width; x++)
			if (dark(q, x, y)) {
				snprintf(tmp, sizeof tmp, "M%d %dh1v1h-1z", x + QUIET_IMG, y + QUIET_IMG);
				buf_str(b, tmp);
			}
	buf_str(b, "\"/>\n</svg>\n");
}

static void png_write_cb(png_structp png, png_bytep data, png_size_t n)
{
	buf_put(lib.get_io_ptr(png), data, n);
}

static void png_flush_cb(png_structp png)
{
	(void)png;
}

static int render_png(const QRcode *q, struct buf *b)
{
	png_structp png = lib.create_write(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = NULL;
	int size = (q->width + 2 * QUIET_IMG) * PNG_SCALE;
	png_bytep row = NULL;
	volatile int ret = CORE_ENOMEM;

	if (!png)
		return CORE_ENOMEM;
	info = lib.create_info(png);
	row = malloc((size_t)size);
	if (!info || !row)
		goto out;
	if (setjmp(*lib.set_longjmp_fn(png, longjmp, sizeof(jmp_buf)))) {
		ret = CORE_ECRYPTO;
		goto out;
	}
	lib.set_write_fn(png, b, png_write_cb, png_flush_cb);
	lib.set_ihdr(png, info, (png_uint_32)size, (png_uint_32)size, 8, PNG_COLOR_TYPE_GRAY,
	             PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	lib.write_info(png, info);
	for (int y = 0; y < size; y++) {
		int my = y / PNG_SCALE - QUIET_IMG;

		for (int x = 0; x < size; x++)
			row[x] = dark(q, x / PNG_SCALE - QUIET_IMG, my) ? 0 : 255;
		lib.write_row(png, row);
	}
	lib.write_end(png, info);
	ret = b->err ? CORE_ENOMEM : CORE_OK;
out:
	lib.destroy_write(&png, info ? &info : NULL);
	free(row);
	return ret;
}

int qr_render(const char *text, enum qr_format fmt, uint8_t **out, size_t *outlen)
{
	QRcode *q;
	struct buf b = { 0 };
	int ret = CORE_OK;

	*out = NULL;
	*outlen = 0;
	if (fmt == QR_NONE)
		return CORE_OK;
	if (libs_load())
		return CORE_ECRYPTO;
	q = lib.encode(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return CORE_ENOMEM;
	switch (fmt) {
	case QR_ANSI: render_ansi(q, &b); break;
	case QR_UTF8: render_utf8(q, &b); break;
	case QR_SVG: render_svg(q, &b); break;
	case QR_PNG: ret = render_png(q, &b); break;
	default: ret = CORE_EINVAL;
	}
	sodium_memzero(q->data, (size_t)q->width * (size_t)q->width);
	lib.qfree(q);
	if (ret != CORE_OK) {
		buf_wipe(&b);
		return ret;
	}
	return buf_done(&b, (char **)out, outlen);
}
