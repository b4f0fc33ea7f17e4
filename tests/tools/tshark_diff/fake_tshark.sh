#!/bin/sh
# A tshark that lies: runs the real one and changes one value (the LAC 0x201d of the LU Request
# in upper_vectors.pcap frame 1 becomes 0x201e), so the test can check that tshark-diff notices.
tshark "$@" | sed 's/0x201d/0x201e/'
