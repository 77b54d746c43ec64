#!/bin/sh
# tests/report-visual.sh - the Markdown and HTML reports (report/markdown.c,
# report/html.c).
#
#  1. golden files: every fixture record (tests/data/report/*.json and
#     tests/data/report-visual/*.json) renders byte for byte to
#     tests/data/report/golden/<fixture>.md and .html, twice the same;
#     TRAWIC_UPDATE_GOLDEN=1 rewrites the goldens instead;
#  2. Markdown: the most-likely table has the right rows, in order, with
#     pipes, backticks and newlines of paths escaped (cells decoded back);
#  3. HTML, as text: valid UTF-8, nothing that loads from the network;
#  4. HTML, in headless Chromium: the DOM Chromium built has the banner,
#     one bar per file, one row per file, the kind chart, the evidence;
#     a screenshot is a real picture with the banner's colour on top; the
#     net log shows no request made by the page (a probe page proves the
#     net log would show one);
#  5. a record of 3000 files: caps hold, the page says so, Chromium opens it.
#
# Chromium is required (Debian package `chromium`): without it the test
# fails, it does not skip.
. "$top_srcdir/tests/lib.sh"

DATA=$top_srcdir/tests/data
GOLDEN=$DATA/report/golden
RENDER=$top_builddir/tests/report_render
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}

# ---- the checker (Python 3, standard library only) -------------------------
cat > "$T/check.py" <<'EOF'
import html.parser, json, struct, sys, zlib

KINDS = ["function_name", "class_name", "variable_name", "string", "comment", "docstring"]
WORDS = {"included": "Included", "not_included": "Not included", "inconclusive": "Inconclusive"}
BANNER = {"Included": (0xb7, 0x1c, 0x1c), "Not included": (0x2e, 0x7d, 0x32),
          "Inconclusive": (0x8d, 0x6e, 0x00), "INCOMPLETE": (0xe6, 0x51, 0x00),
          "FAILED": (0x4a, 0x14, 0x8c)}
MAX_BARS = MAX_ROWS = 1000
MAX_EVIDENCE_FILES = 50

LABEL = ""

def report(ok, desc, detail=""):
    print(("1" if ok else "0") + "\t" + LABEL + ": " + desc +
          ("\t" + detail.replace("\n", "\\n").replace("\t", " ")[:300] if detail else ""))

def headline(r):
    if r.get("status") == "complete":
        return WORDS.get((r.get("verdict") or {}).get("verdict"), "No verdict")
    return {"incomplete": "INCOMPLETE", "failed": "FAILED", "cancelled": "CANCELLED"}.get(
        r.get("status"), "Unknown status")

def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)

def ranked(r):
    files = r.get("files") or []
    with_p = sorted((i for i, f in enumerate(files) if number(f.get("probability"))),
                    key=lambda i: (-files[i]["probability"], i))
    return with_p, with_p + [i for i, f in enumerate(files) if not number(f.get("probability"))]

def clean(s):
    # what the HTML page keeps of a string (report/util.c's escaping)
    return "".join("\ufffd" if (ord(ch) < 0x20 and ch not in "\t\n\r") or
                   ord(ch) in (0xfffe, 0xffff) else ch for ch in s)

# -- markdown ----------------------------------------------------------------
def md_cells(line):
    cells, cur, i = [], "", 1
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line) and line[i + 1] == "|":
            cur += "|"; i += 2; continue
        if line[i] == "|":
            cells.append(cur.strip()); cur = ""
        else:
            cur += line[i]
        i += 1
    return cells

def unpipe_count(line):
    return sum(1 for i, ch in enumerate(line) if ch == "|" and (i == 0 or line[i - 1] != "\\"))

def code_span(cell):
    n = len(cell) - len(cell.lstrip("`"))
    inner = cell[n:len(cell) - n]
    if len(inner) >= 2 and inner[0] == " " and inner[-1] == " " and inner.strip(" "):
        inner = inner[1:-1]
    return inner.replace("\u2424", "\n")

