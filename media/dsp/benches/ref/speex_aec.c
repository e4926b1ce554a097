/* speexdsp echo canceller harness for tipring-dsp's benches/echo.rs.
 *
 * usage: speex_aec FAR.raw NEAR.raw OUT.raw FRAME TAIL PREPROCESS
 * Raw files are mono s16 native-endian at 8 kHz. FAR is what was sent to the line
 * (speex's "play"), NEAR what came back (speex's "rec", echo included). PREPROCESS=1
 * runs speex's preprocessor with its residual echo suppression (denoise off). Prints
 * "ns_per_frame <ns>" measured with clock_gettime around the processing loop only. */
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static short *slurp(const char *path, long *n) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    short *buf = malloc(bytes);
    if (fread(buf, 1, bytes, f) != (size_t)bytes) { perror(path); exit(2); }
    fclose(f);
    *n = bytes / 2;
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 7) { fprintf(stderr, "usage: %s far near out frame tail pp\n", argv[0]); return 2; }
    long nf, nn;
    short *far = slurp(argv[1], &nf), *near = slurp(argv[2], &nn);
    int frame = atoi(argv[4]), tail = atoi(argv[5]), pp = atoi(argv[6]), rate = 8000;
    long n = (nf < nn ? nf : nn) / frame * frame;
    short *out = malloc(n * 2);
    SpeexEchoState *st = speex_echo_state_init(frame, tail);
    speex_echo_ctl(st, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
    SpeexPreprocessState *pre = NULL;
    if (pp) {
        int off = 0;
        pre = speex_preprocess_state_init(frame, rate);
        speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_ECHO_STATE, st);
        speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_DENOISE, &off);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i += frame) {
        speex_echo_cancellation(st, near + i, far + i, out + i);
        if (pre) speex_preprocess_run(pre, out + i);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    FILE *o = fopen(argv[3], "wb");
    if (!o || fwrite(out, 2, n, o) != (size_t)n) { perror(argv[3]); return 2; }
    fclose(o);
    printf("ns_per_frame %.1f\n", ns / (n / frame));
    return 0;
}
