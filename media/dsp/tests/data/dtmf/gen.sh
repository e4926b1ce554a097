#!/usr/bin/env bash
# Regenerates the DTMF receiver test set in this directory (8 kHz, 16-bit, mono WAVs) and
# its manifest. Needs: sox, espeak-ng (apt-get install sox espeak-ng), awk.
#
# Levels: a sine of L dBm0 has peak 32767 * 10^((L - 3.17) / 20) in 16-bit PCM (ITU-T G.711:
# the full-scale sine is +3.17 dBm0), i.e. sox amplitude 10^((L - 3.17) / 20).
#
# manifest.txt: "<file> <expected digits or -> <what it checks (ITU-T Q.24 clause)>".
# Output is deterministic for a given sox/espeak-ng version (sox dithering is off: -D).
set -euo pipefail
cd "$(dirname "$0")"
for t in sox espeak-ng awk; do
  command -v "$t" >/dev/null || { echo "missing $t: apt-get install sox espeak-ng" >&2; exit 1; }
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FMT=(-D -r 8000 -b 16 -c 1 -e signed-integer)
DIGITS="0123456789*#ABCD"
: > manifest.txt
n=0

amp() { awk -v l="$1" 'BEGIN { printf "%.6f", 10 ^ ((l - 3.17) / 20) }'; }
low_of() { case "$1" in 1|2|3|A) echo 697;; 4|5|6|B) echo 770;; 7|8|9|C) echo 852;; *|0|\#|D) echo 941;; esac; }
high_of() { case "$1" in 1|4|7|\*) echo 1209;; 2|5|8|0) echo 1336;; 3|6|9|\#) echo 1477;; *) echo 1633;; esac; }

# silence MS OUT
silence() { sox -n "${FMT[@]}" "$2" trim 0 "$(awk -v m="$1" 'BEGIN { print m / 1000 }')"; }

# tone_pair F1 L1 F2 L2 MS OUT
tone_pair() {
  local s; s=$(awk -v m="$5" 'BEGIN { print m / 1000 }')
  n=$((n + 1))
  sox -n "${FMT[@]}" "$TMP/a$n.wav" synth "$s" sine "$1" vol "$(amp "$2")"
  sox -n "${FMT[@]}" "$TMP/b$n.wav" synth "$s" sine "$3" vol "$(amp "$4")"
  sox -D -m -v 1 "$TMP/a$n.wav" -v 1 "$TMP/b$n.wav" "${FMT[@]}" "$6"
}

