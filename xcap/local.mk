# xcap/: the XCAP server.  Filled by issue 4.

# --- xcap server (issue 4): HTTPS listener, TLS, request handling, Digest.
# Its own library, listed before the resource engine's in PD_INTERNAL
# (the server calls the engine).
noinst_LIBRARIES += xcap/libpdxcapsrv.a
xcap_libpdxcapsrv_a_SOURCES = \
	xcap/xcap.h \
	xcap/xcap_int.h \
	xcap/server.c \
	xcap/tls.c \
	xcap/handler.c \
	xcap/rlsdocs.c \
	xcap/xauth.c
PD_INTERNAL += xcap/libpdxcapsrv.a
