#!/usr/bin/env bash
# Renders an llmri report in headless Chromium and checks it:
#   - every <img> in the rendered page is an embedded PNG (data: URI) that decodes to a whole PNG file;
#   - the page logs nothing to the console (no script errors, no blocked loads);
#   - each section can be shown alone (report.html#only-ID) and screenshotted.
# Usage: scripts/check-report.sh REPORT_DIR [SCREENSHOT_DIR]
# Needs Debian's `chromium` (apt-get install -y chromium), or set CHROMIUM to another binary.
# Exit status: 0 all good, 1 a check failed, 2 bad usage or no browser.
set -euo pipefail

dir=${1:?usage: check-report.sh REPORT_DIR [SCREENSHOT_DIR]}
shots=${2:-$dir/screenshots}
report="$(cd "$dir" && pwd)/report.html"
[ -f "$report" ] || { echo "check-report: no report.html in $dir" >&2; exit 2; }
browser=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$browser" ] || { echo "check-report: chromium not found (apt-get install -y chromium)" >&2; exit 2; }
mkdir -p "$shots"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
height=${SHOT_HEIGHT:-2000}

chrome() {
    local profile
    profile=$(mktemp -d -p "$work")
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --disable-extensions --hide-scrollbars --user-data-dir="$profile" "$@"
}

fail=0
# 1. the page as the browser built it, with its console going to stderr
chrome --enable-logging=stderr --v=0 --dump-dom "file://$report" >"$work/dom.html" 2>"$work/console.log" || {
    echo "check-report: chromium failed to render $report" >&2; exit 1; }
if grep -E ':CONSOLE[:(]|Uncaught|net::ERR_|Not allowed to load' "$work/console.log" >"$work/errors.txt"; then
    echo "check-report: console output while rendering:" >&2
    sed 's/^/  /' "$work/errors.txt" >&2
    fail=1
fi

# 2. every image embedded and decodable
grep -o '<img [^>]*>' "$work/dom.html" >"$work/imgs.txt" || true
images=$(wc -l <"$work/imgs.txt")
n=0
while IFS= read -r tag; do
    n=$((n + 1))
    src=$(printf '%s' "$tag" | sed -n 's/.*src="\([^"]*\)".*/\1/p')
    case "$src" in
        data:image/png\;base64,*) ;;
        *) echo "check-report: image $n is not an embedded PNG: ${src:0:80}" >&2; fail=1; continue ;;
    esac
    if ! printf '%s' "${src#data:image/png;base64,}" | base64 -d >"$work/img.png" 2>/dev/null; then
        echo "check-report: image $n: bad base64" >&2; fail=1; continue
    fi
    sig=$(head -c 8 "$work/img.png" | od -An -tx1 | tr -d ' \n')
    tail=$(tail -c 8 "$work/img.png" | od -An -tx1 | tr -d ' \n')
    if [ "$sig" != "89504e470d0a1a0a" ] || [ "$tail" != "49454e44ae426082" ]; then
        echo "check-report: image $n is not a complete PNG" >&2; fail=1
    fi
done <"$work/imgs.txt"

# 3. one screenshot per section
sections=$(grep -o '<section id="[^"]*"' "$work/dom.html" | sed 's/<section id="\(.*\)"/\1/')
[ -n "$sections" ] || { echo "check-report: no sections in the page" >&2; fail=1; }
for s in $sections; do
    chrome --screenshot="$shots/$s.png" --window-size=1400,"$height" "file://$report#only-$s" >/dev/null 2>&1 || true
    if [ ! -s "$shots/$s.png" ]; then
        echo "check-report: no screenshot of section $s" >&2; fail=1
    fi
done

echo "check-report: $images images, sections: $(echo $sections | tr '\n' ' '); screenshots in $shots"
exit $fail
