/* SPDX-License-Identifier: ISC */
/* serve's request parser: any bytes give a request or a reason, and a
 * request's argv and stdin are strings of the promised sizes. */
#include "fuzz.h"
#include "core/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct request req;
	const char *why = NULL;

	if (size > REQ_MAX)
		return 0;
	if (request_parse((const char *)data, size, &req, &why) == 0) {
		if (req.argc < 1 || req.argc > ARGV_MAX || req.argv[req.argc])
			abort();
		for (int i = 0; i < req.argc; i++)
			if (strlen(req.argv[i]) > ARG_MAX_LEN)
				abort();
		if (req.in && strlen(req.in) != req.inlen)
			abort();
	} else if (!why) {
		abort();
	}
	request_free(&req);
	return 0;
}
