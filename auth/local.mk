# auth/: Digest (SIP and HTTP), later GBA (BSF and NAF) and Milenage.

noinst_LIBRARIES += auth/libpdauth.a
auth_libpdauth_a_SOURCES = \
	auth/auth.h \
	auth/auth_int.h \
	auth/digest.c \
	auth/digest_parse.c \
	auth/nonce.c \
	auth/milenage.c
PD_INTERNAL += auth/libpdauth.a
