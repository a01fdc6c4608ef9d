/* SPDX-License-Identifier: ISC */
/* lib/text.c — untrusted text made safe for messages, and secrets wiped
 * out of result objects. */
#include "lib/shared.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

const char *tf_safe(const char *s)
{
	static _Thread_local char buf[4][160];
	static _Thread_local unsigned slot;
	char *out = buf[slot++ & 3];
	size_t j = 0;

	for (size_t i = 0; s && s[i] && j + 5 < sizeof buf[0]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
			out[j++] = (char)c;
		} else {
			j += (size_t)snprintf(out + j, 5, "\\x%02x", c);
		}
		if (i >= 60) {
			memcpy(out + j, "...", 4);
			return out;
		}
	}
	out[j] = '\0';
	return out;
}

void tf_json_wipe(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_string:
		/* json-c keeps the string in the object: wipe it where it is */
		sodium_memzero((char *)(uintptr_t)json_object_get_string(o),
		               (size_t)json_object_get_string_len(o));
		break;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			tf_json_wipe(json_object_array_get_idx(o, i));
		break;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			tf_json_wipe(val);
		}
		break;
	}
	default:
		break;
	}
}
