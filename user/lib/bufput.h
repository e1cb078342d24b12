/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Appending formatted text to a fixed buffer: each call writes at *pos and
 * moves it by what the whole text takes, so *pos past size tells the cut
 * (and how much room it would have wanted) after any number of calls.
 */
#ifndef WS_BUFPUT_H
#define WS_BUFPUT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline void ws_bufput(char *buf, size_t size, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static inline void ws_bufput(char *buf, size_t size, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*pos < size ? buf + *pos : NULL, *pos < size ? size - *pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += n;
}

#endif /* WS_BUFPUT_H */
