/* SPDX-License-Identifier: ISC */
/* core/recjson.h — the JSON helpers the record files of core/ share
 * (record.c: accounts; records.c: organisations, tickets, OIDC links).
 * Not part of core's interface. */
#ifndef TWOFACTL_RECJSON_H
#define TWOFACTL_RECJSON_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

int rec_add(json_object *o, const char *k, json_object *v);
int rec_add_str(json_object *o, const char *k, const char *v);
json_object *rec_get(json_object *o, const char *k, json_type t);
int rec_get_str(json_object *o, const char *k, char *dst, size_t cap, int required);
int rec_get_i64(json_object *o, const char *k, int64_t *dst, int64_t lo, int64_t hi);
int rec_get_u64(json_object *o, const char *k, uint64_t *dst, int *present);
int rec_finish_json(json_object *root, char **out, size_t *outlen);
json_object *rec_parse_record(const char *json, size_t len);
/* Whitelist entries, as accounts and organisations keep them. */
struct wl_entry;
int rec_wl_to_json(json_object *root, const struct wl_entry *wl, unsigned n);
int rec_wl_from(json_object *root, struct wl_entry *wl, unsigned *n);

#define TMAX RECORD_TIME_MAX   /* the latest time a record may hold */

#endif
