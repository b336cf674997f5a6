# Reads its parameters from the environment, as the tool runs of that API do, and answers JSON.
echo "extracting $FILE" >&2
[ -n "$SLEEP" ] && { echo "sleeping $SLEEP"; sleep "$SLEEP"; }
printf '{"tool": "%s", "file": "%s", "session": "%s", "cwd": "%s", "uid": %s}\n' "$TOOL_NAME" "$FILE" "$SESSION_ID" "$(pwd)" "$(id -u)"
