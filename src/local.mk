# src/: leaf utilities (log, config, clock, util), the daemon and the tools.

noinst_LIBRARIES += src/libpdcore.a
src_libpdcore_a_SOURCES = \
	src/core.h \
	src/log.c \
	src/clock.c \
	src/util.c \
	src/config.c \
	src/config_table.c \
	src/config_int.h
PD_INTERNAL += src/libpdcore.a

sbin_PROGRAMS += src/presenced
src_presenced_SOURCES = \
	src/main.c \
	src/daemon.c \
	src/daemon.h
src_presenced_LDADD = $(PD_INTERNAL) $(PD_EXT_LIBS)

sbin_PROGRAMS += src/presencectl
src_presencectl_SOURCES = \
	src/presencectl.c \
	src/ctl_subscriber.c \
	src/ctl_import.c \
	src/ctl.h
src_presencectl_LDADD = $(PD_INTERNAL) $(PD_EXT_LIBS)
