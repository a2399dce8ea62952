# shellcheck shell=bash
# EC2 from the instance: the instance type's GPUs, the run's instances (the nodes of a multi-node
# run, the instances of earlier attempts) and the run's fleet (deleted when a recovering run ends,
# switched to on-demand after a spot notice). The decisions are pure functions (text in, text out);
# the calls go through ec2_call (the GPU lookup through curl when it can sign). Sourced by
# first-boot (and the bats tests), never run.

# Process-wide state, set by first-boot (or a test) before any function here runs: the instance, its
# run, how many nodes the run has, this instance's private IPv4; what the last AWS CLI call said
# (capture in aws.sh fills it).
declare -g instance_id instance_type run_id nodes scratch local_ipv4 aws_output job_env
# What the lookups here find, for the job's environment: the GPUs of the instance type, and this
# node's rank among the run's nodes, their number, their addresses (one a line) and rank 0's.
declare -g gpus_per_node node_rank node_count node_ips master_addr
# What the listings here find (set by the functions of the same name; they log, so they are not
# called for their output): the running nodes in rank order, the instances of earlier attempts,
# the run's live fleets.
declare -g ranked_nodes="" earlier_ids="" fleet_ids=""

# The states of a fleet that still maintains its capacity (DescribeFleets lists deleted fleets for
# hours after).
LIVE_FLEET_STATES='["submitted", "active", "modifying"]'
# How often the instances of the run are listed while the nodes of a multi-node run come up.
NODE_POLL_SECONDS=5

# ec2_cli ARGS...: the AWS CLI's ec2 command, with its own retries in adaptive mode (client-side
# rate limiting after a throttled call); ec2_call adds first-boot's backoff on top.
ec2_cli() {
  AWS_RETRY_MODE=adaptive AWS_MAX_ATTEMPTS=3 aws_cli ec2 "$@"
}

# throttled TEXT: true when the AWS CLI's words say EC2 (or another service) throttled the call.
throttled() {
  grep -qE '\((RequestLimitExceeded|Throttling|ThrottlingException|RequestThrottled|TooManyRequestsException)\)' <<<"$1"
}

# ec2_call WHAT OUT ARGS...: `aws ec2 ARGS...`, its answer into the file OUT. A throttled call is
# tried again 1 s, 2 s, 4 s … later until upload_deadline (one try when none is set), as uploads
# are; any other failure is logged with the AWS CLI's words at once. Returns 1 when no try succeeded.
ec2_call() {
  # shellcheck disable=SC2034 # set by set_try_time_limit, read by aws_cli
  local what="$1" out="$2" try=1 delay=1 code aws_time_limit
  shift 2
  while :; do
    set_try_time_limit
    code=0
    capture "$out" ec2_cli "$@" || code=$?
    ((code == 0)) && return 0
    if ! throttled "$aws_output"; then
      log_output "$what failed ($(describe_exit "$code"))"
      return 1
    fi
    next_try_or_give_up "$what failed" "$try" "$delay" "$code" || return 1
    delay=$((delay * 2 > RETRY_CAP_SECONDS ? RETRY_CAP_SECONDS : delay * 2))
    ((try += 1))
  done
}

# --- GPUs ---

# gpus_of DESCRIBE_INSTANCE_TYPES: the GPUs of the (first) instance type in a DescribeInstanceTypes
# answer as the AWS CLI prints it (JSON): the counts of its GpuInfo summed; 0 without GpuInfo.
gpus_of() {
  jq '[.InstanceTypes[0].GpuInfo.Gpus[]?.Count // 0] | add // 0' <<<"$1"
}

# gpus_in_xml FILE: the same from the API's own answer (XML: gpuInfo, its gpus, each item's count).
gpus_in_xml() {
  tr -d '\n' <"$1" | sed -n 's|.*<gpuInfo>\(.*\)</gpuInfo>.*|\1|p' | { grep -o '<count>[0-9]*</count>' || true; } |
    tr -dc '0-9\n' | awk '{ gpus += $1 } END { print gpus + 0 }'
}

# find_gpus: sets gpus_per_node from the instance type's GpuInfo (DescribeInstanceTypes, signed by
# curl when it can: it runs beside the checkout, and starting the AWS CLI takes a second); 0,
# logged, when the type is unknown or the lookup fails.
find_gpus() {
  gpus_per_node=0
  if [[ "$instance_type" == unknown ]]; then
    log "the instance type is unknown: AMI_GPUS_PER_NODE=0"
    return 0
  fi
  if curl_signs; then
    if ! ec2_query_signed "$scratch/instance-type.xml" DescribeInstanceTypes "InstanceType.1=$instance_type"; then
      log "looking up the GPUs of $instance_type failed: $(last_line "$scratch/aws.err")"
      log "AMI_GPUS_PER_NODE=0: the GPUs of $instance_type are not known"
      return 0
    fi
    gpus_per_node="$(gpus_in_xml "$scratch/instance-type.xml")"
  elif ec2_call "looking up the GPUs of $instance_type" "$scratch/instance-type.json" \
    describe-instance-types --instance-types "$instance_type" --output json; then
    gpus_per_node="$(gpus_of "$(cat "$scratch/instance-type.json")")"
  else
    log "AMI_GPUS_PER_NODE=0: the GPUs of $instance_type are not known"
    return 0
  fi
  log "$instance_type has $gpus_per_node GPUs (AMI_GPUS_PER_NODE)"
}

