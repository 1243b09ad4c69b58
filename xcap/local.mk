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

# --- xcap resource engine (issue 4): URIs, node selectors, GET/PUT/DELETE
# on document content, XCAP error bodies, AUIDs, schema validation, caps.
noinst_LIBRARIES += xcap/libpdxcap.a
xcap_libpdxcap_a_SOURCES = \
	xcap/xcap_res.h \
	xcap/res_int.h \
	xcap/uri.c \
	xcap/selector.c \
	xcap/node.c \
	xcap/error.c \
	xcap/auid.c \
	xcap/caps.c \
	xcap/schema.c
PD_INTERNAL += xcap/libpdxcap.a
# installed in $(pkgdatadir)/schemas (xcap_res_init default)
xcapschemasdir = $(pkgdatadir)/schemas
dist_xcapschemas_DATA = \
	xcap/schemas/README \
	xcap/schemas/xcap-error.xsd \
	xcap/schemas/xcap-caps.xsd \
	xcap/schemas/common-policy.xsd \
	xcap/schemas/pres-rules.xsd \
	xcap/schemas/pres-rules-auid.xsd \
	xcap/schemas/oma-common-policy.xsd \
	xcap/schemas/oma-pres-rules.xsd \
	xcap/schemas/oma-pres-rules-auid.xsd \
	xcap/schemas/resource-lists.xsd \
	xcap/schemas/rls-services.xsd \
	xcap/schemas/pidf.xsd
