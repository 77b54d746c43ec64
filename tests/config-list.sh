#!/bin/sh
# config-list.sh - `trawic config`: the effective configuration of real
# files at every level (system < user < a repository's .trawic < the
# [trawic] section of its .git/config < --config), --list --show-origin
# naming the file and line of each value, a single KEY (exit 1 when
# unset), a bad value or an unknown key naming file, line and key (exit
# 2), a committed .trawic refused a key that names an endpoint or a file,
# and a URL spec that adds no repository level.
. "$top_srcdir/tests/lib.sh"

export TRAWIC_SYSTEM_CONFIG="$T/system"
mkdir -p "$XDG_CONFIG_HOME/trawic"
user="$XDG_CONFIG_HOME/trawic/config"
tab=$(printf '\t')

cat > "$T/system" <<'CFG'
# the system file
[audit]
	threshold = 0.1
	kinds = string,comment
	fail-on = never
[daemon]
	workers = 2
CFG
cat > "$user" <<'CFG'
[audit]
	threshold = 0.2
	fail-on = inconclusive
[model "local"]
	backend = llamacpp
	endpoint = http://127.0.0.1:1
	endpoint = http://127.0.0.1:2
CFG
git init -q "$T/repo"
cat > "$T/repo/.trawic" <<'CFG'
[audit]
	threshold = 0.3
	semantic-threshold = 70
	paths = src/**
	paths = *.py
CFG
git -C "$T/repo" config trawic.audit.threshold 0.4
git -C "$T/repo" config trawic.model local
gitcfg="$T/repo/.git/config"
gl() { grep -n "$1" "$gitcfg" | cut -d: -f1; }	# the line git wrote it on
cat > "$T/extra" <<'CFG'
[report]
	max-evidence = 5

[audit] file-threshold = 0.9
CFG

"$TRAWIC" config --list --show-origin --repo "$T/repo" --config "$T/extra" > "$T/out" 2> "$T/err"
is "$?" 0 "--list --show-origin: exit 0"
cat > "$T/want" <<WANT
file:$T/system:4${tab}audit.kinds=string,comment
file:$T/system:7${tab}daemon.workers=2
file:$user:3${tab}audit.fail-on=inconclusive
file:$user:5${tab}model.local.backend=llamacpp
file:$user:6${tab}model.local.endpoint=http://127.0.0.1:1
file:$user:7${tab}model.local.endpoint=http://127.0.0.1:2
file:$T/repo/.trawic:3${tab}audit.semantic-threshold=70
file:$T/repo/.trawic:4${tab}audit.paths=src/**
file:$T/repo/.trawic:5${tab}audit.paths=*.py
file:$gitcfg:$(gl 'threshold = 0.4')${tab}audit.threshold=0.4
file:$gitcfg:$(gl 'model = local')${tab}audit.model=local
file:$T/extra:2${tab}report.max-evidence=5
file:$T/extra:4${tab}audit.file-threshold=0.9
WANT
ok "every effective value, once, with its file and line" cmp -s "$T/out" "$T/want"
diff "$T/want" "$T/out" | sed 's/^/# /'

"$TRAWIC" config --list --repo "$T/repo" > "$T/plain"
is "$?" 0 "--list without origins: exit 0"
is "$(grep -c '^audit.threshold=0.4$' "$T/plain")" 1 \
	"key=value lines; the repository's git config wins"

# one key
is "$("$TRAWIC" config audit.threshold)" 0.2 "KEY: the user's value over the system's"
is "$("$TRAWIC" config --repo "$T/repo" audit.threshold)" 0.4 \
	"KEY: [trawic] in .git/config over .trawic"
is "$("$TRAWIC" config --repo "$T/repo" --config "$T/extra" Audit.File-Threshold)" 0.9 \
	"KEY: --config over all; names are case-insensitive"
git -C "$T/repo" config --unset trawic.audit.threshold
is "$("$TRAWIC" config --repo "$T/repo" audit.threshold)" 0.3 "KEY: .trawic over the user file"
is "$("$TRAWIC" config --show-origin --repo "$T/repo" audit.threshold)" \
	"file:$T/repo/.trawic:2${tab}0.3" "KEY --show-origin"
"$TRAWIC" config audit.cache > "$T/unset" 2>&1
is "$?" 1 "an unset KEY: exit 1"
is "$(cat "$T/unset")" "" "and nothing printed"

# a URL adds no repository level
is "$("$TRAWIC" config --repo https://example.invalid/r.git audit.threshold)" 0.2 \
	"a URL spec adds no repository level"

# bad values name file, line and key
bad() { # DESC LINE... -> $T/bad: a comment, then the lines (the last is line 3)
	d=$1; shift
	printf '# a bad file\n' > "$T/bad"
	for l in "$@"; do printf '%s\n' "$l" >> "$T/bad"; done
	"$TRAWIC" config --list --config "$T/bad" > /dev/null 2> "$T/bad.err"
	is "$?" 2 "$d: exit 2"
}
bad "a threshold above 1" "[audit]" "	threshold = 1.5"
contains "$(cat "$T/bad.err")" \
	"$T/bad:3: audit.threshold: '1.5' is not a number from 0 to 1" \
	"the message names file, line, key and value"
bad "fail-on = sometimes" "[audit]" "	fail-on = sometimes"
contains "$(cat "$T/bad.err")" \
	"$T/bad:3: audit.fail-on: 'sometimes' is not included, inconclusive or never" \
	"fail-on: the message names file, line and key"
bad "a size with a bad suffix" "[audit]" "	max-file-size = 12Q"
contains "$(cat "$T/bad.err")" "$T/bad:3: audit.max-file-size: '12Q' is not a size" \
	"max-file-size: the message names file, line and key"
bad "an unknown key in [audit]" "[audit]" "	treshold = 0.5"
contains "$(cat "$T/bad.err")" "$T/bad:3: audit.treshold: unknown key in [audit]" \
	"the message names the unknown key"
bad "an unknown key in a model section" "[model \"x\"]" "	endpiont = http://a"
contains "$(cat "$T/bad.err")" "$T/bad:3: model.x.endpiont: unknown key" \
	"the message names model.x.endpiont"
"$TRAWIC" config --config "$T/bad" audit.threshold > /dev/null 2>&1
is "$?" 2 "KEY: a bad file is an error too"
printf '[audit]\n\tthreshold = 0.5\n[audit\n' > "$T/bad"
"$TRAWIC" config --list --config "$T/bad" > /dev/null 2> "$T/bad.err"
is "$?" 2 "a syntax error: exit 2"
contains "$(cat "$T/bad.err")" "$T/bad:3" "a syntax error names the file and line"
cp "$user" "$T/user.saved"
printf '[daemon]\n\tworkers = 0\n' >> "$user"
"$TRAWIC" config --list > /dev/null 2> "$T/bad.err"
is "$?" 2 "a bad value in the user file: exit 2"
contains "$(cat "$T/bad.err")" "$user:9: daemon.workers: '0' is not an integer from 1" \
	"the message names the user file"
cp "$T/user.saved" "$user"

# a committed .trawic may not point the audit at an endpoint or a file
printf '[audit]\n\tthreshold = 0.3\n[model "local"]\n\tendpoint = http://evil.invalid\n' \
	> "$T/repo/.trawic"
"$TRAWIC" config --list --repo "$T/repo" > /dev/null 2> "$T/dot.err"
is "$?" 2 ".trawic naming an endpoint: exit 2"
contains "$(cat "$T/dot.err")" \
	"$T/repo/.trawic:4: model.local.endpoint: not allowed in a repository's .trawic" \
	"the message names the file, line and key"
printf '[audit]\n\tclassifier = /etc/passwd\n' > "$T/repo/.trawic"
"$TRAWIC" config --list --repo "$T/repo" > /dev/null 2> "$T/dot.err"
contains "$(cat "$T/dot.err")" ".trawic:2: audit.classifier: not allowed" \
	".trawic naming a local file: refused"
git -C "$T/repo" config trawic.audit.classifier "$T/c.json"
rm "$T/repo/.trawic"
is "$("$TRAWIC" config --repo "$T/repo" audit.classifier)" "$T/c.json" \
	"the same key from the repository's own git config is taken"

# usage
"$TRAWIC" config > /dev/null 2>&1
is "$?" 2 "neither --list nor KEY: exit 2"
"$TRAWIC" config --help | grep -q -- --show-origin
is "$?" 0 "--help lists --show-origin"

finish
