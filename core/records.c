/* SPDX-License-Identifier: ISC */
/* core/records.c — the records beside accounts: organisations, recovery
 * tickets, OpenID Connect links (and the policy names they carry). */
#include "core/record.h"
#include "core/recjson.h"

#include <json-c/json.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *const policy_names[] = { "optional", "required", "off" };

const char *policy_name(enum policy p)
{
	return (unsigned)p < 3 ? policy_names[p] : "unknown";
}

int policy_parse(const char *s, enum policy *p)
{
	for (unsigned i = 0; i < 3; i++)
		if (!strcmp(s, policy_names[i])) {
			*p = (enum policy)i;
			return CORE_OK;
		}
	return CORE_EINVAL;
}

static const char *const switch_names[] = { "inherit", "required", "optional", "off" };

const char *switch_name(enum acct_switch sw)
{
	return (unsigned)sw < 4 ? switch_names[sw] : "unknown";
}

int switch_parse(const char *s, enum acct_switch *sw)
{
	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(s, switch_names[i])) {
			*sw = (enum acct_switch)i;
			return CORE_OK;
		}
	return CORE_EINVAL;
}

int org_to_json(const struct org *o, char **out, size_t *outlen)
{
	json_object *root = json_object_new_object();
	int ret = CORE_ENOMEM;

	*out = NULL;
	if (!root)
		return CORE_ENOMEM;
	if (rec_add(root, "v", json_object_new_int(RECORD_VERSION)) ||
	    rec_add(root, "name", json_object_new_string(o->name)) ||
	    rec_add(root, "policy", json_object_new_string(policy_name(o->policy))) ||
	    rec_add(root, "created", json_object_new_int64(o->created)) ||
	    rec_wl_to_json(root, o->wl, o->nwl))
		goto out;
	ret = rec_finish_json(root, out, outlen);
out:
	json_object_put(root);
	return ret;
}

int org_from_json(const char *json, size_t len, struct org *o)
{
	json_object *root;
	char buf[32];
	int ret = CORE_EFORMAT;

	memset(o, 0, sizeof *o);
	root = rec_parse_record(json, len);
	if (!root ||
	    rec_get_str(root, "name", o->name, sizeof o->name, 1) ||
	    rec_get_str(root, "policy", buf, sizeof buf, 1) || policy_parse(buf, &o->policy) ||
	    rec_get_i64(root, "created", &o->created, 0, TMAX) ||
	    rec_wl_from(root, o->wl, &o->nwl))
		goto out;
	ret = CORE_OK;
out:
	json_object_put(root);
	return ret;
}

static const char *const tstatus_names[] = { "pending", "approved", "denied" };

const char *tstatus_name(enum tstatus t)
{
	return (unsigned)t < 3 ? tstatus_names[t] : "unknown";
}

int tstatus_parse(const char *s, enum tstatus *t)
{
	for (unsigned i = 0; i < 3; i++)
		if (!strcmp(s, tstatus_names[i])) {
			*t = (enum tstatus)i;
			return CORE_OK;
		}
	return CORE_EINVAL;
}

int ticket_id_valid(const char *id)
{
	if (strlen(id) != TICKET_ID_CHARS)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '2' && *p <= '7')))
			return 0;
	return 1;
}

int ticket_to_json(const struct ticket *t, char **out, size_t *outlen)
{
	json_object *root = json_object_new_object();
	int ret = CORE_ENOMEM;

	*out = NULL;
	if (!root)
		return CORE_ENOMEM;
	if (rec_add(root, "v", json_object_new_int(RECORD_VERSION)) ||
	    rec_add(root, "id", json_object_new_string(t->id)) ||
	    rec_add(root, "user", json_object_new_string(t->user)) ||
	    rec_add_str(root, "uid", t->uid) ||
	    rec_add(root, "reason", json_object_new_string(t->reason)) ||
	    rec_add_str(root, "contact", t->contact) ||
	    rec_add(root, "status", json_object_new_string(tstatus_name(t->status))) ||
	    rec_add(root, "created", json_object_new_int64(t->created)) ||
	    rec_add(root, "decided", json_object_new_int64(t->decided)) ||
	    rec_add_str(root, "by", t->by) || rec_add_str(root, "answer", t->answer))
		goto out;
	ret = rec_finish_json(root, out, outlen);
out:
	json_object_put(root);
	return ret;
}

