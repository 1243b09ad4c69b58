/*
 * milenage.c - the Milenage algorithm set (3GPP TS 35.206), over AES-128
 * from GnuTLS (no AES of our own).
 *
 * Today: OPc derivation for provisioning.  The f1-f5* functions join here
 * with the embedded BSF.
 */
#include "config.h"
#include "auth/auth.h"
#include "src/core.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

/* E_K(in): one AES-128 block.  CBC with a zero IV over one block is ECB. */
static int aes128_block(const uint8_t key[16], const uint8_t in[16],
			uint8_t out[16])
{
	gnutls_cipher_hd_t h;
	uint8_t iv[16] = { 0 };
	uint8_t k[16];
	gnutls_datum_t kd = { .data = k, .size = 16 };
	gnutls_datum_t ivd = { .data = iv, .size = 16 };
	int rc;

	memcpy(k, key, 16);
	rc = gnutls_cipher_init(&h, GNUTLS_CIPHER_AES_128_CBC, &kd, &ivd);
	util_secure_zero(k, sizeof(k));
	if (rc < 0)
		return -1;
	rc = gnutls_cipher_encrypt2(h, in, 16, out, 16);
	gnutls_cipher_deinit(h);
	return rc < 0 ? -1 : 0;
}

int auth_milenage_opc(const uint8_t k[16], const uint8_t op[16], uint8_t opc[16])
{
	uint8_t e[16];

	/* TS 35.206 4.1: OPc = OP xor E[OP]K */
	if (aes128_block(k, op, e) < 0)
		return -1;
	for (int i = 0; i < 16; i++)
		opc[i] = e[i] ^ op[i];
	util_secure_zero(e, sizeof(e));
	return 0;
}
