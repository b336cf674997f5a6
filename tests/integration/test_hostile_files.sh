# Hostile-input battery: hostile file names, links and forged archives.
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"

# Files: hostile names refused, links never followed on the host, forged archives contained.

test_hostile_file_names_refused_cli() {
  scratch
  echo data >"$SCRATCH/f"
  long=$(head -c 4100 /dev/zero | tr '\0' a)
  for name in ../x ../../etc/cron.d/x /etc/x /workspace/../x a/../../x 'a\b' "$long" "d/$long" . a/./b a//b; do
    out=$("$ORCH" run --json -f "$SCRATCH/f:$name" -c 'print(1)' 2>&1)
    rc=$?
    [ "$rc" = 125 ] || fail "--file name '${name:0:40}' was accepted (rc $rc): ${out:0:200}"
    assert_contains "$out" "orch: error:"
  done
  # positive control: a nested relative name works
  out=$("$ORCH" run -f "$SCRATCH/f:in/f.txt" -c 'import os; print(open("in/f.txt").read().strip(), os.getcwd())')
  assert_eq "data /workspace" "$out"
}

test_hostile_file_names_refused_server() {
  scratch
  start_server
  long=$(head -c 4100 /dev/zero | tr '\0' a)
  for name in ../x /etc/x a/../../x 'a\\\\b' '' 'a\u0000b' "$long" '.' '..'; do
    r=$(post /v1/run "{\"code\":\"print(1)\",\"files\":[{\"name\":\"$name\",\"content\":\"x\"}]}")
    assert_eq 400 "$(status_of "$r")" "files[] name '${name:0:40}'"
    r=$(post /v1/run "{\"code\":\"print(1)\",\"files\":{\"$name\":\"x\"}}")
    assert_eq 400 "$(status_of "$r")" "files{} name '${name:0:40}'"
  done
  # Piston: the first file is the program; its name only picks the language, it is never a path
  r=$(post /api/v2/execute '{"language":"python","version":"*","files":[{"name":"../../x.py","content":"import os; print(sorted(os.listdir()))"}]}')
  assert_eq 200 "$(status_of "$r")" "piston entry file name"
  assert_eq "['main.py']" "$(json_get "$(body_of "$r")" run.stdout | tr -d '\n')"
  r=$(post /v1/run '{"code":"print(open(\"in/x.txt\").read())","files":[{"name":"in/x.txt","content":"ok"}]}')
  assert_eq ok "$(json_get "$(body_of "$r")" stdout | tr -d '\n')" "control"
  assert_eq 0 "$(containers_of_pid "$SERVER_PID")"
}

case_out_links() {
  local res=$SCRATCH/res.$MODE
  mkdir -p "$SCRATCH/victim"
  echo untouched >"$SCRATCH/victim/keep"
  hrun --out "$res" -l bash -c 'mkdir -p out/sub
ln -s / out/root; ln -s /etc out/etc; ln -s ../../../../../../.. out/up; ln -s /etc/passwd out/sub/pw
ln /etc/passwd out/hard_etc 2>/dev/null || echo no-hardlink-to-etc
echo inside > secret_in_ws; ln secret_in_ws out/hard_ws
echo real > out/real.txt; ln out/real.txt out/sub/real_again'
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_contains "$(jf stdout)" no-hardlink-to-etc
  assert_eq real "$(cat "$res/real.txt")"
  assert_eq real "$(cat "$res/sub/real_again")" "[$MODE] a hard link within out is a copy"
  assert_eq inside "$(cat "$res/hard_ws")" "[$MODE] a hard link to /workspace is a copy of sandbox data"
  [ -z "$(find "$res" -type l)" ] || fail "[$MODE] a symlink came out: $(find "$res" -type l)"
  for p in root etc up sub/pw hard_etc; do [ ! -e "$res/$p" ] || fail "[$MODE] $p came out"; done
  assert_eq untouched "$(cat "$SCRATCH/victim/keep")"
}
test_out_symlinks_and_hard_links() { both case_out_links; }

case_out_symlink_swap() {
  # A loop swaps out/f between a file and a link to /etc while tar collects /workspace/out.
  local res=$SCRATCH/swap.$MODE
  hrun --timeout 30 --out "$res" -l bash -c 'mkdir -p out
for i in $(seq 200); do echo "data $i" > out/f$i; done
( while :; do rm -rf out/f1 out/d; ln -s /etc out/f1; ln -s / out/d; rm -f out/f1 out/d; echo again > out/f1; mkdir -p out/d; echo x > out/d/x; done ) &
sleep 1; echo done'
  assert_eq ok "$STATUS" "[$MODE] status"
  [ -z "$(find "$res" -type l)" ] || fail "[$MODE] a symlink came out"
  [ ! -e "$res/f1/passwd" ] && [ ! -e "$res/d/etc" ] || fail "[$MODE] a swapped link was followed"
  assert_eq "data 7" "$(cat "$res/f7")"
}
test_out_symlink_swapped_during_copy() { both case_out_symlink_swap; }

