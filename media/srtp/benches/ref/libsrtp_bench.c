/* Baseline for benches/srtp.rs: libsrtp2 protect/unprotect of a 172-byte RTP packet
 * (12-byte header + 160 bytes G.711, 20 ms). Built at bench time against Debian's
 * libsrtp2-dev:  cc -O2 libsrtp_bench.c $(pkg-config --cflags --libs libsrtp2)
 * Usage: libsrtp_bench <80|32> <packets> <rounds>
 * Prints: "<protect ns/packet> <unprotect ns/packet>" (best round of each). */
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PKT 172
#define SLOT (PKT + SRTP_MAX_TRAILER_LEN)

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void make_packet(uint8_t *p, uint32_t i) {
    uint16_t seq = (uint16_t)i;
    uint32_t ts = i * 160, ssrc = 0x12345678;
    p[0] = 0x80; p[1] = 0;
    p[2] = seq >> 8; p[3] = seq & 0xff;
    p[4] = ts >> 24; p[5] = ts >> 16; p[6] = ts >> 8; p[7] = ts;
    p[8] = ssrc >> 24; p[9] = ssrc >> 16; p[10] = ssrc >> 8; p[11] = ssrc;
    for (int k = 12; k < PKT; k++) p[k] = (uint8_t)(k ^ i);
}

static srtp_t session(int tag, srtp_ssrc_type_t type, uint8_t *key) {
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    if (tag == 32)
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
    else
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    policy.ssrc.type = type;
    policy.key = key;
    policy.window_size = 128;
    policy.next = NULL;
    srtp_t s;
    if (srtp_create(&s, &policy) != srtp_err_status_ok) { fprintf(stderr, "srtp_create\n"); exit(1); }
    return s;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s <80|32> <packets> <rounds>\n", argv[0]); return 2; }
    int tag = atoi(argv[1]);
    uint32_t n = (uint32_t)atoi(argv[2]);
    int rounds = atoi(argv[3]);
    uint8_t key[30];
    for (int i = 0; i < 30; i++) key[i] = (uint8_t)(i * 7 + 1);
    if (srtp_init() != srtp_err_status_ok) { fprintf(stderr, "srtp_init\n"); return 1; }
    uint8_t *plain = malloc((size_t)n * SLOT), *prot = malloc((size_t)n * SLOT);
    int *lens = malloc(sizeof(int) * n);
    uint8_t buf[SLOT];
    double best_p = 1e18, best_u = 1e18;
    for (uint32_t i = 0; i < n; i++) make_packet(plain + (size_t)i * SLOT, i);
    for (int r = 0; r < rounds; r++) {
        srtp_t tx = session(tag, ssrc_any_outbound, key), rx = session(tag, ssrc_any_inbound, key);
        double t0 = now_ns();
        for (uint32_t i = 0; i < n; i++) {
            uint8_t *p = prot + (size_t)i * SLOT;
            memcpy(p, plain + (size_t)i * SLOT, PKT);
            int len = PKT;
            if (srtp_protect(tx, p, &len) != srtp_err_status_ok) { fprintf(stderr, "protect %u\n", i); return 1; }
            lens[i] = len;
        }
        double t1 = now_ns();
        for (uint32_t i = 0; i < n; i++) {
            memcpy(buf, prot + (size_t)i * SLOT, lens[i]);
            int len = lens[i];
            if (srtp_unprotect(rx, buf, &len) != srtp_err_status_ok) { fprintf(stderr, "unprotect %u\n", i); return 1; }
        }
        double t2 = now_ns();
        if ((t1 - t0) / n < best_p) best_p = (t1 - t0) / n;
        if ((t2 - t1) / n < best_u) best_u = (t2 - t1) / n;
        srtp_dealloc(tx);
        srtp_dealloc(rx);
    }
    printf("%.1f %.1f\n", best_p, best_u);
    return 0;
}
