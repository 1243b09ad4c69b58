# sip/: the SIP side on Sofia-SIP: the event loop and the presence engine.

noinst_LIBRARIES += sip/libpdsip.a
sip_libpdsip_a_SOURCES = \
	sip/sip.h \
	sip/loop.c
PD_INTERNAL += sip/libpdsip.a
