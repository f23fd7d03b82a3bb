# Sourced by the hooks: the local admin endpoint and small helpers around it.
admin=${DUET_ADMIN:-http://127.0.0.1:9443}
# The file the server's admin-token-file setting names: POST /drain must carry its token.
admin_token_file=${DUET_ADMIN_TOKEN_FILE:-/etc/duet/admin-token}

admin_token() {
  head -n 1 "$admin_token_file" | tr -d '[:space:]'
}

# The value of a numeric or boolean field of /status (flat JSON), e.g. status_field connections
status_field() {
  curl -fsS --max-time 5 "$admin/status" | grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2
}
