# sip/: the SIP presence engine on Sofia-SIP nta.  Filled by issue 3.
noinst_LIBRARIES += sip/libpdsip.a
sip_libpdsip_a_SOURCES = sip/sip.h sip/pidf.h sip/pidf.c
PD_INTERNAL += sip/libpdsip.a
