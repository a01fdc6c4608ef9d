/* SPDX-License-Identifier: ISC */
/* store/config.c — The store's config file: key = value lines. */
#include "store/internal.h"

#include "core/config.h"
#include <errno.h>
#include <string.h>
#include <sys/file.h>

/* ---- configuration ---- */

void st_config_free(struct store *s)
{
	for (size_t i = 0; i < s->ncfg; i++) {
		free(s->cfg_key[i]);
		free(s->cfg_val[i]);
	}
	s->ncfg = 0;
}

static int config_add(void *ctx, const char *key, const char *value)
{
	struct store *s = ctx;

	if (s->ncfg >= MAX_CONFIG)
		return CORE_EFULL;
	s->cfg_key[s->ncfg] = strdup(key);
	s->cfg_val[s->ncfg] = strdup(value);
	if (!s->cfg_key[s->ncfg] || !s->cfg_val[s->ncfg]) {
		free(s->cfg_key[s->ncfg]);
		free(s->cfg_val[s->ncfg]);
		return CORE_ENOMEM;
	}
	s->ncfg++;
	return CORE_OK;
}

int st_config_load(struct store *s)
{
	uint8_t *buf;
	size_t len;
	unsigned bad = 0;
	int r;

	st_config_free(s);
	if (st_read_file_at(s->dirfd, "config", &buf, &len, 65536, NULL) < 0) {
		if (errno == ENOENT)
			return ST_OK;
		return st_fail(s, ST_BAD, "cannot read 'config': %s", strerror(errno));
	}
	r = config_parse((char *)buf, len, config_add, s, &bad);
	free(buf);
	if (r == CORE_EFULL)
		return st_fail(s, ST_BAD, "'config' has more than %d settings", MAX_CONFIG);
	if (r == CORE_EFORMAT)
		return st_fail(s, ST_BAD, "'config' line %u: expected key = value", bad);
	if (r)
		return st_fail(s, ST_BAD, "out of memory");
	return ST_OK;
}

const char *store_config_get(const struct store *s, const char *key)
{
	for (size_t i = s->ncfg; i-- > 0;)
		if (!strcmp(s->cfg_key[i], key))
			return s->cfg_val[i];
	return NULL;
}

size_t store_config_count(const struct store *s)
{
	return s->ncfg;
}

int store_config_entry(const struct store *s, size_t i, const char **key, const char **value)
{
	if (i >= s->ncfg)
		return ST_ENOENT;
	*key = s->cfg_key[i];
	*value = s->cfg_val[i];
	return ST_OK;
}

int store_config_set(struct store *s, const char *key, const char *value)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret, found = 0;
	FILE *m;

	if (strpbrk(key, "=\n\r#") || (value && strpbrk(value, "\n\r")))
		return st_fail(s, ST_INVAL, "configuration keys and values are single lines");
	if ((ret = st_lock_range(s, LOCK_CONFIG, 1, F_WRLCK)))
		return ret;
	if ((ret = st_config_load(s)) || (ret = st_audit_ready(s)))   /* re-read under the lock: no lost update */
		goto out;
	m = open_memstream(&buf, &cap);
	if (!m) {
		ret = st_fail(s, ST_BAD, "out of memory");
		goto out;
	}
	fprintf(m, "# twofactl configuration: twofactl config set KEY VALUE\n");
	for (size_t i = 0; i < s->ncfg; i++) {
		if (!strcmp(s->cfg_key[i], key)) {
			if (value && !found)
				fprintf(m, "%s = %s\n", key, value);
			found = 1;
			continue;
		}
		fprintf(m, "%s = %s\n", s->cfg_key[i], s->cfg_val[i]);
	}
	if (!found && value)
		fprintf(m, "%s = %s\n", key, value);
	if (fclose(m)) {
		ret = st_fail(s, ST_BAD, "out of memory");
		goto out;
	}
	len = strlen(buf);
	if ((ret = st_write_atomic_at(s, s->dirfd, "config", "config", buf, len)))
		goto out;
	ret = st_config_load(s);
out:
	free(buf);
	st_unlock_range(s, LOCK_CONFIG, 1);
	return ret;
}