# --- the run's instances ---

# node_order: lines "IP INSTANCE-ID" on stdin, in rank order: by private IPv4, numerically
# (10.0.0.9 before 10.0.0.10), then by instance id; the same order on every node.
node_order() {
  LC_ALL=C sort -t . -k1,1n -k2,2n -k3,3n -k4,4n
}

# node_settings RANKED OWN_ID: from the running nodes in rank order ("IP INSTANCE-ID" lines) sets
# node_rank (this instance's place), node_count, node_ips (one a line) and master_addr (rank 0).
# Returns 1 when this instance is not among them.
node_settings() {
  local ranked="$1" own="$2" ip id rank=0
  node_rank=""
  node_count=0
  node_ips=""
  master_addr=""
  while read -r ip id; do
    [[ -n "$ip" ]] || continue
    [[ "$id" == "$own" ]] && node_rank="$rank"
    ((rank == 0)) && master_addr="$ip"
    node_ips+="${node_ips:+$'\n'}$ip"
    ((rank += 1))
  done <<<"$ranked"
  # shellcheck disable=SC2034 # read by first-boot
  node_count="$rank"
  [[ -n "$node_rank" ]]
}

# running_nodes: sets ranked_nodes to the run's running instances, "IP INSTANCE-ID" lines in rank
# order; returns 1 when they cannot be listed.
running_nodes() {
  ranked_nodes=""
  ec2_call "listing the running instances of run $run_id" "$scratch/nodes.txt" describe-instances \
    --filters "Name=tag:ami-pipeline:run,Values=$run_id" Name=instance-state-name,Values=running \
    --query 'Reservations[].Instances[].[PrivateIpAddress, InstanceId]' --output text || return 1
  ranked_nodes="$(awk '$1 ~ /^[0-9.]+$/ && NF == 2 {print $1, $2}' "$scratch/nodes.txt" | node_order)"
}

# find_nodes WAIT_SECONDS: adds the job's node variables to job_env: AMI_NODE_RANK, AMI_NODE_COUNT,
# AMI_NODE_IPS (one a line, rank order) and AMI_MASTER_ADDR (rank 0's). A run of one node is rank 0
# of 1 at its own private IPv4 (127.0.0.1, logged, when the metadata service has none: a node
# reaches itself there); a run of N > 1 waits (listing every NODE_POLL_SECONDS, up to
# WAIT_SECONDS) until N instances of the run, this one among them, are running, or fails the setup
# saying how many were.
find_nodes() {
  local wait_seconds="$1" deadline count=0 seen=-1 failed_before=false address="$local_ipv4"
  if ((nodes == 1)); then
    if [[ -z "$address" ]]; then
      address=127.0.0.1
      log "the metadata service gave no local-ipv4: AMI_MASTER_ADDR=$address"
    fi
    node_settings "$address $instance_id" "$instance_id"
    add_node_env
    return 0
  fi
  deadline=$(($(now_seconds) + wait_seconds))
  log "waiting up to ${wait_seconds}s for the $nodes instances of run $run_id to be running"
  while :; do
    if running_nodes; then
      failed_before=false
      count="$(grep -c . <<<"$ranked_nodes" || true)"
      if ((count == nodes)) && node_settings "$ranked_nodes" "$instance_id"; then
        log "$nodes of $nodes instances of run $run_id running: this one is rank $node_rank; master $master_addr"
        add_node_env
        return 0
      fi
      if ((count != seen)); then
        log "$count of $nodes instances of run $run_id running$( ((count == nodes)) && echo ", not yet this one")"
        seen="$count"
      fi
    elif [[ "$failed_before" == false ]]; then
      failed_before=true
      log "the instances of run $run_id could not be listed; trying again every ${NODE_POLL_SECONDS}s"
    fi
    if (($(now_seconds) >= deadline)); then
      setup_failed "$count of the $nodes instances of run $run_id were running after ${wait_seconds}s (nodes.waitSeconds): the job needs all $nodes, this one among them"
    fi
    sleep "$NODE_POLL_SECONDS"
  done
}

add_node_env() {
  job_env+=("AMI_NODE_RANK=$node_rank" "AMI_NODE_COUNT=$node_count" "AMI_NODE_IPS=$node_ips"
    "AMI_MASTER_ADDR=$master_addr")
}