FORGE_PROG='
import io, os, signal, sys, tarfile
here, kind = sys.argv[1].lstrip("/"), sys.argv[2]
marker = open(f"/proc/{os.getppid()}/cmdline", "rb").read().split(b"\0")[4]
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT)
def add(name, data=b"x", kind=tarfile.REGTYPE, link=""):
    # the boot shell archives workspace/out/...; absolute names and foreign hard-link targets stay as given
    name = name if name.startswith("/") else "workspace/out/" + name
    link = "workspace/out/" + link if kind == tarfile.LNKTYPE and link == "ok.txt" else link
    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link; i.size = len(data) if kind == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
if kind == "clash":  # names that clash with each other or that no host should write
    add("ok.txt", b"fine"); add("x", b"file"); add("x/y"); add("."); add("dup", b"first"); add("dup", b"second")
    add("d/f"); add("d"); add(".git/config", b"[core]"); add("a\\b.txt"); add("last.txt", b"last")
else:
    add("../escape/up.txt"); add(f"/{here}/victim/abs.txt"); add("ok.txt", b"fine")
    add("lnk", kind=tarfile.SYMTYPE, link=f"/{here}/victim"); add("lnk/through.txt")
    add("hl", kind=tarfile.LNKTYPE, link="/etc/passwd"); add("hl2", kind=tarfile.LNKTYPE, link="../escape/up.txt")
    add("hl3", kind=tarfile.LNKTYPE, link="ok.txt"); add("dev", kind=tarfile.CHRTYPE); add("a\\b.txt")
end = t.offset  # before the zero blocks that close the archive
t.close()
data = buf.getvalue()
if kind == "bomb":  # a last header that claims 8 GiB
    h = bytearray(512); h[0:4] = b"bomb"; h[100:108] = b"0000644\0"; h[124:136] = b"77777777777\0"; h[156:157] = b"0"
    h[257:263] = b"ustar\0"; h[148:156] = b" " * 8; h[148:155] = b"%06o\0" % sum(h)
    data = data[:end] + bytes(h)
sys.stdout.buffer.write(marker + data); sys.stdout.flush()
os.kill(os.getppid(), signal.SIGKILL)'

case_forged_out_archive() {
  # The program learns the run's random marker from its parent's command line, prints it with an
  # archive of its own (escapes, absolute paths, links, devices) and kills the parent so the real
  # archive never follows. The forged entries are parsed like any other and must be contained.
  local res=$SCRATCH/forged.$MODE
  rm -rf "$SCRATCH/escape" "$SCRATCH/victim" "$res"
  mkdir -p "$SCRATCH/victim"
  hrun --timeout 30 --out "$res" -c "$FORGE_PROG" --arg "$SCRATCH" --arg plain
  assert_eq fine "$(cat "$res/ok.txt")" "[$MODE] control: the forged archive was read"
  assert_eq "a\\b.txt:the name holds a backslash dev:not a regular file hl:a hard link to a file that is not returned lnk:a symbolic link" \
    "$(skipped | grep -E '^(a.b.txt|dev|hl|lnk):' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')" "[$MODE] each dropped entry is reported"
  assert_eq fine "$(cat "$res/hl3")" "[$MODE] a hard link to an entry in the archive is a copy"
  [ ! -e "$SCRATCH/escape" ] || fail "[$MODE] an entry escaped --out"
  [ -z "$(ls -A "$SCRATCH/victim")" ] || fail "[$MODE] something was written through a link: $(ls -A "$SCRATCH/victim")"
  [ -z "$(find "$res" -type l -o -type c)" ] || fail "[$MODE] a link or device came out"
  for p in hl hl2 dev 'a\b.txt' abs.txt; do [ ! -e "$res/$p" ] || fail "[$MODE] $p came out"; done
  [ "$(find "$res" -type f | wc -l)" = 3 ] || fail "[$MODE] unexpected files: $(find "$res" -type f)"  # ok.txt hl3 lnk/through.txt (a real dir)
  # the same with a header that claims 8 GiB: nothing is saved, the loss is flagged
  rm -rf "$res"
  hrun --timeout 30 --out "$res" -c "$FORGE_PROG" --arg "$SCRATCH" --arg bomb
  assert_eq true "$(jf artifacts_truncated)" "[$MODE] a cut archive is flagged"
  [ ! -e "$SCRATCH/escape" ] && [ -z "$(ls -A "$SCRATCH/victim")" ] || fail "[$MODE] the bomb archive wrote outside --out"
  # entries before the cut are kept, and the cut entry is named
  assert_eq fine "$(cat "$res/ok.txt")" "[$MODE] an entry before the cut was lost"
  assert_contains "$(skipped)" "bomb:the archive of the returned files ended early"
}
test_forged_out_archive_is_contained() { both case_forged_out_archive; }

