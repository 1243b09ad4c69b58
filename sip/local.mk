# sip/: the SIP presence engine on Sofia-SIP nta.  Filled by issue 3.
