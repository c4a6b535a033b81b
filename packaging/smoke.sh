#!/usr/bin/env bash
# Smoke test of a frozen bundle, with an empty home and no Python on the PATH.
#
#   packaging/smoke.sh BUNDLE_DIR
#
# BUNDLE_DIR holds the `mashups` and `mashups-studio` executables (dist/mashups).
# Checks: `mashups --version`; `mashups analyze` on a bundled demo song gives
# complete JSON (equal to the checkout's analysis when $SMOKE_EXPECT_ANALYSIS
# names a JSON file of it); `mashups separate --model classical` writes four
# stems; `mashups caption` with a Whisper model imported from a folder
# ($SMOKE_TINY_EN: a CTranslate2 tiny.en folder; speech from espeak-ng when
# installed, else the demo song); `mashups-studio --smoke-test` opens every page
# offscreen and exits 0. Optional: $SMOKE_DEMUCS_DIR (a models folder holding a
# Demucs model named $SMOKE_DEMUCS_MODEL, default "tiny") separates with torch.
# Needs: bash, coreutils, jq (GitHub's runners have it). Prints one line per
# check with its time; exits non-zero at the first failure.
set -euo pipefail

BUNDLE=$(cd "${1:?usage: smoke.sh BUNDLE_DIR}" && pwd)
EXE=""
case "$(uname -s)" in MINGW*|MSYS*|CYGWIN*) EXE=".exe" ;; esac
CLI="$BUNDLE/mashups$EXE"
STUDIO="$BUNDLE/mashups-studio$EXE"
[ -x "$CLI" ] && [ -x "$STUDIO" ] || { echo "smoke: no mashups/mashups-studio in $BUNDLE" >&2; exit 2; }
RES="$BUNDLE/_internal/resources"
[ -d "$RES" ] || RES="$BUNDLE/resources"
DEMO="$RES/demo/demo1.flac"
[ -f "$DEMO" ] || { echo "smoke: the bundle has no demo song ($DEMO)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mashups-smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home" "$WORK/bin" "$WORK/out"

# A PATH with the shell tools this script uses and no Python at all.
for tool in jq mkdir ls cat grep env head wc tr rm date sh bash espeak-ng; do
    p=$(command -v "$tool" 2>/dev/null || true)
    [ -n "$p" ] && ln -sf "$p" "$WORK/bin/$tool"
done
SAFE_PATH="$WORK/bin"
if PATH="$SAFE_PATH" command -v python3 >/dev/null 2>&1 || PATH="$SAFE_PATH" command -v python >/dev/null 2>&1; then
    echo "smoke: a Python is still on the PATH" >&2; exit 2
fi

# Run a bundle executable in a clean environment: empty home, no Python, no venv.
run() {
    env -i HOME="$WORK/home" USERPROFILE="$WORK/home" PATH="$SAFE_PATH" LANG=C.UTF-8 LC_ALL=C.UTF-8 \
        TMPDIR="$WORK" TEMP="$WORK" TMP="$WORK" XDG_RUNTIME_DIR="$WORK" QT_QPA_PLATFORM=offscreen \
        ${SYSTEMROOT:+SYSTEMROOT="$SYSTEMROOT"} "$@"
}
now() { date +%s.%N 2>/dev/null || date +%s; }
T0=$(now)
step() { printf 'smoke: %-52s ok %6.1f s\n' "$1" "$(awk -v a="$T0" -v b="$(now)" 'BEGIN{print b-a}')"; T0=$(now); }
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }

# 1. --version on both entry points
v=$(run "$CLI" --version) || fail "mashups --version"
[[ "$v" =~ ^mashups\ [0-9]+\.[0-9]+ ]] || fail "mashups --version printed '$v'"
vs=$(run "$STUDIO" --version) || fail "mashups-studio --version"
# (a windowed Windows executable has no stdout: there only the exit status counts)
[[ "$vs" =~ ^mashups-studio\ [0-9]+\.[0-9]+ ]] || [ "$EXE" = ".exe" ] || fail "mashups-studio --version printed '$vs'"
step "--version ($v)"

# 2. analyze: complete JSON, equal to the checkout's when given
run "$CLI" analyze "$DEMO" --json > "$WORK/out/analysis.json" 2> "$WORK/out/analysis.err" \
    || { cat "$WORK/out/analysis.err" >&2; fail "mashups analyze"; }
