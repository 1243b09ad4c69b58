# sip/: the SIP side on Sofia-SIP: the event loop and the presence engine.

noinst_LIBRARIES += sip/libpdsip.a
sip_libpdsip_a_SOURCES = \
	sip/sip.h \
	sip/loop.c
PD_INTERNAL += sip/libpdsip.a
sip_libpdsip_a_SOURCES += sip/pidf.h sip/pidf.c
# presence engine (issue 3)
sip_libpdsip_a_SOURCES += \
	sip/sip_int.h \
	sip/engine_int.h \
	sip/sub.c \
	sip/pool.c \
	sip/checkpoint.c \
	sip/engine.c \
	sip/listen.c \
	sip/commit.c \
	sip/subscribe.c \
	sip/publish.c \
	sip/notify.c \
	sip/identity.c \
	sip/winfo.c
