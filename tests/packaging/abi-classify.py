#!/usr/bin/env python3
"""Classifies an abidiff report of libttsocket as compatible (exit 0) or incompatible (exit 1).

abidiff flags only removed symbols as incompatible; a changed struct layout is just "an ABI change". For
ttsocket a change is compatible only when it is built from what README's "Versioning and ABI" allows:
added functions, added enumerators, and new fields that take reserved slots at the end of a struct
whose size stays the same. Every other line of the report (a size change, a deleted or moved field that
is not reserved, a changed parameter or return type, ...) makes it incompatible; the lines that did are
printed. Conservative on purpose: a report line this script does not know is treated as incompatible.
Usage: abi-classify.py REPORT
"""
import re
import sys

BENIGN = [
    r'Functions changes summary: 0 Removed, \d+ Changed(?: \(\d+ filtered out\))?, \d+ Added functions?',
    r'Variables changes summary: 0 Removed, \d+ Changed(?: \(\d+ filtered out\))?, \d+ Added variables?',
    r'\d+ functions? with some indirect sub-type changes?:',
    r'\d+ Added functions?:',
    r"\[A\] 'function .*'(?:\s+\{\w+\})?",
    r"\[C\] 'function .*' (?:at \S+ )?has some indirect sub-type changes:",
    r"parameter \d+ of type '.*' has sub-type changes:",
    r"return type changed:",  # only together with the benign lines below
    r"underlying type '[^']*\(\*?[^']*\)\*' changed:",  # a callback type: only its parameters' changes count
    r"in pointed to type 'function type .*':",
    r"in pointed to type '.*'(?: at \S+)?:",
    r"in unqualified underlying type '.*'(?: at \S+)?:",
    r"underlying type '(?:struct|enum) .*'(?: at \S+)? changed:",
    r"type size hasn't changed",
    r"\d+ data member insertions?:",
    r"'[^']*', at offset \d+ \(in bits\)(?: at \S+)?",  # an inserted member (size unchanged, checked above)
    r"\d+ data member changes?:",
    r"\d+ enumerator insertions?:",
    r"'[A-Z_0-9]+' value '-?\d+'",
    r"\d+ data member deletions?:",
]
RESERVED_ONLY = [
    r"type of '[^']*\breserved\[\d+\]' changed:",
    r"type name changed from '[^']*\[\d+\]' to '[^']*\[\d+\]'",
    r"array type size changed from \d+ to \d+",
    r"array type subrange \d+ changed length from \d+ to \d+",
    r"and offset changed from \d+ to \d+ \(in bits\) \(by [+-]\d+ bits\)",
    r"'[^']*\breserved\[\d+\]' offset changed from \d+ to \d+ \(in bits\) \(by [+-]\d+ bits\)",
]


# The structs the library fills and hands to the game's callbacks (include/ttsocket.h, "ABI"): a game only
# reads them through the pointer it is given, so they may grow at their end.
LIBRARY_FILLED = {'tt_result', 'tt_open_event', 'tt_message_event', 'tt_error_event', 'tt_close_event'}


def main():
    lines = [l.strip() for l in open(sys.argv[1]) if l.strip()]
    bad = []
    in_deletions = False
    in_reserved_change = False
    struct = None      # the struct whose changes are being listed
    grown_from = None  # its old size in bits, when it grew at its end
    for line in lines:
        m = re.fullmatch(r"underlying type 'struct (\w+)'(?: at \S+)? changed:", line)
        if m:
            struct, grown_from = m.group(1), None
        m = re.fullmatch(r"type size changed from (\d+) to (\d+) \(in bits\)", line)
        if m and struct in LIBRARY_FILLED and int(m.group(2)) > int(m.group(1)):
            grown_from = int(m.group(1))
            continue
        m = re.fullmatch(r"'[^']*', at offset (\d+) \(in bits\)(?: at \S+)?", line)
        if m and grown_from is not None and int(m.group(1)) < grown_from:
            bad.append(line + '  (inserted before the old end of ' + struct + ')')
            continue
        if re.fullmatch(r'\d+ data member deletions?:', line):
            in_deletions = True
            continue
        if in_deletions and line.startswith("'"):
            # Only a reserved slot may disappear (all of it taken by new fields).
            if not re.search(r"\breserved\[\d+\]'", line):
                bad.append(line)
            continue
        in_deletions = False
        if re.fullmatch(RESERVED_ONLY[0], line):
            in_reserved_change = True
            continue
        if in_reserved_change and any(re.fullmatch(p, line) for p in RESERVED_ONLY[1:]):
            continue
        in_reserved_change = False
        if re.fullmatch(RESERVED_ONLY[-1], line) or any(re.fullmatch(p, line) for p in BENIGN):
            continue
        bad.append(line)
    if bad:
        print('incompatible lines:')
        for l in bad:
            print('  ' + l)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
