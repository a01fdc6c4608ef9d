/* SPDX-License-Identifier: ISC */
#include "core/request.h"

#include <string.h>

/* A JSON string without NUL bytes (json-c keeps \u0000 inside). */
static const char *plain_string(json_object *j, size_t max, size_t *len)
{
	const char *s;
	int n;

	if (!j || !json_object_is_type(j, json_type_string))
		return NULL;
	s = json_object_get_string(j);
	n = json_object_get_string_len(j);
	if (n < 0 || (size_t)n > max || strlen(s) != (size_t)n)
		return NULL;
	if (len)
		*len = (size_t)n;
	return s;
}

/* Parse one line into req; on a bad request, the message says why. */
int request_parse(const char *line, size_t len, struct request *req, const char **why)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *argv = NULL, *in = NULL;
	size_t n;

	memset(req, 0, sizeof *req);
	if (!tok) {
		*why = "out of memory";
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	req->root = json_tokener_parse_ex(tok, line, (int)len);
	if (!req->root || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		json_tokener_free(tok);
		if (req->root)
			json_object_put(req->root);
		req->root = NULL;
		*why = "not one JSON object in UTF-8";
		return -1;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(req->root, json_type_object)) {
		*why = "the request is not a JSON object";
		return -1;
	}
	json_object_object_get_ex(req->root, "id", &req->id);
	if (!json_object_object_get_ex(req->root, "argv", &argv) ||
	    !json_object_is_type(argv, json_type_array)) {
		*why = "missing \"argv\": an array of strings, the command first";
		return -1;
	}
	n = json_object_array_length(argv);
	if (n < 1 || n > ARGV_MAX) {
		*why = "\"argv\" must hold 1 to 64 strings";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = plain_string(json_object_array_get_idx(argv, i), ARG_MAX_LEN, NULL);

		if (!s) {
			*why = "every \"argv\" item must be a string of at most 4096 bytes, without NUL";
			return -1;
		}
		req->argv[i] = (char *)s;
	}
	req->argc = (int)n;
	if (json_object_object_get_ex(req->root, "stdin", &in) && in &&
	    !(req->in = plain_string(in, REQ_MAX, &req->inlen))) {
		*why = "\"stdin\" must be a string without NUL";
		return -1;
	}
	return 0;
}


void request_free(struct request *req)
{
	if (req->root)
		json_object_put(req->root);
	memset(req, 0, sizeof *req);
}