# "PATH:REASON" per file the last run did not save.
skipped() { "$PY" -c 'import json,sys; [print(a["path"] + ":" + a["reason"]) for a in json.load(open(sys.argv[1]))["artifacts_skipped"]]' "$OUT_FILE"; }

case_out_clashing_entries() {
  # Entries that cannot all be files (x then x/y, d/f then d, ".", a name twice) and names no host
  # should write: the run's result still comes back, with every file saved or reported.
  local res=$SCRATCH/clash.$MODE
  rm -rf "$res"
  hrun --timeout 30 --out "$res" -c "$FORGE_PROG" --arg "$SCRATCH" --arg clash
  assert_eq 137 "$RC" "[$MODE] the program's own exit code (it killed its shell)"
  assert_eq "finefilefirstlast" "$(cat "$res/ok.txt" "$res/x" "$res/dup" "$res/last.txt")"
  assert_eq x "$(cat "$res/d/f")"
  assert_eq ".:'.' component
.git/config:a path into .git
a\\b.txt:the name holds a backslash
d:a directory of that name holds other files
dup:a second entry with the same name
x/y:'x' is a file, not a directory" "$(skipped | LC_ALL=C sort)" "[$MODE] every file not saved is reported"
  [ ! -e "$res/.git" ] || fail "[$MODE] .git was written"
  assert_eq false "$(jf artifacts_truncated)"
}
test_out_clashing_entries_are_reported() { both case_out_clashing_entries; }

case_out_over_the_cap() {
  # Sparse files cost the sandbox nothing but are 80 MiB and 1 TiB in the archive, past the 64 MiB
  # cap: the small files still come back, the big ones are named, and neither is streamed (the
  # 1 TiB one took the run to its timeout).
  local res=$SCRATCH/cap.$MODE t0=$SECONDS
  hrun --timeout 30 --out "$res" -l bash -c 'mkdir -p out/d; echo a > out/a.txt; truncate -s 80M out/big.bin; truncate -s 1T out/d/huge.bin; echo y > out/d/y; echo z > out/z.txt'
  assert_eq ok "$STATUS" "[$MODE] status"
  [ $((SECONDS - t0)) -lt 20 ] || fail "[$MODE] the run took $((SECONDS - t0)) s"
  assert_contains "$(skipped)" "d/huge.bin:past the 64 MiB limit for all files returned"
  assert_eq "a y z" "$(cat "$res/a.txt" "$res/d/y" "$res/z.txt" | tr '\n' ' ' | sed 's/ $//')" "[$MODE] the small files were lost"
  [ ! -e "$res/big.bin" ] || fail "[$MODE] a partial big.bin was written"
  assert_contains "$(skipped)" "big.bin:past the 64 MiB limit for all files returned"
  assert_eq true "$(jf artifacts_truncated)"
  assert_contains "$(cat "$SCRATCH/err$HRUN_N")" "orch: not saved: big.bin: past the 64 MiB limit"
}
test_out_entry_over_the_cap_keeps_the_others() { both case_out_over_the_cap; }

