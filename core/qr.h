/* SPDX-License-Identifier: ISC */
#ifndef TWOFACTL_QR_H
#define TWOFACTL_QR_H

#include "core/core.h"

enum qr_format { QR_NONE = 0, QR_ANSI, QR_UTF8, QR_PNG, QR_SVG };

int qr_format_parse(const char *s, enum qr_format *f) WUR;

/* Render text as a QR code (libqrencode, error correction M) into a malloc'd
 * buffer: terminal text for ANSI/UTF8, an SVG document, or PNG bytes
 * (libpng). The buffer encodes a secret: the caller wipes and frees it. */
int qr_render(const char *text, enum qr_format fmt, uint8_t **out, size_t *outlen) WUR;

#endif
