#!/usr/bin/env python3
"""Turn a `tmux capture-pane -e -p` dump (text with SGR colour escapes)
into a standalone HTML page that looks like the terminal, for a headless
browser to screenshot.

Usage: ansi2html.py IN.ans OUT.html COLS ROWS

Only SGR (ESC [ ... m) matters in a capture: tmux emits no cursor
movement there. Everything else is dropped. The page is exactly
COLS x ROWS cells at the CSS sizes below; screenshots.sh sizes the
browser window from the same numbers (it prints them).
"""

import html
import re
import sys

# A dark theme close to common terminals' defaults (xterm-ish, softened).
BASIC = [
    "#1d1f21", "#cc6666", "#b5bd68", "#f0c674",
    "#81a2be", "#b294bb", "#8abeb7", "#c5c8c6",
    "#666666", "#ff7b72", "#d7e36b", "#ffd580",
    "#9ecbff", "#d2a8ff", "#a5f3fc", "#ffffff",
]
FG = "#c5c8c6"
BG = "#1d1f21"

FONT_PX = 14
CELL_W = 8.5  # DejaVu Sans Mono advance at 14px, rounded up
CELL_H = 17
PAD = 8


def xterm256(n):
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        r, g, b = steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
        return "#%02x%02x%02x" % (r, g, b)
    v = 8 + 10 * (n - 232)
    return "#%02x%02x%02x" % (v, v, v)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def apply(self, params):
        ps = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(ps):
            p = ps[i]
            if p == 0:
                self.reset()
            elif p == 1:
                self.bold = True
            elif p == 2:
                self.dim = True
            elif p == 3:
                self.italic = True
            elif p == 4:
                self.underline = True
            elif p == 7:
                self.reverse = True
            elif p == 22:
                self.bold = self.dim = False
            elif p == 23:
                self.italic = False
            elif p == 24:
                self.underline = False
            elif p == 27:
                self.reverse = False
            elif 30 <= p <= 37:
                self.fg = BASIC[p - 30]
            elif 90 <= p <= 97:
                self.fg = BASIC[p - 90 + 8]
            elif p == 39:
                self.fg = None
            elif 40 <= p <= 47:
                self.bg = BASIC[p - 40]
            elif 100 <= p <= 107:
                self.bg = BASIC[p - 100 + 8]
            elif p == 49:
                self.bg = None
            elif p in (38, 48) and i + 1 < len(ps):
                if ps[i + 1] == 5 and i + 2 < len(ps):
                    colour = xterm256(ps[i + 2])
                    i += 2
                elif ps[i + 1] == 2 and i + 4 < len(ps):
                    colour = "#%02x%02x%02x" % tuple(ps[i + 2 : i + 5])
                    i += 4
                else:
                    colour = None
                if p == 38:
                    self.fg = colour
                else:
                    self.bg = colour
            i += 1

    def css(self):
        fg, bg = self.fg or FG, self.bg or BG
        if self.reverse:
            fg, bg = bg, fg
        out = []
        if fg != FG:
            out.append("color:" + fg)
        if bg != BG:
            out.append("background:" + bg)
        if self.bold:
            out.append("font-weight:bold")
        if self.dim:
            out.append("opacity:0.6")
        if self.italic:
            out.append("font-style:italic")
        if self.underline:
            out.append("text-decoration:underline")
        return ";".join(out)


SGR = re.compile(r"\x1b\[([0-9;]*)m")
OTHER = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|\][^\x07]*\x07|.)")


def convert(text, rows):
    lines = text.split("\n")[:rows]
    style = Style()
    out = []
    for line in lines:
        spans = []
        pos = 0
        for m in SGR.finditer(line):
            spans.append((style.css(), line[pos : m.start()]))
            style.apply(m.group(1))
            pos = m.end()
        spans.append((style.css(), line[pos:]))
        cells = []
        for css, chunk in spans:
            chunk = OTHER.sub("", chunk)
            if not chunk:
                continue
            chunk = html.escape(chunk)
            cells.append('<span style="%s">%s</span>' % (css, chunk) if css else chunk)
        out.append('<div class="l">%s</div>' % "".join(cells))
    # No newlines between the lines: `white-space: pre` would draw them.
    return "".join(out)


def main():
    src, dst, cols, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with open(src, encoding="utf-8", errors="replace") as f:
        body = convert(f.read(), rows)
    width = int(cols * CELL_W + 2 * PAD + 0.999)
    height = rows * CELL_H + 2 * PAD
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><style>
html, body {{ margin: 0; background: {BG}; }}
#t {{ padding: {PAD}px; width: {cols * CELL_W}px; height: {rows * CELL_H}px;
      color: {FG}; font: {FONT_PX}px/{CELL_H}px 'DejaVu Sans Mono', monospace;
      white-space: pre; overflow: hidden; }}
.l {{ height: {CELL_H}px; }}
</style></head><body><div id="t">{body}</div></body></html>
"""
    with open(dst, "w", encoding="utf-8") as f:
        f.write(page)
    print(f"{width},{height}")


if __name__ == "__main__":
    main()
