# auth/: Digest, GBA (BSF and NAF), Milenage.  Filled by later issues.
