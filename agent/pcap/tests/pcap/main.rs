//! Integration tests of tipring-pcap: tshark (Wireshark's dissectors, an independent
//! reader of pcap, IP, UDP, TCP, SIP and RTP) reads a capture of a small call.

mod tshark;
