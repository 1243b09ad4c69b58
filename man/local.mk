dist_man_MANS += man/presenced.8 man/presenced.conf.5 man/presencectl.8