# earlier_instances TEXT OWN_ID NODES: the instances of earlier attempts among the run's instances
# ("INSTANCE-ID STATE" lines, any state): every other one that is no longer pending or running, and
# in a run of one node every other one (one node at a time: any other is an earlier attempt).
earlier_instances() {
  awk -v own="$2" -v nodes="$3" 'NF == 2 && $1 != own && (nodes == 1 || ($2 != "pending" && $2 != "running")) {print $1}' <<<"$1"
}

# run_instances_before: sets earlier_ids to the instances of earlier attempts of the run (see
# earlier_instances), one id a line; returns 1 when the run's instances cannot be listed.
run_instances_before() {
  earlier_ids=""
  ec2_call "listing the instances of run $run_id" "$scratch/run-instances.txt" describe-instances \
    --filters "Name=tag:ami-pipeline:run,Values=$run_id" \
    --query 'Reservations[].Instances[].[InstanceId, State.Name]' --output text || return 1
  # shellcheck disable=SC2034 # read by first-boot
  earlier_ids="$(earlier_instances "$(cat "$scratch/run-instances.txt")" "$instance_id" "$nodes")"
}

# --- the run's fleet ---

# run_fleet_ids DESCRIBE_FLEETS RUN_ID: the live fleets (LIVE_FLEET_STATES) tagged
# ami-pipeline:run=RUN_ID in a DescribeFleets answer, one id a line. DescribeFleets has no tag
# filter: every fleet of the region is listed and matched here.
run_fleet_ids() {
  jq -r --arg run "$2" --argjson live "$LIVE_FLEET_STATES" '.Fleets[]?
    | select(.FleetState as $state | $live | index($state))
    | select(any(.Tags[]?; .Key == "ami-pipeline:run" and .Value == $run)) | .FleetId' <<<"$1"
}

# run_fleets: sets fleet_ids to the run's live fleets, one id a line; returns 1 when they cannot be
# listed.
run_fleets() {
  fleet_ids=""
  # The AWS CLI pages through every fleet of the region and answers with one document.
  ec2_call "listing the fleets (to find run $run_id's)" "$scratch/fleets.json" describe-fleets --output json ||
    return 1
  fleet_ids="$(run_fleet_ids "$(cat "$scratch/fleets.json")" "$run_id")"
}

# delete_run_fleet: deletes the run's live fleet, its instances left running (this one powers
# itself off), so that EC2 replaces no instance of a run that has ended. Returns 1, logged, when
# the fleet could not be found or deleted.
delete_run_fleet() {
  local id failed=0 refused
  run_fleets || {
    log "the fleet of run $run_id was not deleted: EC2 may start another attempt"
    return 1
  }
  if [[ -z "$fleet_ids" ]]; then
    log "run $run_id has no live fleet to delete"
    return 0
  fi
  for id in $fleet_ids; do
    if ! ec2_call "deleting fleet $id of run $run_id" "$scratch/delete-fleets.json" delete-fleets \
      --fleet-ids "$id" --no-terminate-instances --output json; then
      failed=1
      continue
    fi
    # DeleteFleets answers 200 also when it could not delete: the reason is in the answer.
    refused="$(jq -r '.UnsuccessfulFleetDeletions[]? | "\(.Error.Code // "error"): \(.Error.Message // "")"' \
      "$scratch/delete-fleets.json" 2>/dev/null)" || refused=""
    if [[ -n "$refused" ]]; then
      log "deleting fleet $id of run $run_id failed: $refused"
      failed=1
    else
      log "deleted fleet $id of run $run_id (its instances keep running): EC2 starts no further attempt"
    fi
  done
  return "$failed"
}

# fleet_on_demand_args FLEET_ID NODES: the ModifyFleet request (AWS CLI arguments, one a line) that
# makes the fleet's capacity on-demand, so EC2 replaces an interrupted instance on demand.
fleet_on_demand_args() {
  printf '%s\n' modify-fleet --fleet-id "$1" --target-capacity-specification \
    "TotalTargetCapacity=$2,OnDemandTargetCapacity=$2,SpotTargetCapacity=0,DefaultTargetCapacityType=on-demand" \
    --output json
}

# fleet_to_on_demand: ModifyFleet of the run's live fleet to on-demand. Returns 1, logged, when it
# could not be found or modified.
fleet_to_on_demand() {
  local id failed=0 args=()
  run_fleets || return 1
  if [[ -z "$fleet_ids" ]]; then
    log "run $run_id has no live fleet to switch to on-demand"
    return 0
  fi
  for id in $fleet_ids; do
    mapfile -t args < <(fleet_on_demand_args "$id" "$nodes")
    if ! ec2_call "switching fleet $id of run $run_id to on-demand" "$scratch/modify-fleet.json" "${args[@]}"; then
      failed=1
    elif [[ "$(jq -r .Return "$scratch/modify-fleet.json" 2>/dev/null)" != true ]]; then
      log "switching fleet $id of run $run_id to on-demand failed: EC2 answered $(tr -d '\n' <"$scratch/modify-fleet.json")"
      failed=1
    else
      log "fleet $id of run $run_id switched to on-demand: the next attempt runs on demand"
    fi
  done
  return "$failed"
}
