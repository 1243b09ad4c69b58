# xcap/: the XCAP server.  Filled by issue 4.
