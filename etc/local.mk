dist_sysconf_DATA += etc/presenced.conf
