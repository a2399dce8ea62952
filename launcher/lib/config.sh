# shellcheck shell=bash
# What the instance is given, read: the user-data line, the SSM prefix baked into the image and the
# run configuration (JSON). Text in, text out, the reason on stderr when a value is not usable; no
# logging, no AWS. Sourced by first-boot (and the bats tests), never run.

# The CLI's project-name rule (dev.amipipeline.project.Project.NAME; a unit test keeps them equal).
PROJECT_PATTERN='^[a-z0-9][a-z0-9-]{0,38}$'
# Run ids: <project>-<UTC yyyyMMdd-HHmmss>-<4 hex> (ami launch), or the instance id of an instance
# started by hand.
RUN_ID_PATTERN='^[a-z0-9][a-z0-9-]{0,38}-[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$'
INSTANCE_ID_PATTERN='^i-[0-9a-f]{8,17}$'

# user_data_project FILE: the project of the user-data's first AMI_PROJECT=<name> line (CRLF line
# ends too). Returns 1 with the reason on stderr when there is no such line or the name is not one.
user_data_project() {
  local file="$1" line name
  line="$(tr -d '\r' <"$file" | grep -a -m 1 -E '^AMI_PROJECT=' || true)"
  if [[ -z "$line" ]]; then
    echo "the user-data ($(wc -c <"$file") bytes) has no AMI_PROJECT=<name> line: not started by ami launch" >&2
    return 1
  fi
  name="${line#AMI_PROJECT=}"
  if [[ ! "$name" =~ $PROJECT_PATTERN ]]; then
    echo "AMI_PROJECT='${name:0:60}' is not a project name ($PROJECT_PATTERN)" >&2
    return 1
  fi
  printf '%s\n' "$name"
}

# ssm_prefix_in ENV_FILE: the SSM prefix the bake wrote there (the last AMI_SSM_PREFIX=/<path>
# line), without a trailing slash. Returns 1 with the reason on stderr.
ssm_prefix_in() {
  local file="$1" prefix
  if [[ ! -r "$file" ]]; then
    echo "$file is missing: this image was not baked by ami bake" >&2
    return 1
  fi
  prefix="$(sed -n 's/^AMI_SSM_PREFIX=//p' "$file" | tail -n 1)"
  if [[ "$prefix" != /* ]]; then
    echo "$file has no AMI_SSM_PREFIX=/<path> line" >&2
    return 1
  fi
  printf '%s\n' "${prefix%/}"
}

# is_json_object TEXT: true when TEXT is one JSON object.
is_json_object() {
  jq -e 'type == "object"' >/dev/null 2>&1 <<<"$1"
}

# config_field CONFIG KEY: the run configuration's field as text ("" when absent or null).
config_field() {
  jq -r --arg k "$2" 'if .[$k] == null then "" else .[$k] | tostring end' <<<"$1"
}

# config_seconds CONFIG FIELD DEFAULT_MINUTES: a field given in minutes, in seconds (DEFAULT_MINUTES
# when absent). Whole minutes in the contract; a fraction is honoured too (rounded down to the
# second). Returns 1 when it is not a number ≥ 0.
config_seconds() {
  local seconds
  seconds="$(jq -r --arg k "$2" --argjson d "$3" '(.[$k] // $d) * 60 | floor' <<<"$1" 2>/dev/null)" || return 1
  [[ "$seconds" =~ ^[0-9]+$ ]] || return 1
  printf '%s\n' "$seconds"
}

# config_nodes_wait_seconds CONFIG: how long the nodes of a multi-node run wait for each other
# (nodes.waitSeconds, default 600). Returns 1 when it is not a whole number of seconds ≥ 0.
config_nodes_wait_seconds() {
  local seconds
  seconds="$(jq -r '(.nodes.waitSeconds // 600) | tostring' <<<"$1" 2>/dev/null)" || return 1
  [[ "$seconds" =~ ^[0-9]+$ ]] || return 1
  printf '%s\n' "$seconds"
}

# config_checkpoint CONFIG LOG_URI: the checkpoint settings, one a line: the folder, the S3 URI its
# copies go under (default LOG_URI) and the seconds between syncs (default 300; 0: only at the
# end). Prints nothing when the run configuration has no checkpoint; returns 1 with the reason on
# stderr when a setting is not usable.
config_checkpoint() {
  local settings dir uri seconds
  settings="$(jq -r --arg log "$2" 'if .checkpoint == null then empty
      elif (.checkpoint | type) != "object" then error("checkpoint is not an object")
      else .checkpoint | (.dir // "" | tostring), (.uri // $log | tostring),
        (.syncSeconds // 300 | tostring) end' <<<"$1" 2>&1)" || {
    echo "the run configuration's ${settings#jq: error*: }" >&2
    return 1
  }
  [[ -n "$settings" ]] || return 0
  { read -r dir; read -r uri; read -r seconds; } <<<"$settings"
  if [[ "$dir" != /?* || "/$dir/" == */../* || "/$dir/" == */./* ]]; then
    echo "checkpoint.dir '$dir' is not an absolute path (like /var/lib/ml/checkpoints)" >&2
    return 1
  fi
  if [[ ! "$uri" =~ ^s3://[^/]+ ]]; then
    echo "checkpoint.uri '$uri' is not an s3://bucket/prefix URI" >&2
    return 1
  fi
  if [[ ! "$seconds" =~ ^[0-9]+$ ]]; then
    echo "checkpoint.syncSeconds '$seconds' is not a whole number of seconds ≥ 0 (0: only at the end)" >&2
    return 1
  fi
  printf '%s\n' "${dir%/}" "${uri%/}" "$seconds"
}

# config_env CONFIG: the env object's entries, one a line: the name, a space, the value in base64
# (a value may span lines).
config_env() {
  jq -r '(.env // {}) | to_entries[] | "\(.key) \(.value | tostring | @base64)"' <<<"$1"
}

# is_env_name NAME: true when NAME can be an environment variable's name.
is_env_name() {
  [[ "$1" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]
}

# is_run_id TEXT: true when TEXT can be a run id (RUN_ID_PATTERN or an instance id).
is_run_id() {
  [[ "$1" =~ $RUN_ID_PATTERN || "$1" =~ $INSTANCE_ID_PATTERN ]]
}

# run_prefix URI PROJECT RUN_ID: the run's folder under an S3 location, <uri>/<project>/<run-id>/.
# Returns 1 when URI is not an s3://bucket[/prefix] URI.
run_prefix() {
  [[ "$1" =~ ^s3://[^/]+ ]] || return 1
  printf '%s\n' "${1%/}/$2/$3/"
}
