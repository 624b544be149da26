"""Staff compliance (Plan 383 II.1.a note, V.5.b, V.6): agencies' staff lists and their
VNeID level-2 rate per agency and category."""
