/* SPDX-License-Identifier: ISC */
/* store/config.c — The store's config file: key = value lines, sealed.
 *
 * The last line is a comment that seals the rest:
 *
 *   # sealed: <base64 of nonce || XChaCha20-Poly1305(the other lines)>
 *
 * under the config subkey of the master key. Whoever can write the
 * directory but lacks the key can read the settings and edit them, but an
 * edit no longer matches the seal: every command then refuses to run
 * (exit 5) until an administrator looks at the difference (config diff)
 * and keeps it (config accept), which seals the file as it is. The seal is
 * in the same file as the settings, so a config set replaces both in one
 * atomic rename. */
#include "store/internal.h"

#include "core/config.h"
#include <errno.h>
#include <string.h>
#include <sys/file.h>

#define SEAL_PREFIX "# sealed: "
#define SEAL_AD "twofactl config v1"
#define CONFIG_MAX (256 * 1024)

/* ---- configuration ---- */

void st_config_free(struct store *s)
{
	for (size_t i = 0; i < s->ncfg; i++) {
		free(s->cfg_key[i]);
		free(s->cfg_val[i]);
	}
	s->ncfg = 0;
	free(s->cfg_body);
	free(s->cfg_seal);
	free(s->cfg_sealed_body);
	s->cfg_body = s->cfg_sealed_body = NULL;
	s->cfg_seal = NULL;
	s->cfg_body_len = s->cfg_seal_len = 0;
	s->cfg_state = STORE_CONFIG_UNSEALED;
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

/* Split text into the settings (every line but the seal) and the seal's
 * base64 (the last line starting with SEAL_PREFIX, if any). */
static int split_seal(struct store *s, const char *text, size_t len)
{
	const char *seal = NULL, *p = text;

	while (p < text + len) {
		const char *nl = memchr(p, '\n', (size_t)(text + len - p));
		const char *end = nl ? nl + 1 : text + len;

		if ((size_t)(end - p) >= sizeof SEAL_PREFIX - 1 && !memcmp(p, SEAL_PREFIX, sizeof SEAL_PREFIX - 1))
			seal = p;
		p = end;
	}
	s->cfg_body = malloc(len + 1);
	if (!s->cfg_body)
		return -1;
	if (!seal) {
		memcpy(s->cfg_body, text, len);
		s->cfg_body_len = len;
	} else {
		const char *nl = memchr(seal, '\n', (size_t)(text + len - seal));
		const char *after = nl ? nl + 1 : text + len;
		const char *b64 = seal + sizeof SEAL_PREFIX - 1;
		size_t b64len = (size_t)((nl ? nl : text + len) - b64), before = (size_t)(seal - text);

		memcpy(s->cfg_body, text, before);
		memcpy(s->cfg_body + before, after, (size_t)(text + len - after));
		s->cfg_body_len = before + (size_t)(text + len - after);
		s->cfg_seal = malloc(b64len + 1);
		if (!s->cfg_seal)
			return -1;
		if (sodium_base642bin(s->cfg_seal, b64len + 1, b64, b64len, NULL, &s->cfg_seal_len, NULL,
		                      sodium_base64_VARIANT_ORIGINAL) != 0)
			s->cfg_seal_len = 0;   /* garbled: a seal that does not verify */
		s->cfg_state = STORE_CONFIG_BADSEAL;
	}
	s->cfg_body[s->cfg_body_len] = '\0';
	return 0;
}

int st_config_load(struct store *s)
{
	uint8_t *buf;
	size_t len;
	unsigned bad = 0;
	int r;

	st_config_free(s);
	if (st_read_file_at(s->dirfd, "config", &buf, &len, CONFIG_MAX, NULL) < 0) {
		if (errno == ENOENT) {
			s->cfg_body = strdup("");
			return s->cfg_body ? ST_OK : st_fail(s, ST_BAD, "out of memory");
		}
		return st_fail(s, ST_BAD, "cannot read 'config': %s", strerror(errno));
	}
	if (split_seal(s, (const char *)buf, len)) {
		free(buf);
		return st_fail(s, ST_BAD, "out of memory");
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

/* Once the key is loaded: do the settings match their seal? */
void st_config_verify(struct store *s)
{
	unsigned long long n = 0;
	char *pt;

	free(s->cfg_sealed_body);
	s->cfg_sealed_body = NULL;
	if (!s->cfg_seal) {
		s->cfg_state = STORE_CONFIG_UNSEALED;
		return;
	}
	s->cfg_state = STORE_CONFIG_BADSEAL;
	if (s->cfg_seal_len < NONCE_LEN + TAG_LEN || !(pt = malloc(s->cfg_seal_len + 1)))
		return;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)pt, &n, NULL, s->cfg_seal + NONCE_LEN,
	        s->cfg_seal_len - NONCE_LEN, (const uint8_t *)SEAL_AD, sizeof SEAL_AD - 1, s->cfg_seal,
	        store_subkey(s, SK_CONFIG)) != 0) {
		free(pt);
		return;
	}
	pt[n] = '\0';
	s->cfg_sealed_body = pt;
	s->cfg_state = n == s->cfg_body_len && !memcmp(pt, s->cfg_body, n) ? STORE_CONFIG_SEALED
	                                                                     : STORE_CONFIG_EDITED;
}