def check_md(md_path, rec_path):
    r = json.load(open(rec_path, encoding="utf-8"))
    raw = open(md_path, "rb").read()
    try:
        text = raw.decode("utf-8")
        report(True, "markdown is UTF-8")
    except UnicodeDecodeError as e:
        report(False, "markdown is UTF-8", str(e)); return
    report(not any(ord(c) < 32 and c != "\n" for c in text), "markdown has no control characters")
    report(text.startswith("## trawic audit: "), "markdown opens with the title line", text[:80])
    lines = text.split("\n")
    with_p, _ = ranked(r)
    want = [r["files"][i]["path"] for i in with_p[:10]]
    rows = []
    if "### Most likely files" in lines:
        k = lines.index("### Most likely files") + 4
        while k < len(lines) and lines[k].startswith("|"):
            rows.append(lines[k]); k += 1
    report(len(rows) == len(want), "most-likely table has %d rows" % len(want), "got %d" % len(rows))
    report(all(unpipe_count(x) == 7 for x in rows), "every row has 6 cells (pipes escaped)",
           " / ".join(x for x in rows if unpipe_count(x) != 7))
    got = [code_span(md_cells(x)[1]) for x in rows]
    report(got == want, "rows name the files, most likely first, paths decoded back",
           "got %r want %r" % (got, want))
    st = r.get("status")
    word = {"complete": headline(r).lower() if headline(r) != "No verdict" else "no verdict"}.get(st, headline(r))
    report(lines[0] == "## trawic audit: " + word, "title says " + word, lines[0])

# -- the DOM Chromium dumped ---------------------------------------------------
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "param"}

class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, dict(attrs), parent, [], []
    def cls(self):
        return (self.attrs.get("class") or "").split()
    def all_text(self):
        return "".join(t if isinstance(t, str) else t.all_text() for t in self.text)
    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()
    def find(self, pred):
        return [n for n in self.walk() if pred(n)]
    def ancestors(self):
        n = self.parent
        while n:
            yield n; n = n.parent

class Tree(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None); self.cur = self.root
    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur); self.cur.children.append(n); self.cur.text.append(n)
        if tag not in VOID:
            self.cur = n
    def handle_startendtag(self, tag, attrs):
        n = Node(tag, attrs, self.cur); self.cur.children.append(n); self.cur.text.append(n)
    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent
    def handle_data(self, data):
        self.cur.text.append(data)

