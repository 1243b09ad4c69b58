# db/: the SQLite store.  Knows nothing above it.

noinst_LIBRARIES += db/libpddb.a
db_libpddb_a_SOURCES = \
	db/db.h \
	db/db_int.h \
	db/db.c \
	db/db_schema.c \
	db/db_subscriber.c \
	db/db_presence.c \
	db/db_subscription.c \
	db/db_xcap.c \
	db/db_bootstrap.c \
	db/db_audit.c
PD_INTERNAL += db/libpddb.a