/* Why a store whose settings are not as sealed is refused. */
int st_config_refuse(struct store *s)
{
	switch (s->cfg_state) {
	case STORE_CONFIG_SEALED:
		return ST_OK;
	case STORE_CONFIG_EDITED:
		return st_fail(s, ST_BAD, "'config' was changed since twofactl sealed it (by hand?): see "
		               "'twofactl config diff', and keep the change with 'twofactl config accept'");
	case STORE_CONFIG_UNSEALED:
		return st_fail(s, ST_BAD, "'config' is not sealed (a store made before settings were sealed, "
		               "or its seal was removed): see 'twofactl config diff', then 'twofactl config accept'");
	default:
		return st_fail(s, ST_BAD, "'config' has a seal that does not verify (edited or made with another "
		               "key): see 'twofactl config diff', then 'twofactl config accept'");
	}
}

/* body + its seal line under the config subkey ck; malloc'd. */
char *st_config_sealed_text(const uint8_t *ck, const char *body, size_t len, size_t *outlen)
{
	size_t blen = NONCE_LEN + len + TAG_LEN, b64len = sodium_base64_encoded_len(blen, sodium_base64_VARIANT_ORIGINAL);
	uint8_t *box = malloc(blen);
	char *out = malloc(len + sizeof SEAL_PREFIX + b64len + 2);
	unsigned long long clen = 0;
	size_t n = len;

	if (!box || !out) {
		free(box);
		free(out);
		return NULL;
	}
	randombytes_buf(box, NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(box + NONCE_LEN, &clen, (const uint8_t *)body, len,
	        (const uint8_t *)SEAL_AD, sizeof SEAL_AD - 1, NULL, box, ck);
	memcpy(out, body, len);
	if (n && out[n - 1] != '\n')
		out[n++] = '\n';   /* the seal line starts a line of its own */
	memcpy(out + n, SEAL_PREFIX, sizeof SEAL_PREFIX - 1);
	n += sizeof SEAL_PREFIX - 1;
	sodium_bin2base64(out + n, b64len, box, NONCE_LEN + clen, sodium_base64_VARIANT_ORIGINAL);
	n += strlen(out + n);
	out[n++] = '\n';
	out[n] = '\0';
	free(box);
	*outlen = n;
	return out;
}

/* Write body, sealed, as the config file (under LOCK_CONFIG). */
static int config_write(struct store *s, const char *body, size_t len)
{
	size_t n = 0;
	char *text;
	int ret;

	/* a body that does not end its last line gets a newline before the
	 * seal: seal what will be read back */
	if (len && body[len - 1] != '\n') {
		char *b = malloc(len + 2);

		if (!b)
			return st_fail(s, ST_BAD, "out of memory");
		memcpy(b, body, len);
		b[len] = '\n';
		text = st_config_sealed_text(store_subkey(s, SK_CONFIG), b, len + 1, &n);
		free(b);
	} else {
		text = st_config_sealed_text(store_subkey(s, SK_CONFIG), body, len, &n);
	}
	if (!text)
		return st_fail(s, ST_BAD, "out of memory");
	ret = st_write_atomic_at(s, s->dirfd, "config", "config", text, n);
	free(text);
	return ret;
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

int store_config_state(const struct store *s)
{
	return s->cfg_state;
}

const char *store_config_text(const struct store *s)
{
	return s->cfg_body ? s->cfg_body : "";
}

const char *store_config_sealed(const struct store *s)
{
	return s->cfg_sealed_body;
}

/* Take LOCK_CONFIG, check the key did not change while we waited, and
 * read the config again (no lost update). */
static int config_begin(struct store *s)
{
	int ret;

	if (s->readonly)
		return st_fail(s, ST_BAD, "%s", s->ro_err);
	if ((ret = st_lock_byte(s, LOCK_CONFIG, F_WRLCK)))
		return ret;
	if ((!s->all_locked && (ret = st_epoch_ok(s))) || (ret = st_config_load(s)) ||
	    (ret = st_audit_ready(s))) {
		st_unlock_byte(s, LOCK_CONFIG);
		return ret;
	}
	st_config_verify(s);
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
	if ((ret = config_begin(s)))
		return ret;
	if ((ret = st_config_refuse(s)))   /* a hand edit is accepted explicitly, never on the side */
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
	if ((ret = config_write(s, buf, len)))
		goto out;
	if (!(ret = st_config_load(s)))
		st_config_verify(s);
out:
	free(buf);
	st_unlock_byte(s, LOCK_CONFIG);
	return ret;
}

int store_config_accept(struct store *s)
{
	char *seen = strdup(store_config_text(s));   /* what the administrator was shown */
	int ret;

	if (!seen)
		return st_fail(s, ST_BAD, "out of memory");
	if ((ret = config_begin(s))) {
		free(seen);
		return ret;
	}
	if (strcmp(seen, store_config_text(s)))
		ret = st_fail(s, ST_BUSY, "'config' changed again while it was being accepted: run the command again");
	else if ((ret = config_write(s, s->cfg_body, s->cfg_body_len)) == ST_OK && !(ret = st_config_load(s)))
		st_config_verify(s);
	free(seen);
	st_unlock_byte(s, LOCK_CONFIG);
	if (ret == ST_OK)
		ret = st_orgs_index_ensure(s);
	return ret;
}