case_out_into_a_work_tree() {
  # The sandbox writes git configuration that would run its command on the next `git status`.
  local wt=$SCRATCH/wt.$MODE payload
  git init -q "$wt" && echo tracked >"$wt/README" && git -C "$wt" add README
  cp "$wt/.git/config" "$SCRATCH/config.orig"
  payload="[core]
	fsmonitor = \"touch $SCRATCH/pwned.$MODE; false\""
  # control: the payload does run a command when it lands in .git/config
  git init -q "$SCRATCH/control" && printf '%s\n' "$payload" >>"$SCRATCH/control/.git/config"
  git -C "$SCRATCH/control" status >/dev/null 2>&1
  [ -e "$SCRATCH/pwned.$MODE" ] || fail "control: the fsmonitor payload did not run"
  rm -f "$SCRATCH/pwned.$MODE"
  local prog='mkdir -p out/.git out/sub/.GIT out/Git~1; printf "%s\n" "$1" > out/.git/config; cp out/.git/config out/sub/.GIT/config
cp out/.git/config out/Git~1/config; echo new > out/README; echo fresh > out/results.txt'
  # at the top of the work tree: refused before anything runs
  out=$("$ORCH" run --out "$wt" -l bash --arg "$payload" -c "$prog" 2>&1)
  assert_eq 125 "$?" "[$MODE] --out at a work tree's top"
  assert_contains "$out" "it is the top of a git work tree (--out-force writes there anyway)"
  [ ! -e "$wt/results.txt" ] || fail "[$MODE] it ran anyway"
  # forced: the program runs, .git and existing files are left alone and reported
  hrun --out "$wt" --out-force -l bash --arg "$payload" -c "$prog"
  assert_eq ok "$STATUS" "[$MODE] status"
  assert_eq fresh "$(cat "$wt/results.txt")"
  assert_eq tracked "$(cat "$wt/README")" "[$MODE] an existing file was overwritten"
  cmp -s "$SCRATCH/config.orig" "$wt/.git/config" || fail "[$MODE] .git/config changed"
  assert_eq ".git/config:a path into .git
Git~1/config:a path into .git
README:a file of that name already exists
sub/.GIT/config:a path into .git" "$(skipped | LC_ALL=C sort)"
  git -C "$wt" status >/dev/null 2>&1
  [ ! -e "$SCRATCH/pwned.$MODE" ] || fail "[$MODE] git status ran the sandbox's command"
  # --out-overwrite replaces what is there
  hrun --out "$wt" --out-force --out-overwrite -l bash --arg "$payload" -c "$prog"
  assert_eq new "$(cat "$wt/README")" "[$MODE] --out-overwrite"
  cmp -s "$SCRATCH/config.orig" "$wt/.git/config" || fail "[$MODE] .git/config changed with --out-overwrite"
}
test_out_never_writes_git_or_existing_files() { both case_out_into_a_work_tree; }

case_out_links_already_in_the_directory() {
  # The user's own links inside --out DIR are never followed by a path from the sandbox.
  local res=$SCRATCH/links.$MODE
  rm -rf "$SCRATCH/victim" "$res" && mkdir -p "$SCRATCH/victim" "$res/a"
  ln -s "$SCRATCH/victim" "$res/victim"
  ln -s "$SCRATCH/victim" "$res/a/deep"
  ln -s "$SCRATCH/victim/file" "$res/lnk"
  hrun --out "$res" --out-overwrite -l bash -c 'mkdir -p out/victim/x out/a/deep
echo p > out/victim/pwned.txt; echo p > out/victim/x/y; echo p > out/a/deep/pwned.txt; echo ours > out/lnk; echo ok > out/ok.txt'
  assert_eq ok "$STATUS" "[$MODE] status"
  [ -z "$(ls -A "$SCRATCH/victim")" ] || fail "[$MODE] written through a link: $(ls -A "$SCRATCH/victim")"
  assert_eq ok "$(cat "$res/ok.txt")"
  assert_eq "a/deep/pwned.txt:'a/deep' is a symbolic link, not a directory
lnk:'lnk' is a symbolic link
victim/pwned.txt:'victim' is a symbolic link, not a directory
victim/x/y:'victim' is a symbolic link, not a directory" "$(skipped | LC_ALL=C sort)"
}
test_out_links_in_the_directory_are_not_followed() { both case_out_links_already_in_the_directory; }

