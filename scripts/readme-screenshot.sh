#!/usr/bin/env bash
# Makes docs/rendered-answer.png, the README's picture of a rendered answer: `coze demo -m …`
# (the in-process emulator's echo bot) runs in a pseudo-terminal of 80 columns with colours
# (util-linux `script`), aha turns its ANSI output into HTML, and headless Chromium takes the
# screenshot. Run by hand after a change to the rendering; not part of scripts/test.sh.
#
# Usage: bash scripts/readme-screenshot.sh        (uses target/debug/coze; builds it if missing)
# Needs (Debian): apt-get install aha chromium fonts-wqy-microhei
# (DejaVu Sans Mono for the text and the box lines, WenQuanYi Micro Hei Mono for Chinese.)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

need script "apt-get install util-linux"
need aha "apt-get install aha"
need chromium "apt-get install chromium"
fc-list 2>/dev/null | grep -q "WenQuanYi Micro Hei Mono" ||
  die "the font WenQuanYi Micro Hei Mono is missing: apt-get install fonts-wqy-microhei"

COZE="$(cargo_target_dir)/debug/coze"
[[ -x "$COZE" ]] || cargo build -p coze-cli >&2

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cat >"$WORK/message.md" <<'EOF'
Hi
## Hangzhou
| day | 地点 |
|---|---|
| Sat | 西湖 |
| Sun | 灵隐寺 |
> Book the boat *early*.
```python
fare = 55 * adults  # yuan
```
[Guide](https://example.com/hz)
EOF

# The answer only (stdout); stderr (the spinner) is left out of the picture.
COZE_CONFIG_DIR="$WORK/config" COZE_DATA_DIR="$WORK/data" TERM=xterm-256color \
  COLORTERM=truecolor NO_COLOR='' \
  script -qec "stty cols 80 rows 50; unset NO_COLOR; '$COZE' demo --pace fast -m \"\$(cat '$WORK/message.md')\" 2>/dev/null" \
  /dev/null | tr -d '\r' >"$WORK/answer.ansi"
grep -q "You said" "$WORK/answer.ansi" || die "coze demo gave no answer: $(cat "$WORK/answer.ansi")"

{
  cat <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>
/* As in a terminal: Chinese exactly two cells wide (DejaVu Sans Mono's cell is 0.602 em). */
@font-face { font-family: "Wide"; src: local("WenQuanYi Micro Hei Mono"); size-adjust: 120.4%; }
body { margin: 0; background: #1e1e1e; }
pre { margin: 0; padding: 14px 18px; color: #d8d8d8; background: #1e1e1e;
      font: 15px/1.17 "DejaVu Sans Mono", "Wide", monospace; }
.prompt { color: #8ae234; }
</style></head><body><pre>
EOF
  printf '<span class="prompt">$</span> coze demo -m "$(cat plan.md)"\n'
  aha --no-header <"$WORK/answer.ansi"
  printf '</pre></body></html>\n'
} >"$WORK/answer.html"

LINES=$(($(wc -l <"$WORK/answer.ansi") + 1))
HEIGHT=$((LINES * 18 + 30))
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$WORK/chromium" --hide-scrollbars --window-size="760,$HEIGHT" \
  --screenshot="$ROOT/docs/rendered-answer.png" "file://$WORK/answer.html" 2>/dev/null
echo "wrote docs/rendered-answer.png ($LINES lines)"