# sequence OUT DIGITS ON_MS OFF_MS LOW_DBM0 HIGH_DBM0 LOW_DEV HIGH_DEV
# (deviations as factors, e.g. 1.015); 100 ms of silence before and after.
sequence() {
  local out=$1 digits=$2 on=$3 off=$4 ll=$5 lh=$6 dl=$7 dh=$8 parts=() i d f1 f2
  silence 100 "$TMP/lead.wav"
  parts+=("$TMP/lead.wav")
  silence "$off" "$TMP/gap.wav"
  for ((i = 0; i < ${#digits}; i++)); do
    d=${digits:i:1}
    f1=$(awk -v f="$(low_of "$d")" -v k="$dl" 'BEGIN { printf "%.3f", f * k }')
    f2=$(awk -v f="$(high_of "$d")" -v k="$dh" 'BEGIN { printf "%.3f", f * k }')
    tone_pair "$f1" "$ll" "$f2" "$lh" "$on" "$TMP/d$i.wav"
    parts+=("$TMP/d$i.wav" "$TMP/gap.wav")
  done
  parts+=("$TMP/lead.wav")
  sox "${parts[@]}" "${FMT[@]}" "$out"
}

entry() { printf '%s %s %s\n' "$1" "$2" "$3" >> manifest.txt; }

# --- nominal, frequency deviation (Q.24 §4.1) ------------------------------------------
sequence nominal.wav "$DIGITS" 60 63 -10 -10 1 1
entry nominal.wav "$DIGITS" "all 16 digits, nominal frequencies, -10 dBm0 per tone (Q.24 sec. 3)"
sequence dev_plus_1_5.wav "$DIGITS" 60 63 -10 -10 1.015 1.015
entry dev_plus_1_5.wav "$DIGITS" "both tones +1.5 % (accept, Q.24 4.1)"
sequence dev_minus_1_5.wav "$DIGITS" 60 63 -10 -10 0.985 0.985
entry dev_minus_1_5.wav "$DIGITS" "both tones -1.5 % (accept, Q.24 4.1)"
sequence dev_mixed_1_5.wav "$DIGITS" 60 63 -10 -10 1.015 0.985
entry dev_mixed_1_5.wav "$DIGITS" "low +1.5 %, high -1.5 % (accept, Q.24 4.1)"
sequence dev_plus_3_5.wav "$DIGITS" 60 63 -10 -10 1.035 1.035
entry dev_plus_3_5.wav - "both tones +3.5 % (reject, Q.24 4.1)"
sequence dev_minus_3_5.wav "$DIGITS" 60 63 -10 -10 0.965 0.965
entry dev_minus_3_5.wav - "both tones -3.5 % (reject, Q.24 4.1)"
sequence dev_low_3_5.wav "$DIGITS" 60 63 -10 -10 1.035 1
entry dev_low_3_5.wav - "low tone +3.5 %, high nominal (reject, Q.24 4.1)"
sequence dev_high_3_5.wav "$DIGITS" 60 63 -10 -10 1 0.965
entry dev_high_3_5.wav - "high tone -3.5 %, low nominal (reject, Q.24 4.1)"

# --- duration (Q.24 §4.3) -----------------------------------------------------------------
sequence dur_40ms.wav "$DIGITS" 40 63 -10 -10 1 1
entry dur_40ms.wav "$DIGITS" "40 ms tones, 63 ms pauses (accept, Q.24 4.3)"
sequence dur_25ms.wav "$DIGITS" 25 63 -10 -10 1 1
entry dur_25ms.wav - "25 ms tones (reject, Q.24 4.3)"
sequence dur_20ms.wav "$DIGITS" 20 63 -10 -10 1 1
entry dur_20ms.wav - "20 ms tones (reject, Q.24 4.3)"

# --- twist (Q.24 §4.4) and level (§4.2) ----------------------------------------------------
sequence twist_rev_8.wav "$DIGITS" 60 63 -6 -14 1 1
entry twist_rev_8.wav "$DIGITS" "reverse twist 8 dB: low -6, high -14 dBm0 (accept, Q.24 4.4)"
sequence twist_fwd_4.wav "$DIGITS" 60 63 -12 -8 1 1
entry twist_fwd_4.wav "$DIGITS" "forward twist 4 dB: low -12, high -8 dBm0 (accept, Q.24 4.4)"
sequence twist_rev_16.wav "$DIGITS" 60 63 -4 -20 1 1
entry twist_rev_16.wav - "reverse twist 16 dB (reject, Q.24 4.4)"
sequence twist_fwd_12.wav "$DIGITS" 60 63 -18 -6 1 1
entry twist_fwd_12.wav - "forward twist 12 dB (reject, Q.24 4.4)"
sequence level_3.wav "$DIGITS" 60 63 -3 -3 1 1
entry level_3.wav "$DIGITS" "-3 dBm0 per tone, near the 0 dBm0 top of the range (accept, Q.24 4.2)"
sequence level_25.wav "$DIGITS" 60 63 -25 -25 1 1
entry level_25.wav "$DIGITS" "-25 dBm0 per tone (accept, Q.24 4.2)"
sequence level_40.wav "$DIGITS" 60 63 -40 -40 1 1
entry level_40.wav - "-40 dBm0 per tone (reject, Q.24 4.2)"

# --- speech -----------------------------------------------------------------------------
# speak OUT VOICE RATE PITCH TEXT: espeak-ng at 22 050 Hz, resampled to 8 kHz.
speak() {
  espeak-ng -v "$2" -s "$3" -p "$4" -w "$TMP/speech22.wav" "$5"
  sox "$TMP/speech22.wav" "${FMT[@]}" "$1"
}
rms() { sox "$1" -n stat 2>&1 | awk '/RMS +amplitude/ { print $3 }'; }
# set_level IN DBM0 OUT: scale to an RMS level in dBm0 (a 0 dBm0 sine has RMS
# 22747.66 / sqrt(2) / 32768 = 0.49088 in sox units).
set_level() {
  local g; g=$(awk -v r="$(rms "$1")" -v l="$2" 'BEGIN { printf "%.6f", 0.49088 * 10 ^ (l / 20) / r }')
  sox -D "$1" "${FMT[@]}" "$3" vol "$g"
}

# Digits under speech: tone pair at -10 dBm0 per tone (-7 dBm0 together), 100 ms on/100 ms off,
# speech RMS 15 dB and 10 dB below the tone pair (Q.24 4.5-style speech-masked test).
MASK_DIGITS="159#3570*2A8"
sequence "$TMP/masked_tones.wav" "$MASK_DIGITS" 100 100 -10 -10 1 1
speak "$TMP/m1.wav" en-us 160 50 "Hello, this is a test of the receiver. Please hold the line while we transfer your call to the next available agent, thank you for waiting."
len=$(sox "$TMP/masked_tones.wav" -n stat 2>&1 | awk '/Length/ { print $3 }')
sox "$TMP/m1.wav" "${FMT[@]}" "$TMP/m1_cut.wav" repeat 3 trim 0 "$len"
for snr in 15 10; do
  set_level "$TMP/m1_cut.wav" "$((-7 - snr))" "$TMP/m1_lvl.wav"
  sox -D -m -v 1 "$TMP/masked_tones.wav" -v 1 "$TMP/m1_lvl.wav" "${FMT[@]}" "masked_${snr}db.wav"
  entry "masked_${snr}db.wav" "$MASK_DIGITS" "digits under speech, ${snr} dB SNR (accept, Q.24 4.5)"
done

# Talk-off: speech only, many voices, rates and pitches, at a loud -15 dBm0 RMS: no digits.
TEXTS=(
  "One two three four five six seven eight nine zero. Star, hash, oh."
  "The quick brown fox jumps over the lazy dog, while the telephone keeps ringing in the hall."
  "Good morning! Would you like to hear about our special offers? Press one for sales, two for service."
  "Eins zwei drei vier fuenf sechs sieben acht neun null. Guten Tag, hier spricht die Zentrale."
  "Un deux trois quatre cinq six sept huit neuf. Bonjour, veuillez patienter, s'il vous plait."
  "Een twee drie vier vijf zes zeven acht negen nul. Goedemiddag, met wie spreek ik?"
)
VOICES=(en-us+f3 en-gb+m3 en-us+f4 de+m4 fr-fr+f2 nl+m1)
RATES=(140 175 210 160 190 150)
PITCHES=(70 35 85 45 60 25)
talk=()
for i in "${!TEXTS[@]}"; do
  speak "$TMP/t$i.wav" "${VOICES[$i]}" "${RATES[$i]}" "${PITCHES[$i]}" "${TEXTS[$i]}"
  set_level "$TMP/t$i.wav" -15 "$TMP/t${i}_lvl.wav"
  talk+=("$TMP/t${i}_lvl.wav")
done
sox "${talk[@]}" "${FMT[@]}" talkoff_speech.wav
entry talkoff_speech.wav - "speech only, 6 voices/rates/pitches, -15 dBm0 (talk-off: no digits)"

# Talk-off: music-like sounds (plucked chords, square/triangle melody, a sweep through the
# DTMF band, noise), no digits.
sox -n "${FMT[@]}" "$TMP/chord1.wav" synth 1.5 pluck C4 pluck E4 pluck G4 pluck C5 remix - vol 0.5
sox -n "${FMT[@]}" "$TMP/chord2.wav" synth 1.5 pluck A3 pluck C#4 pluck E4 pluck A4 remix - vol 0.5
sox -n "${FMT[@]}" "$TMP/sq.wav" synth 0.3 square 440 synth 0.3 square 494 vol 0.15
sox -n "${FMT[@]}" "$TMP/mel.wav" synth 0.25 triangle 523 : synth 0.25 triangle 659 : synth 0.25 triangle 784 : synth 0.25 triangle 1047 : synth 0.25 square 698 : synth 0.25 square 932 vol 0.3
sox -n "${FMT[@]}" "$TMP/sweep.wav" synth 2 sine 300-3400 vol 0.3
sox -n "${FMT[@]}" "$TMP/noise.wav" synth 1 pinknoise vol 0.3
sox "$TMP/chord1.wav" "$TMP/chord2.wav" "$TMP/sq.wav" "$TMP/mel.wav" "$TMP/sweep.wav" "$TMP/noise.wav" "${FMT[@]}" talkoff_music.wav
entry talkoff_music.wav - "plucked chords, square/triangle melody, 300-3400 Hz sweep, pink noise (talk-off: no digits)"

du -ch ./*.wav | tail -1