test_session_hostile_paths() {
  scratch
  S=$("$ORCH" session create -t bash) || fail "session create"
  trap '"$ORCH" session rm "$S" >/dev/null 2>&1; rm -rf "$SCRATCH"' EXIT
  echo payload >"$SCRATCH/f"
  long=$(head -c 4100 /dev/zero | tr '\0' a)
  # (an empty upload name means the local file's name, as cp does)
  "$ORCH" session download "$S" "" "$SCRATCH/got" 2>/dev/null && fail "download of '' was allowed"
  for p in "$long" "d/$long" "$(head -c 300 /dev/zero | tr '\0' b)"; do
    out=$("$ORCH" session upload "$S" "$SCRATCH/f" "$p" 2>&1) && fail "upload to '${p:0:40}' was allowed"
    assert_contains "$out" "orch: error:"
    "$ORCH" session download "$S" "$p" "$SCRATCH/got" 2>/dev/null && fail "download of '${p:0:40}' was allowed"
  done
  # backslashes are ordinary name bytes inside the sandbox: the file stays in /workspace
  "$ORCH" session upload "$S" "$SCRATCH/f" 'a\..\..\b' || fail "upload with backslashes"
  assert_eq 'a\..\..\b' "$("$ORCH" session exec "$S" -c 'ls /workspace')"
  # a link swapped while files move: the host gets bytes or a refusal, never a write elsewhere
  "$ORCH" session exec "$S" -c 'echo inside > real; ( while :; do ln -sfn /etc/passwd f; ln -sfn /etc f; rm -f f; cp real f; sleep 0.02; done ) >/dev/null 2>&1 &' ||
    fail "swap loop"
  mkdir -p "$SCRATCH/dl"
  for i in $(seq 30); do
    "$ORCH" session download "$S" f "$SCRATCH/dl/f$i" 2>/dev/null
    if [ $((i % 5)) = 0 ]; then
      "$ORCH" session upload "$S" "$SCRATCH/f" f 2>/dev/null
      "$ORCH" session upload "$S" "$SCRATCH/f" f/x 2>/dev/null
    fi
  done
  # The download helper checks what it opened: a link swapped in after the path was resolved leads
  # off /workspace's filesystem and is refused, so only the sandbox's own bytes come back.
  local fetched=0
  for got in "$SCRATCH"/dl/*; do
    [ -e "$got" ] || continue
    case "$(cat "$got")" in inside|payload) fetched=$((fetched + 1));; *) fail "a download returned bytes from outside /workspace: $(head -c 80 "$got")";; esac
  done
  [ "$fetched" -gt 0 ] || fail "no download got through the swap loop: the test saw nothing"
  [ -z "$(find "$SCRATCH/dl" -type l)" ] || fail "a download made a link"
  assert_eq payload "$(cat "$SCRATCH/f")"
}


case_session_local_writes() {
  # `session download` and `session exec --out` write on the host through the same writer as --out.
  local S dl=$SCRATCH/dl.$MODE figs=$SCRATCH/figs.$MODE
  S=$("$ORCH" session create -t python) || fail "[$MODE] session create"
  echo "\"$ORCH\" session rm $S >/dev/null 2>&1" >>"$SCRATCH/cleanup"
  "$ORCH" session exec "$S" -c 'open("f.txt", "w").write("from the sandbox")' || fail "[$MODE] exec"
  rm -rf "$SCRATCH/victim" && mkdir -p "$SCRATCH/victim" "$dl" && echo theirs >"$SCRATCH/victim/target"
  ln -s "$SCRATCH/victim/target" "$dl/f.txt"
  out=$("$ORCH" session download "$S" f.txt "$dl/f.txt" 2>&1) && fail "[$MODE] a download went through a link"
  assert_contains "$out" "is a symbolic link"
  assert_eq theirs "$(cat "$SCRATCH/victim/target")" "[$MODE] the download wrote through a link"
  echo old >"$dl/g.txt" && ln "$dl/g.txt" "$SCRATCH/victim/hard"
  "$ORCH" session download "$S" f.txt "$dl/g.txt" || fail "[$MODE] download over a file"
  assert_eq "from the sandbox" "$(cat "$dl/g.txt")"
  assert_eq old "$(cat "$SCRATCH/victim/hard")" "[$MODE] the download wrote into a hard link's data"
  out=$("$ORCH" session download "$S" f.txt "$dl/.git" 2>&1) && fail "[$MODE] a download named .git was written"
  assert_contains "$out" "a path into .git"
  # figures: a taken name gets a new one, a work tree's top is refused
  local plot='class P:
    def _repr_png_(self): return b"\x89PNG not really"
display(P())'
  mkdir -p "$figs" && echo mine >"$figs/output-1.png"
  "$ORCH" session exec "$S" --out "$figs" -c "$plot" 2>"$SCRATCH/figs.err" || fail "[$MODE] display: $(cat "$SCRATCH/figs.err")"
  assert_eq mine "$(cat "$figs/output-1.png")" "[$MODE] a figure replaced a file"
  assert_contains "$(cat "$figs/output-1-2.png")" "PNG not really" "[$MODE] the figure beside it"
  assert_contains "$(cat "$SCRATCH/figs.err")" "saved $figs/output-1-2.png"
  git init -q "$figs"
  out=$("$ORCH" session exec "$S" --out "$figs" -c 'print(1)' 2>&1) && fail "[$MODE] --out at a work tree's top was accepted"
  assert_contains "$out" "top of a git work tree"
  "$ORCH" session rm "$S" >/dev/null
}
test_session_local_writes_never_follow_links() {
  scratch
  trap 'bash "$SCRATCH/cleanup" 2>/dev/null; stop_server' EXIT
  MODE=cli
  case_session_local_writes
  start_server
  trap 'bash "$SCRATCH/cleanup" 2>/dev/null; stop_server' EXIT
  export ORCH_HOST=$BASE MODE=serve
  case_session_local_writes
}