def check_dom(dom_path, rec_path):
    r = json.load(open(rec_path, encoding="utf-8"))
    t = Tree(); t.feed(open(dom_path, encoding="utf-8").read()); root = t.root
    byid = {n.attrs["id"]: n for n in root.walk() if "id" in n.attrs}
    files = r.get("files") or []
    with_p, order = ranked(r)
    word = headline(r)

    banner = byid.get("verdict")
    report(banner is not None and banner.tag == "header", "Chromium's DOM has the verdict banner")
    btext = banner.all_text() if banner else ""
    report(("trawic audit: " + word) in btext, "the banner says " + word, btext[:200])
    errs = [n for n in banner.walk() if n.tag == "li"] if banner else []
    report(len(errs) == len(r.get("errors") or []), "the banner lists %d errors" % len(r.get("errors") or []),
           "got %d" % len(errs))
    for e in r.get("errors") or []:
        report(any(clean(e["message"]) in li.all_text() for li in errs), "error listed: " + e["code"])

    svg = byid.get("prob-chart")
    report(svg is not None and svg.tag == "svg", "an <svg id=prob-chart>")
    report(svg is not None and any(a.attrs.get("id") == "probabilities" for a in svg.ancestors()),
           "the chart sits in its section (nothing was re-parented)")
    bars = svg.find(lambda n: n.tag == "rect" and "bar" in n.cls()) if svg else []
    nb = min(len(with_p), MAX_BARS)
    report(len(bars) == nb, "%d bars, one per file with a probability" % nb, "got %d" % len(bars))
    members = sum(1 for i in with_p[:nb] if files[i].get("member") is True)
    report(sum(1 for b in bars if "member" in b.cls()) == members, "%d member bars" % members)
    titles = [b.find(lambda n: n.tag == "title") for b in bars]
    want = ["%s: %.3f" % (clean(files[i]["path"]), files[i]["probability"]) for i in with_p[:nb]]
    got = [ts[0].all_text() if ts else None for ts in titles]
    report(got == want, "each bar's <title> is path: probability, most likely first",
           "first mismatch %r" % next(((g, w) for g, w in zip(got, want) if g != w), None))
    report(svg is not None and len(svg.find(lambda n: n.tag == "line" and "threshold" in n.cls())) == 1,
           "the file-threshold line")

    kind = byid.get("kind-chart")
    report(kind is not None and kind.tag == "svg", "an <svg id=kind-chart>")
    names = list(KINDS)
    for f in files:
        for k in (f.get("kinds") or {}):
            if k not in names:
                names.append(k)
    groups = kind.find(lambda n: n.tag == "g" and "kind" in n.cls()) if kind else []
    report(len(groups) == len(names), "%d kinds in the kind chart" % len(names), "got %d" % len(groups))

    rows = root.find(lambda n: n.tag == "tr" and "file-row" in n.cls())
    nr = min(len(files), MAX_ROWS)
    report(len(rows) == nr, "%d file rows" % nr, "got %d" % len(rows))
    report(all(any(a.tag == "tbody" for a in row.ancestors()) and
               any(a.attrs.get("id") == "file-table" for a in row.ancestors()) for row in rows),
           "every file row is in the file table's body")
    got = [row.attrs.get("data-path") for row in rows]
    want = [clean(files[i]["path"]) for i in order[:nr]]
    report(got == want, "rows carry data-path, most likely first",
           "first mismatch %r" % next(((g, w) for g, w in zip(got, want) if g != w), None))

    arts = root.find(lambda n: n.tag == "article" and "evidence" in n.cls())
    flagged = [i for i in order if files[i].get("member") is True][:MAX_EVIDENCE_FILES]
    report(len(arts) == len(flagged), "%d member files with their evidence" % len(flagged),
           "got %d" % len(arts))
    ok = True
    for a, i in zip(arts, flagged):
        ev = files[i].get("evidence") or []
        trs = [n for n in a.find(lambda n: n.tag == "tr") if n.parent.tag == "tbody"]
        if len(trs) != len(ev):
            ok = False
        for tr, e in zip(trs, ev):
            tds = [c for c in tr.children if c.tag == "td"]
            if len(tds) != 5 or tds[0].all_text() != "%d:%d" % (e["line"], e["col"]) or \
                    tds[1].all_text() != e["kind"] or \
                    (len(e["original"]) < 1000 and tds[2].all_text() != clean(e["original"])) or \
                    (len(e["completion"]) < 1000 and tds[3].all_text() != clean(e["completion"])):
                ok = False
    report(ok, "evidence rows: line:col, kind, original and completion as in the record")

    reasons = []
    for s in r.get("skipped") or []:
        if s.get("reason") not in reasons:
            reasons.append(s.get("reason"))
    got = root.find(lambda n: n.tag == "tr" and "skip-reason" in n.cls())
    report(len(got) == min(len(reasons), 33), "skipped files: %d reasons" % len(reasons),
           "got %d" % len(got))

    bad = root.find(lambda n: n.tag in ("script", "link", "img", "iframe", "object", "embed", "base"))
    report(not bad, "no element that loads anything", ",".join(n.tag for n in bad))
    ext = [n.attrs for n in root.walk() for k in ("src", "href", "xlink:href", "action", "srcset")
           if k in n.attrs and not (n.attrs[k] or "").startswith("#")]
    report(not ext, "every href is a fragment of the page", repr(ext[:3]))