jq -e '(.bpm > 40 and .bpm < 250) and (.key | test("^[A-G][#b]? (major|minor)$")) and (.beats | length > 8)
       and (.downbeats | length > 2) and (.lufs < 0) and (.camelot | test("^[0-9]+[AB]$"))' \
    "$WORK/out/analysis.json" > /dev/null || fail "analyze JSON incomplete: $(head -c 400 "$WORK/out/analysis.json")"
if [ -n "${SMOKE_EXPECT_ANALYSIS:-}" ]; then
    keys='{bpm, key, camelot, beats_per_bar, lufs, nbeats: (.beats | length), b0: .beats[0]}'
    got=$(jq -c "$keys" "$WORK/out/analysis.json"); want=$(jq -c "$keys" "$SMOKE_EXPECT_ANALYSIS")
    [ "$got" = "$want" ] || fail "frozen analysis differs from the checkout's: $got vs $want"
fi
step "analyze demo1 ($(jq -r '"\(.bpm) BPM, \(.key)"' "$WORK/out/analysis.json"))"

# 3. classical separation: four stems
run "$CLI" separate "$DEMO" --model classical -o "$WORK/out/stems" > /dev/null 2> "$WORK/out/sep.err" \
    || { cat "$WORK/out/sep.err" >&2; fail "mashups separate --model classical"; }
for s in drums bass other vocals; do
    f=$(ls "$WORK/out/stems/$s".* 2>/dev/null | head -1)
    [ -n "$f" ] && [ "$(wc -c < "$f")" -gt 100000 ] || fail "classical separation wrote no $s stem"
done
step "separate --model classical (4 stems)"

# 4. optional: Demucs (torch) separation with a model from a folder
if [ -n "${SMOKE_DEMUCS_DIR:-}" ]; then
    run "$CLI" separate "$DEMO" --model "${SMOKE_DEMUCS_MODEL:-tiny}" --model-dir "$SMOKE_DEMUCS_DIR" \
        -o "$WORK/out/dstems" > /dev/null 2> "$WORK/out/dsep.err" \
        || { cat "$WORK/out/dsep.err" >&2; fail "mashups separate --model ${SMOKE_DEMUCS_MODEL:-tiny}"; }
    n=$(ls "$WORK/out/dstems" | wc -l)
    [ "$n" -eq 4 ] || fail "Demucs separation wrote $n files, not 4"
    step "separate --model ${SMOKE_DEMUCS_MODEL:-tiny} (torch, 4 stems)"
fi

# 5. captions with tiny.en imported from a folder
if [ -n "${SMOKE_TINY_EN:-}" ]; then
    run "$CLI" caption --import-model "$SMOKE_TINY_EN" --name tiny.en > /dev/null 2> "$WORK/out/imp.err" \
        || { cat "$WORK/out/imp.err" >&2; fail "mashups caption --import-model"; }
    SPEECH="$DEMO"; WANT=""
    if command -v espeak-ng > /dev/null 2>&1; then
        espeak-ng -w "$WORK/speech.wav" "the quick brown fox jumps over the lazy dog" 2> /dev/null \
            && SPEECH="$WORK/speech.wav" && WANT="dog"
    fi
    run "$CLI" caption "$SPEECH" --model tiny.en --language en -o "$WORK/out/captions.srt" \
        > /dev/null 2> "$WORK/out/cap.err" || { cat "$WORK/out/cap.err" >&2; fail "mashups caption"; }
    [ -f "$WORK/out/captions.srt" ] || fail "caption wrote no file"
    if [ -n "$WANT" ]; then
        grep -qi "$WANT" "$WORK/out/captions.srt" || fail "captions miss '$WANT': $(cat "$WORK/out/captions.srt")"
    fi
    step "caption with imported tiny.en${WANT:+ (heard \"$WANT\")}"
else
    echo "smoke: caption skipped: set SMOKE_TINY_EN to a CTranslate2 tiny.en folder" >&2
fi

# 6. the studio opens every page offscreen and exits 0
run "$STUDIO" --smoke-test > "$WORK/out/studio.out" 2>&1 || { cat "$WORK/out/studio.out" >&2; fail "mashups-studio --smoke-test"; }
step "mashups-studio --smoke-test (every page)"
echo "smoke: all checks passed ($BUNDLE)"