int ticket_from_json(const char *json, size_t len, struct ticket *t)
{
	json_object *root;
	char buf[16];
	int ret = CORE_EFORMAT;

	memset(t, 0, sizeof *t);
	root = rec_parse_record(json, len);
	if (!root ||
	    rec_get_str(root, "id", t->id, sizeof t->id, 1) || !ticket_id_valid(t->id) ||
	    rec_get_str(root, "user", t->user, sizeof t->user, 1) ||
	    rec_get_str(root, "uid", t->uid, sizeof t->uid, 0) ||
	    rec_get_str(root, "reason", t->reason, sizeof t->reason, 1) ||
	    rec_get_str(root, "contact", t->contact, sizeof t->contact, 0) ||
	    rec_get_str(root, "status", buf, sizeof buf, 1) || tstatus_parse(buf, &t->status) ||
	    rec_get_i64(root, "created", &t->created, 0, TMAX) ||
	    rec_get_i64(root, "decided", &t->decided, 0, TMAX) ||
	    rec_get_str(root, "by", t->by, sizeof t->by, 0) ||
	    rec_get_str(root, "answer", t->answer, sizeof t->answer, 0))
		goto out;
	ret = CORE_OK;
out:
	json_object_put(root);
	return ret;
}

int oidc_valid(const struct oidc_id *id)
{
	if (!id->issuer[0] || !id->subject[0] || strncmp(id->issuer, "https://", 8))
		return 0;
	for (const char *p = id->issuer; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	for (const char *p = id->subject; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return 0;
	return 1;
}

static size_t issuer_len(const char *issuer)
{
	size_t n = strlen(issuer);

	while (n > 8 && issuer[n - 1] == '/')   /* never into "https://" */
		n--;
	return n;
}

void oidc_normalize(struct oidc_id *id)
{
	id->issuer[issuer_len(id->issuer)] = '\0';
}

int oidc_same(const struct oidc_id *x, const struct oidc_id *y)
{
	size_t n = issuer_len(x->issuer);

	return n == issuer_len(y->issuer) && !memcmp(x->issuer, y->issuer, n) && !strcmp(x->subject, y->subject);
}

void oidc_key(const struct oidc_id *id, char *out, size_t cap)
{
	snprintf(out, cap, "%s\n%s", id->issuer, id->subject);
}

int oidc_link_to_json(const struct oidc_link *l, char **out, size_t *outlen)
{
	json_object *root = json_object_new_object();
	int ret = CORE_ENOMEM;

	if (!root)
		return CORE_ENOMEM;
	if (!rec_add(root, "v", json_object_new_int(RECORD_VERSION)) &&
	    !rec_add(root, "issuer", json_object_new_string(l->id.issuer)) &&
	    !rec_add(root, "subject", json_object_new_string(l->id.subject)) &&
	    !rec_add(root, "user", json_object_new_string(l->user)) &&
	    !rec_add_str(root, "uid", l->uid) &&
	    !rec_add(root, "created", json_object_new_int64(l->created)))
		ret = rec_finish_json(root, out, outlen);
	json_object_put(root);
	return ret;
}

int oidc_link_from_json(const char *json, size_t len, struct oidc_link *l)
{
	json_object *root = rec_parse_record(json, len);
	int ret = CORE_EFORMAT;

	memset(l, 0, sizeof *l);
	if (root && !rec_get_str(root, "issuer", l->id.issuer, sizeof l->id.issuer, 1) &&
	    !rec_get_str(root, "subject", l->id.subject, sizeof l->id.subject, 1) &&
	    !rec_get_str(root, "user", l->user, sizeof l->user, 1) && account_name_valid(l->user) &&
	    !rec_get_str(root, "uid", l->uid, sizeof l->uid, 0) &&
	    !rec_get_i64(root, "created", &l->created, 0, TMAX))
		ret = CORE_OK;
	json_object_put(root);
	return ret;
}