# -- the screenshot --------------------------------------------------------------
def png_rows(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("no PNG signature")
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if zlib.crc32(kind + body) != struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]:
            raise ValueError("bad CRC in chunk " + kind.decode("latin-1"))
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("PNG layout %r not handled" % (ihdr,))
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(b"".join(idat)), w * bpp
    if len(raw) != h * (stride + 1):
        raise ValueError("image data of %d bytes, not %d" % (len(raw), h * (stride + 1)))
    prev, rows = bytearray(stride), []
    # the top 800 rows (banner, facts, chart) are enough to judge; pure
    # Python unfiltering of the whole page would only cost time
    for y in range(min(h, 800)):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((x + u) & 255 for x, u in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                line[i] = (line[i] + (((line[i - bpp] if i >= bpp else 0) + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        elif f != 0:
            raise ValueError("unknown PNG filter %d" % f)
        rows.append(bytes(line)); prev = line
    return w, h, bpp, rows

def check_png(png_path, rec_path, width, height):
    r = json.load(open(rec_path, encoding="utf-8"))
    size = len(open(png_path, "rb").read())
    report(size > 20000, "screenshot is more than 20 KB", "%d bytes" % size)
    try:
        w, h, bpp, rows = png_rows(png_path)
    except (ValueError, zlib.error, struct.error, TypeError) as e:
        report(False, "screenshot is a valid PNG", str(e)); return
    report((w, h) == (int(width), int(height)), "screenshot is %sx%s" % (width, height), "%dx%d" % (w, h))
    colours = set()
    for row in rows:
        for i in range(0, len(row), bpp):
            colours.add(row[i:i + 3])
    report(len(colours) > 64, "screenshot has more than 64 colours in its top 800 rows", "%d" % len(colours))
    want = BANNER.get(headline(r))
    if want:
        px = tuple(rows[20][20 * bpp:20 * bpp + 3])
        report(all(abs(a - b) <= 4 for a, b in zip(px, want)),
               "the banner's colour is on top of the screenshot", "pixel %r want %r" % (px, want))

# -- the net log -------------------------------------------------------------------
def page_requests(netlog):
    d = json.load(open(netlog, encoding="utf-8"))
    types = {v: k for k, v in d["constants"]["logEventTypes"].items()}
    out = []
    for e in d["events"]:
        p = e.get("params") or {}
        # requests of a file:// page carry its isolation key; Chromium's own
        # background requests (update checks ...) do not
        if types.get(e["type"]) == "URL_REQUEST_START_JOB" and \
                "file://" in str(p.get("network_isolation_key", "")):
            out.append(p.get("url"))
    return out

def check_net(netlog, want_requests):
    got = page_requests(netlog)
    if want_requests == "yes":
        report(len(got) >= 1, "the net log shows a probe page's request (the check can fail)", repr(got))
    else:
        report(not got, "the page made no network request", repr(got[:3]))

# -- a record of thousands of files ---------------------------------------------------
def make_large(src, dst, n):
    r = json.load(open(src, encoding="utf-8"))
    template = r["files"][0]
    files = []
    for i in range(n):
        f = json.loads(json.dumps(template))
        f["path"] = "src/mod%04d/file_%d.py" % (i // 100, i)
        p = ((i * 7919) % 1000) / 1000.0
        if i % 50 == 7:
            f["probability"] = None; f["member"] = None; f["failed_queries"] = 1
            f["error"] = "model: timeout"; f["evidence"] = []; f["evidence_total"] = 0
        else:
            f["probability"] = p; f["member"] = p >= 0.5
            if not f["member"]:
                f["evidence"] = []; f["evidence_total"] = 0
        files.append(f)
    r["files"] = files
    r["skipped"] = [{"path": "data/blob%d.bin" % i, "reason": "binary"} for i in range(40)]
    json.dump(r, open(dst, "w", encoding="utf-8"), indent=1, ensure_ascii=False)

def check_utf8(path):
    try:
        open(path, "rb").read().decode("utf-8")
        report(True, "valid UTF-8")
    except UnicodeDecodeError as e:
        report(False, "valid UTF-8", str(e))

CHECKS = {"md": check_md, "dom": check_dom, "png": check_png, "net": check_net, "utf8": check_utf8}

if __name__ == "__main__":
    if sys.argv[1] == "large":
        make_large(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        sys.exit(0)
    # a plan: one check a line, LABEL<TAB>CHECK<TAB>ARG...; one Python for
    # all of them, as starting Python is the slowest step of this test
    for line in open(sys.argv[2], encoding="utf-8"):
        LABEL, cmd, *args = line.rstrip("\n").split("\t")
        try:
            CHECKS[cmd](*args)
        except Exception as e:
            report(False, "check %s ran" % cmd, "%s: %s" % (type(e).__name__, e))
        sys.stdout.flush()
EOF

# check CHECK ARG...: queue a check of the checker under $label; the queue
# runs at the end, in one Python (run_checks), its lines becoming TAP.
check() {
	printf '%s' "$label" >> "$T/plan"
	for a; do printf '\t%s' "$a" >> "$T/plan"; done
	echo >> "$T/plan"
}
run_checks() {
	[ -s "$T/plan" ] || return 0
	python3 "$T/check.py" plan "$T/plan" > "$T/check.out" 2> "$T/check.err" ||
		{ fail "the checker ran"; sed 's/^/#   /' "$T/check.err" | tail -5; }
	while IFS='	' read -r okay desc detail; do
		if [ "$okay" = 1 ]; then pass "$desc"
		else fail "$desc"; [ -n "$detail" ] && printf '#   %s\n' "$detail"; fi
	done < "$T/check.out"
}

# ---- rendering: `trawic report` once it works, the test driver until then --------
fixtures=
for f in "$DATA"/report/*.json "$DATA"/report-visual/*.json; do
	[ -f "$f" ] && fixtures="$fixtures $f"
done
set -- $fixtures
via_cli=0
if [ $# -gt 0 ] && "$TRAWIC" report --report "markdown=$T/probe.md" "$1" >/dev/null 2>&1 &&
	[ -s "$T/probe.md" ]; then
	via_cli=1
fi
[ "$via_cli" = 1 ] && diag "rendering with: $TRAWIC report" ||
	diag "rendering with: $RENDER (trawic report does not render yet)"

# render FORMAT RECORD OUT
render() {
	rm -f "$3"
	if [ "$via_cli" = 1 ]; then
		"$TRAWIC" report --report "$1=$3" "$2" >/dev/null 2>"$T/render.err"
	else
		"$RENDER" "$1" "$2" "$3" 2>"$T/render.err"
	fi
	[ -s "$3" ] || { sed 's/^/#   /' "$T/render.err"; return 1; }
}

ok "there are fixture records" test $# -gt 0

# ---- 1-3: goldens, Markdown, HTML as text ------------------------------------------
for rec in $fixtures; do
	name=$(basename "$rec" .json)
	label=$name
	for ext in md html; do
		fmt=markdown; [ "$ext" = html ] && fmt=html
		out=$T/$name.$ext
		if ! render "$fmt" "$rec" "$out"; then
			fail "$name: renders as $fmt"; continue
		fi
		render "$fmt" "$rec" "$out.again" && ok "$name.$ext: rendering twice gives the same bytes" \
			cmp -s "$out" "$out.again"
		if [ "${TRAWIC_UPDATE_GOLDEN:-}" = 1 ]; then
			mkdir -p "$GOLDEN" && cp "$out" "$GOLDEN/$name.$ext" &&
				pass "$name.$ext: golden regenerated"
		elif [ ! -f "$GOLDEN/$name.$ext" ]; then
			fail "$name.$ext: no golden (TRAWIC_UPDATE_GOLDEN=1 writes it)"
		elif cmp -s "$out" "$GOLDEN/$name.$ext"; then
			pass "$name.$ext: matches the golden"
		else
			fail "$name.$ext: matches the golden"
			diff -u "$GOLDEN/$name.$ext" "$out" | head -40 | sed 's/^/#   /'
		fi
	done
	[ -s "$T/$name.md" ] && check md "$T/$name.md" "$rec"
	if [ -s "$T/$name.html" ]; then
		label=$name.html
		check utf8 "$T/$name.html"
		refs=$(grep -Eoi '(src|href|action|srcset|poster|data)[[:space:]]*=[[:space:]]*["'"'"']?[[:space:]]*https?:' \
			"$T/$name.html" | head -3)
		is "$refs" "" "$name.html: no src/href to http:// or https://"
		is "$(grep -Eoi 'url\(|@import|<script|<link|<img|<iframe' "$T/$name.html" | head -3)" "" \
			"$name.html: no url(), @import, script, link, img or iframe"
		contains "$(head -c 400 "$T/$name.html")" "Content-Security-Policy" \
			"$name.html: a Content-Security-Policy forbids loading"
	fi
done

# The test driver (the renderers called directly) and `trawic report` agree.
if [ "$via_cli" = 1 ]; then
	for rec in $fixtures; do
		name=$(basename "$rec" .json)
		for fmt in markdown html; do
			ext=md; [ "$fmt" = html ] && ext=html
			"$RENDER" "$fmt" "$rec" "$T/$name.driver.$ext" 2>/dev/null
			ok "$name.$ext: the renderer called directly gives the same bytes" \
				cmp -s "$T/$name.$ext" "$T/$name.driver.$ext"
		done
	done
fi

# The renderers' contract: a record of another format is refused, with a
# message; a record of the right format with every field of the wrong type
# (or missing) still renders, to valid UTF-8 (under ASan: without a fault).
printf '{"format": "trawic-audit-result", "format_version": 2}\n' > "$T/v2.json"
for fmt in markdown html; do
	"$RENDER" $fmt "$T/v2.json" "$T/v2.out" 2>"$T/v2.err"
	is "$?" 2 "$fmt: a record of format version 2 is refused"
	contains "$(cat "$T/v2.err")" "not a trawic-audit-result record of version 1" \
		"$fmt: saying why"
done
cat > "$T/odd.json" <<'EOF2'
{"format": "trawic-audit-result", "format_version": 1, "tool": 3, "status": 5,
 "errors": [{"code": 1}, "x", null], "warnings": [7], "repository": [], "model": {"identity": 0},
 "classifier": {"cv": 1, "provenance": "p"}, "configuration": {"paths": [1, null, "a|b\n"],
 "kinds": "all", "file_threshold": "half"}, "counts": {"files_seen": "many"},
 "verdict": {"interval": "no", "confidence": null, "fraction": 1e300},
 "files": [{"path": 7, "probability": "x", "kinds": []},
           {"member": true, "probability": 2.5, "evidence": [{"line": "a"}, 3],
            "kinds": {"odd kind <b>": {"hits": 1, "total": 2}}},
           {"path": "ok.py", "probability": -1, "member": false, "kinds": {"string": 4}}, 5],
 "skipped": [{"path": null, "reason": 4}, {"path": "x", "reason": "binary"}, 2]}
EOF2
for fmt in markdown html; do
	label=odd-$fmt
	ok "$fmt: a record with fields of the wrong type still renders" \
		"$RENDER" $fmt "$T/odd.json" "$T/odd.$fmt"
	[ -s "$T/odd.$fmt" ] && check utf8 "$T/odd.$fmt"
done

# The Markdown of a path with a pipe, a backtick and a newline, literally.
if [ -s "$T/visual-included.md" ]; then
	contains "$(cat "$T/visual-included.md")" '| ``h11/a\|b `odd`.py`` |' \
		"markdown: a pipe in a path is escaped, a backtick fenced"
	contains "$(cat "$T/visual-included.md")" '`docs/line␤break.py`' \
		"markdown: a newline in a path does not break the row"
fi

# ---- 4: the pages in headless Chromium --------------------------------------------
sandbox=
[ "$(id -u)" = 0 ] && sandbox=--no-sandbox
nrun=0
# chromium ARGS... (a fresh profile each run; never waits more than 120 s)
chromium() {
	nrun=$((nrun + 1))
	timeout -k 5 120 "$CHROMIUM" --headless $sandbox --disable-gpu --no-first-run \
		--no-default-browser-check --disable-extensions --disable-sync \
		--disable-background-networking --disable-component-update \
		--user-data-dir="$T/profile.$nrun" "$@" 2>>"$T/chromium.log"
}

# browse LABEL HTML RECORD: one run dumps the DOM, takes the screenshot
# and logs the network
browse() {
	label=$1
	chromium --log-net-log="$T/net.$1.json" --hide-scrollbars --window-size=1200,2000 \
		--screenshot="$T/$1.png" --dump-dom "file://$2" > "$T/$1.dom"
	ok "$label: Chromium dumps the DOM" test -s "$T/$1.dom"
	[ -s "$T/$1.dom" ] && check dom "$T/$1.dom" "$3"
	ok "$label: Chromium takes a screenshot" test -s "$T/$1.png"
	[ -s "$T/$1.png" ] && check png "$T/$1.png" "$3" 1200 2000
	ok "$label: Chromium writes a net log" test -s "$T/net.$1.json"
	[ -s "$T/net.$1.json" ] && check net "$T/net.$1.json" no
}

have_chromium=0
[ -n "$CHROMIUM" ] && [ -x "$CHROMIUM" ] && have_chromium=1
if [ "$have_chromium" = 0 ]; then
	fail "headless Chromium: chromium is not installed (Debian: apt-get install chromium)"
else
	diag "$("$CHROMIUM" --version 2>/dev/null)"
	# the net-log check must be able to fail: a page that loads two things
	printf '<!DOCTYPE html><title>probe</title><img src="http://probe.invalid/x.png">%s\n' \
		'<p style="background:url(https://probe.invalid/y.png)">probe</p>' > "$T/probe.html"
	chromium --log-net-log="$T/net.probe.json" --dump-dom "file://$T/probe.html" >/dev/null
	label=probe
	check net "$T/net.probe.json" yes
	for rec in $fixtures; do
		name=$(basename "$rec" .json)
		[ -s "$T/$name.html" ] && browse "$name" "$T/$name.html" "$rec"
	done
fi

# ---- 5: thousands of files ----------------------------------------------------------
label=large
python3 "$T/check.py" large "$DATA/report-visual/visual-included.json" "$T/large.json" 3000
if render html "$T/large.json" "$T/large.html" && render markdown "$T/large.json" "$T/large.md"
then
	page=$(cat "$T/large.html")
	contains "$page" "the 1000 most likely of 2940 files with a probability" \
		"large: the chart says it stops at 1000 bars"
	contains "$page" "The table shows the 1000 most likely of 3000 files" \
		"large: the table says it stops at 1000 rows"
	contains "$page" "The 50 most likely of " "large: the evidence says it stops at 50 files"
	check md "$T/large.md" "$T/large.json"
	[ "$have_chromium" = 1 ] && browse large "$T/large.html" "$T/large.json"
else
	fail "large: renders"
fi

run_checks
if [ "$_tap_fail" != 0 ] && [ -s "$T/chromium.log" ]; then
	diag "chromium's stderr (last lines):"
	grep -v -e dbus -e 'unexpected operator' "$T/chromium.log" | tail -5 | sed 's/^/#   /'
fi
finish
