#!/usr/bin/env bats
# launcher/lib/ for recovering and multi-node runs, one function at a time, sourced through
# launcher/first-boot: the nodes' ranks and the job's node variables, the wait for the nodes, the
# attempts of a recovering run (the wait for the earlier ones, a run that has already ended, one
# past its last attempt), the run's fleet (found by its tag, deleted first, switched to on-demand),
# the GPUs of the instance type and the EC2 calls' retries. S3 is a real moto_server behind the
# AWS CLI, the metadata service the IMDSv2 stand-in; the EC2 answers come from a fake `aws` where a
# test says so (the answers moto cannot give: ModifyFleet, throttling, a node that never comes up),
# and FirstBootIT runs the same steps against moto itself.

# shellcheck disable=SC2034,SC2154 # first-boot's variables: its functions read what tests set
# shellcheck disable=SC2030,SC2031 # each test runs in a subshell of its own: that is the point
# shellcheck disable=SC2317 # the fakes defined in tests are called by the code under test
bats_require_minimum_version 1.5.0

load helpers/launcher

setup() {
  load_first_boot
  region=us-east-1
  instance_id=i-0test
  run_id=demo-20261202-101500-3fa9
}

teardown() {
  stop_imds
}

# fake_ec2: `aws` records each call in $CALLS — an EC2 call as "ec2 <command> <arguments>" (the
# AWS CLI's global options left out), any other as "aws <arguments>" — and the retry settings of
# each EC2 call in $BATS_TEST_TMPDIR/ec2-env. Its ec2 commands answer what the file
# $EC2_ANSWERS/<command>.<n> (the n-th call) or else $EC2_ANSWERS/<command> holds; with a file
# <command>.err[.<n>] beside it the call writes that on stderr and fails (exit 254, as the AWS CLI
# does for an error answer). Other commands go to the real AWS CLI (moto_server).
fake_ec2() {
  local real
  real="$(PATH="${PATH#"$fakebin:"}" command -v aws)"
  EC2_ANSWERS="$BATS_TEST_TMPDIR/ec2"
  mkdir -p "$EC2_ANSWERS"
  export EC2_ANSWERS
  fake aws <<FAKE
#!/usr/bin/env bash
args=("\$@")
for ((i = 0; i < \${#args[@]}; i++)); do
  [[ "\${args[i]}" == ec2 ]] || continue
  command="\${args[i + 1]}"
  echo "ec2 \${args[*]:i + 1}" >>"\$CALLS"
  echo "AWS_RETRY_MODE=\${AWS_RETRY_MODE:-} AWS_MAX_ATTEMPTS=\${AWS_MAX_ATTEMPTS:-}" >>"$BATS_TEST_TMPDIR/ec2-env"
  n=\$((\$(cat "\$EC2_ANSWERS/\$command.count" 2>/dev/null || echo 0) + 1))
  echo "\$n" >"\$EC2_ANSWERS/\$command.count"
  for err in "\$EC2_ANSWERS/\$command.err.\$n" "\$EC2_ANSWERS/\$command.err"; do
    [[ -f "\$err" ]] && { cat "\$err" >&2; exit 254; }
  done
  for answer in "\$EC2_ANSWERS/\$command.\$n" "\$EC2_ANSWERS/\$command"; do
    [[ -f "\$answer" ]] && { cat "\$answer"; exit 0; }
  done
  echo "no answer for ec2 \$command" >&2
  exit 255
done
echo "aws \$*" >>"\$CALLS"
exec "$real" "\$@"
FAKE
}

# answer COMMAND [N]: the text on stdin is what `aws ec2 COMMAND` answers (its N-th call).
answer() {
  cat >"$EC2_ANSWERS/$1${2:+.$2}"
}

# fails COMMAND [N]: `aws ec2 COMMAND` fails (its N-th call) with the text on stdin on stderr.
fails() {
  cat >"$EC2_ANSWERS/$1.err${2:+.$2}"
}

# ec2_calls: the EC2 calls made, one a line.
ec2_calls() {
  grep '^ec2 ' "$CALLS" || true
}

THROTTLED='An error occurred (RequestLimitExceeded) when calling the DeleteFleets operation (reached max retries: 2): Request limit exceeded.'

# fleets RUN_ID…: a DescribeFleets answer (as the AWS CLI prints it) with the fleets given as
# ID:STATE:RUN (RUN - for no run tag).
fleets() {
  local spec id state run items=()
  for spec in "$@"; do
    IFS=: read -r id state run <<<"$spec"
    if [[ "$run" == - ]]; then
      items+=("$(jq -nc --arg id "$id" --arg state "$state" '{FleetId: $id, FleetState: $state, Type: "maintain",
        Tags: [{Key: "ami-pipeline:project", Value: "demo"}]}')")
    else
      items+=("$(jq -nc --arg id "$id" --arg state "$state" --arg run "$run" '{FleetId: $id, FleetState: $state,
        Type: "maintain", Tags: [{Key: "ami-pipeline:project", Value: "demo"}, {Key: "ami-pipeline:run", Value: $run},
        {Key: "Name", Value: "demo-20261202-101500"}]}')")
    fi
  done
  printf '%s\n' "${items[@]}" | jq -s '{Fleets: .}'
}

# --- the nodes ---

@test "node_order: by private IPv4, numerically: 10.0.0.9 before 10.0.0.10, 9.x before 10.x" {
  run -0 node_order <<'NODES'
10.0.0.10 i-0aaa
10.0.1.2 i-0bbb
10.0.0.9 i-0ccc
9.200.0.1 i-0ddd
10.0.0.200 i-0eee
NODES
  [ "$output" = $'9.200.0.1 i-0ddd\n10.0.0.9 i-0ccc\n10.0.0.10 i-0aaa\n10.0.0.200 i-0eee\n10.0.1.2 i-0bbb' ]
}

@test "node_settings: this node's rank, the count, the addresses in rank order and rank 0's; not among them: 1" {
  ranked=$'10.0.0.9 i-0ccc\n10.0.0.10 i-0test\n10.0.1.2 i-0bbb'

  node_settings "$ranked" i-0test

  [ "$node_rank" = 1 ]
  [ "$node_count" = 3 ]
  [ "$node_ips" = $'10.0.0.9\n10.0.0.10\n10.0.1.2' ]
  [ "$master_addr" = 10.0.0.9 ]
  run -1 node_settings "$ranked" i-0other
}

@test "find_nodes: a run of one node is rank 0 of 1 at its own address; no local-ipv4: 127.0.0.1, and why" {
  fake_ec2
  local_ipv4=172.31.5.17

  find_nodes 600

  [ "${job_env[*]: -4}" = "AMI_NODE_RANK=0 AMI_NODE_COUNT=1 AMI_NODE_IPS=172.31.5.17 AMI_MASTER_ADDR=172.31.5.17" ]
  [ -z "$(ec2_calls)" ]

  local_ipv4=""
  job_env=()
  find_nodes 600
  [ "${job_env[*]}" = "AMI_NODE_RANK=0 AMI_NODE_COUNT=1 AMI_NODE_IPS=127.0.0.1 AMI_MASTER_ADDR=127.0.0.1" ]
  grep -q "first-boot: the metadata service gave no local-ipv4: AMI_MASTER_ADDR=127.0.0.1" "$boot_log"
}

@test "find_nodes: waits until the run's N instances are running, polling every 5 s; the job's env has them in rank order" {
  fake_ec2
  fake_clock
  nodes=3
  printf '10.0.0.10\ti-0test\n' | answer describe-instances 1
  printf '10.0.0.10\ti-0test\n10.0.0.9\ti-0ccc\n' | answer describe-instances 2
  printf '10.0.0.10\ti-0test\n10.0.1.2\ti-0bbb\n10.0.0.9\ti-0ccc\n' | answer describe-instances

  find_nodes 600

  [ "${job_env[0]}" = AMI_NODE_RANK=1 ]
  [ "${job_env[1]}" = AMI_NODE_COUNT=3 ]
  [ "${job_env[2]}" = $'AMI_NODE_IPS=10.0.0.9\n10.0.0.10\n10.0.1.2' ]
  [ "${job_env[3]}" = AMI_MASTER_ADDR=10.0.0.9 ]
  [ "$(grep -c '^sleep 5$' "$CALLS")" -eq 2 ]
  [ "$(ec2_calls | sort -u)" = "ec2 describe-instances --filters Name=tag:ami-pipeline:run,Values=$run_id Name=instance-state-name,Values=running --query Reservations[].Instances[].[PrivateIpAddress, InstanceId] --output text" ]
  grep -q "first-boot: waiting up to 600s for the 3 instances of run $run_id to be running" "$boot_log"
  grep -q "first-boot: 1 of 3 instances of run $run_id running" "$boot_log"
  grep -q "first-boot: 2 of 3 instances of run $run_id running" "$boot_log"
  grep -q "first-boot: 3 of 3 instances of run $run_id running: this one is rank 1; master 10.0.0.9" "$boot_log"
}

@test "find_nodes: peers not all up within nodes.waitSeconds: setup-failed, saying how many were" {
  fake_ec2
  fake_clock
  nodes=3
  printf '10.0.0.10\ti-0test\n10.0.0.9\ti-0ccc\n' | answer describe-instances

  run -1 find_nodes 30

  [[ "$output" == *"first-boot: error: 2 of the 3 instances of run $run_id were running after 30s (nodes.waitSeconds): the job needs all 3, this one among them"* ]]
  [ "$(jq -r '.reason + " " + (.exitCode | tostring)' "$status_file")" = "setup-failed 125" ]
  # Listed at 0, 5, … 30 s: seven calls, six sleeps.
  [ "$(ec2_calls | wc -l)" -eq 7 ]
  [ "$(grep -c '^sleep 5$' "$CALLS")" -eq 6 ]
  [ "$(grep -c "2 of 3 instances of run $run_id running" "$boot_log")" -eq 1 ]
}

@test "find_nodes: N running without this one (still pending in EC2's view) is no quorum: it waits on" {
  fake_ec2
  fake_clock
  nodes=2
  printf '10.0.0.9\ti-0ccc\n10.0.0.11\ti-0ddd\n' | answer describe-instances 1
  printf '10.0.0.9\ti-0ccc\n10.0.0.10\ti-0test\n' | answer describe-instances

  find_nodes 600

  [ "$node_rank" = 1 ]
  [ "$master_addr" = 10.0.0.9 ]
  grep -q "first-boot: 2 of 2 instances of run $run_id running, not yet this one" "$boot_log"
}

@test "config_nodes_wait_seconds: nodes.waitSeconds, 600 without it; not a whole number: 1" {
  [ "$(config_nodes_wait_seconds '{}')" = 600 ]
  [ "$(config_nodes_wait_seconds '{"nodes": {"waitSeconds": 45}}')" = 45 ]
  [ "$(config_nodes_wait_seconds '{"nodes": {"waitSeconds": 0}}')" = 0 ]
  run -1 config_nodes_wait_seconds '{"nodes": {"waitSeconds": -1}}'
  run -1 config_nodes_wait_seconds '{"nodes": {"waitSeconds": "soon"}}'
  run -1 config_nodes_wait_seconds '{"nodes": {"waitSeconds": 1.5}}'
  run -1 config_nodes_wait_seconds '{"nodes": 3}'
}

# --- the GPUs ---

@test "gpus_of: the counts of the type's GpuInfo summed; 0 without GpuInfo" {
  [ "$(gpus_of '{"InstanceTypes": [{"InstanceType": "p3.8xlarge", "GpuInfo": {"Gpus": [{"Name": "V100", "Count": 4}]}}]}')" = 4 ]
  [ "$(gpus_of '{"InstanceTypes": [{"GpuInfo": {"Gpus": [{"Count": 2}, {"Count": 1}]}}]}')" = 3 ]
  [ "$(gpus_of '{"InstanceTypes": [{"InstanceType": "t3.micro"}]}')" = 0 ]
  [ "$(gpus_of '{"InstanceTypes": []}')" = 0 ]
}

@test "gpus_in_xml: the same from the API's XML answer; a disk's count is no GPU" {
  printf '%s' '<DescribeInstanceTypesResponse><instanceTypeSet><item><instanceType>g4dn.12xlarge</instanceType>
<instanceStorageInfo><disks><item><sizeInGB>900</sizeInGB><count>1</count></item></disks></instanceStorageInfo>
<gpuInfo><gpus><item><name>T4</name><count>4</count><logicalGpuCount>4</logicalGpuCount><memoryInfo><sizeInMiB>16384</sizeInMiB></memoryInfo></item>
<item><name>X</name><count>2</count></item></gpus><totalGpuMemoryInMiB>65536</totalGpuMemoryInMiB></gpuInfo></item></instanceTypeSet></DescribeInstanceTypesResponse>' \
    >"$scratch/answer.xml"
  [ "$(gpus_in_xml "$scratch/answer.xml")" = 6 ]
  printf '<DescribeInstanceTypesResponse><instanceTypeSet><item><instanceType>t3.micro</instanceType><instanceStorageInfo><disks><item><count>1</count></item></disks></instanceStorageInfo></item></instanceTypeSet></DescribeInstanceTypesResponse>' \
    >"$scratch/answer.xml"
  [ "$(gpus_in_xml "$scratch/answer.xml")" = 0 ]
}

@test "find_gpus: from DescribeInstanceTypes (the emulator's catalogue), signed by curl; 0, and why, when unknown or the call fails" {
  spy aws
  instance_type=g4dn.12xlarge
  find_gpus
  [ "$gpus_per_node" = 4 ]
  grep -q "first-boot: g4dn.12xlarge has 4 GPUs (AMI_GPUS_PER_NODE)" "$boot_log"

  instance_type=t3.micro
  find_gpus
  [ "$gpus_per_node" = 0 ]
  [ ! -s "$CALLS" ]

  instance_type=no.such-type
  find_gpus
  [ "$gpus_per_node" = 0 ]
  grep -q "first-boot: looking up the GPUs of no.such-type failed: InvalidInstanceType: The following supplied instance types do not exist: \[no.such-type\]" "$boot_log"
  grep -q "first-boot: AMI_GPUS_PER_NODE=0: the GPUs of no.such-type are not known" "$boot_log"

  instance_type=unknown
  find_gpus
  [ "$gpus_per_node" = 0 ]
  grep -q "first-boot: the instance type is unknown: AMI_GPUS_PER_NODE=0" "$boot_log"
}

@test "find_gpus: a curl that cannot sign falls back to the AWS CLI, with the same counts and errors" {
  # An old curl (before 7.75): this one hides --aws-sigv4 from its help and otherwise is the real curl.
  real_curl="$(command -v curl)"
  fake curl <<FAKE
#!/usr/bin/env bash
if [[ "\$*" == *--help* ]]; then "$real_curl" "\$@" | grep -v -- --aws-sigv4; exit 0; fi
exec "$real_curl" "\$@"
FAKE
  spy aws

  instance_type=g4dn.12xlarge
  find_gpus
  [ "$gpus_per_node" = 4 ]
  grep -q "^aws .* ec2 describe-instance-types --instance-types g4dn.12xlarge --output json" "$CALLS"

  instance_type=no.such-type
  find_gpus
  [ "$gpus_per_node" = 0 ]
  grep -q "first-boot: looking up the GPUs of no.such-type failed (exit code 25[45]): An error occurred (InvalidInstanceType)" "$boot_log"
}

# --- EC2 calls ---

@test "ec2_call: a throttled call is tried again 1 s, 2 s later, in the AWS CLI's adaptive retry mode; other errors once" {
  fake_ec2
  fake_clock
  upload_deadline=$((fake_now + 300))
  echo "$THROTTLED" | fails delete-fleets 1
  echo "$THROTTLED" | fails delete-fleets 2
  echo '{"SuccessfulFleetDeletions": [], "UnsuccessfulFleetDeletions": []}' | answer delete-fleets

  run -0 ec2_call "deleting fleet fleet-1" "$scratch/out" delete-fleets --fleet-ids fleet-1 --no-terminate-instances

  [[ "${lines[0]}" == *"first-boot: deleting fleet fleet-1 failed (try 1, exit code 254; trying again in 1s): $THROTTLED" ]]
  [[ "${lines[1]}" == *"(try 2, exit code 254; trying again in 2s): An error occurred (RequestLimitExceeded)"* ]]
  [ "${#lines[@]}" -eq 2 ]
  [ "$(grep '^sleep' "$CALLS")" = $'sleep 1\nsleep 2' ]
  [ "$(sort -u "$BATS_TEST_TMPDIR/ec2-env")" = "AWS_RETRY_MODE=adaptive AWS_MAX_ATTEMPTS=3" ]

  echo 'An error occurred (UnauthorizedOperation) when calling the DeleteFleets operation: You are not authorized' |
    fails delete-fleets
  run -1 ec2_call "deleting fleet fleet-1" "$scratch/out" delete-fleets --fleet-ids fleet-1 --no-terminate-instances
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"first-boot: deleting fleet fleet-1 failed (exit code 254): An error occurred (UnauthorizedOperation)"* ]]
}

# --- the fleet ---

@test "run_fleet_ids: the run's live fleet among several: another run's, a deleted one, an untagged one, a longer run id" {
  described="$(fleets fleet-other:active:demo-20261202-090000-0001 fleet-old:deleted_running:"$run_id" \
    fleet-untagged:active:- fleet-longer:active:"${run_id}x" fleet-mine:active:"$run_id" fleet-modifying:modifying:"$run_id" \
    fleet-failed:failed:"$run_id")"

  run -0 run_fleet_ids "$described" "$run_id"

  [ "$output" = $'fleet-mine\nfleet-modifying' ]
  run -0 run_fleet_ids '{"Fleets": []}' "$run_id"
  [ -z "$output" ]
}

@test "delete_run_fleet: DescribeFleets, then DeleteFleets of the run's fleet alone, its instances left running" {
  fake_ec2
  fleets fleet-other:active:demo-20261202-090000-0001 fleet-mine:active:"$run_id" | answer describe-fleets
  echo '{"SuccessfulFleetDeletions": [{"CurrentFleetState": "deleted_running", "PreviousFleetState": "active", "FleetId": "fleet-mine"}], "UnsuccessfulFleetDeletions": []}' |
    answer delete-fleets

  delete_run_fleet

  [ "$(ec2_calls)" = $'ec2 describe-fleets --output json\nec2 delete-fleets --fleet-ids fleet-mine --no-terminate-instances --output json' ]
  grep -q "first-boot: deleted fleet fleet-mine of run $run_id (its instances keep running): EC2 starts no further attempt" "$boot_log"
}

@test "delete_run_fleet: a deletion EC2 refuses in its answer (HTTP 200) is a failure, with EC2's reason; no fleet: nothing to do" {
  fake_ec2
  fleets fleet-mine:active:"$run_id" | answer describe-fleets
  echo '{"SuccessfulFleetDeletions": [], "UnsuccessfulFleetDeletions": [{"Error": {"Code": "fleetIdDoesNotExist", "Message": "The fleet does not exist"}, "FleetId": "fleet-mine"}]}' |
    answer delete-fleets

  run -1 delete_run_fleet
  [[ "$output" == *"first-boot: deleting fleet fleet-mine of run $run_id failed: fleetIdDoesNotExist: The fleet does not exist"* ]]

  fleets fleet-old:deleted_terminating:"$run_id" | answer describe-fleets
  : >"$CALLS"
  run -0 delete_run_fleet
  [[ "$output" == *"first-boot: run $run_id has no live fleet to delete"* ]]
  [ "$(ec2_calls)" = "ec2 describe-fleets --output json" ]
}

# moto does not implement ModifyFleet (it answers HTTP 500): the request is checked here against the
# API reference (ModifyFleet: FleetId and TargetCapacitySpecification, whose TotalTargetCapacity is
# required; OnDemandTargetCapacity, SpotTargetCapacity and DefaultTargetCapacityType optional; only
# fleets of type maintain), through a fake `aws` first on PATH.
@test "fleet_to_on_demand: ModifyFleet of the run's fleet: N on demand, 0 spot, default on-demand" {
  fake_ec2
  nodes=3
  fleets fleet-other:active:demo-20261202-090000-0001 fleet-mine:active:"$run_id" | answer describe-fleets
  echo '{"Return": true}' | answer modify-fleet

  fleet_to_on_demand

  [ "$(ec2_calls | tail -n 1)" = "ec2 modify-fleet --fleet-id fleet-mine --target-capacity-specification TotalTargetCapacity=3,OnDemandTargetCapacity=3,SpotTargetCapacity=0,DefaultTargetCapacityType=on-demand --output json" ]
  grep -q "first-boot: fleet fleet-mine of run $run_id switched to on-demand: the next attempt runs on demand" "$boot_log"

  echo '{"Return": false}' | answer modify-fleet
  run -1 fleet_to_on_demand
  [[ "$output" == *'switching fleet fleet-mine of run '"$run_id"' to on-demand failed: EC2 answered {"Return": false}'* ]]
}

@test "finish after a spot notice of a recovering run: ModifyFleet after the uploads once the attempt is ≥ onDemandAfter, not before" {
  fake_ec2
  recovering=true
  on_demand_after=2
  terminate_on_exit=true
  echo '{"action": "terminate"}' >"$scratch/spot"
  fleets fleet-mine:active:"$run_id" | answer describe-fleets
  echo '{"Return": true}' | answer modify-fleet

  attempt=1
  run -1 finish 143 spot-interruption
  [ -z "$(ec2_calls)" ]

  attempt=2
  run -1 finish 143 spot-interruption
  [[ "$output" == *"attempt 2 of run $run_id was interrupted and the run goes on demand after attempt 2"* ]]
  [ "$(ec2_calls | cut -d ' ' -f 1-2)" = $'ec2 describe-fleets\nec2 modify-fleet' ]
  [ "$(grep -v '^ec2 ' "$CALLS" | tail -n 1)" = "poweroff --no-wall" ]
  run -1 grep -q delete-fleets "$CALLS"
}

# --- the attempts of a recovering run ---

@test "out_of_attempts and on_demand_due: past maxAttempts gives up; on demand from onDemandAfter on, never without it" {
  run -1 out_of_attempts 5 5
  out_of_attempts 6 5
  run -1 out_of_attempts 1 1
  out_of_attempts 2 1

  run -1 on_demand_due 2 3
  on_demand_due 3 3
  on_demand_due 4 3
  run -1 on_demand_due 9 ""
}

@test "read_recovery_tags: max-attempts makes a run recover; on-demand-after when set; values that are not numbers are logged" {
  start_imds --tag ami-pipeline:run="$run_id" --tag ami-pipeline:max-attempts=3 --tag ami-pipeline:on-demand-after=2
  imds_new_token
  read_recovery_tags
  [ "$recovering" = true ]
  [ "$max_attempts" = 3 ]
  [ "$on_demand_after" = 2 ]
  grep -q "first-boot: run $run_id recovers: at most 3 attempts, on demand after attempt 2" "$boot_log"

  stop_imds
  recovering=false max_attempts=5 on_demand_after=""
  start_imds --tag ami-pipeline:max-attempts=many --tag ami-pipeline:on-demand-after=0
  imds_new_token
  read_recovery_tags
  [ "$recovering" = true ]
  [ "$max_attempts" = 5 ]
  [ -z "$on_demand_after" ]
  grep -q "the instance tag ami-pipeline:max-attempts='many' is not a number ≥ 1: at most 5 attempts" "$boot_log"
  grep -q "the instance tag ami-pipeline:on-demand-after='0' is not a number ≥ 1: replacements stay spot" "$boot_log"

  stop_imds
  recovering=false
  start_imds --tag ami-pipeline:run="$run_id"
  imds_new_token
  read_recovery_tags
  [ "$recovering" = false ]
}

@test "give_up_past_the_last_attempt: attempt 6 of 5 records gave-up (code 75) after deleting the fleet; attempt 5 goes on" {
  fake_ec2
  recovering=true
  max_attempts=5
  terminate_on_exit=true
  fleets fleet-mine:active:"$run_id" | answer describe-fleets
  echo '{"SuccessfulFleetDeletions": [{"FleetId": "fleet-mine"}], "UnsuccessfulFleetDeletions": []}' | answer delete-fleets

  attempt=5
  run -0 give_up_past_the_last_attempt
  [ -z "$(ec2_calls)" ]

  attempt=6
  run -1 give_up_past_the_last_attempt
  [[ "$output" == *"first-boot: error: attempt 6 of run $run_id is past its 5 attempts (tag ami-pipeline:max-attempts): giving up without running the job"* ]]
  [ "$(jq -c '{exitCode, reason, attempt}' "$status_file")" = '{"exitCode":75,"reason":"gave-up","attempt":6}' ]
  [ "$(ec2_calls | cut -d ' ' -f 1-2)" = $'ec2 describe-fleets\nec2 delete-fleets' ]
  [ -e "$stamp" ]
  [ "$(tail -n 1 "$CALLS")" = "poweroff --no-wall" ]
}

@test "run_end: a run.json, or an end other than a spot interruption in the last attempt; not while it recovers" {
  status() { printf '{"instanceId": "%s", "attempt": %s, "reason": "%s", "exitCode": %s}' "$@"; }
  interrupted="$(status i-1 1 spot-interruption 143)"
  failed="$(status i-2 2 exited 3)"
  again="$(status i-3 2 spot-interruption 143)"

  run -0 run_end "[]" '{"runId": "r", "state": "succeeded"}'
  [ "$output" = "its run.json says succeeded" ]
  run -0 run_end "[$interrupted, $failed]" ""
  [ "$output" = "instance i-2 of attempt 2 ended it: exited" ]
  run -1 run_end "[$interrupted, $again]" ""
  [ -z "$output" ]
  run -1 run_end "[$interrupted]" ""
  run -1 run_end "[]" ""
  run -1 run_end "[]" "not json"
}

@test "earlier_instances: in a run of one node every other instance; of N nodes those no longer pending or running" {
  listed=$'i-0test\trunning\ni-0old\tterminated\ni-0older\tshutting-down\ni-0peer\trunning\ni-0new\tpending'

  [ "$(earlier_instances "$listed" i-0test 1 | paste -sd ' ')" = "i-0old i-0older i-0peer i-0new" ]
  [ "$(earlier_instances "$listed" i-0test 3 | paste -sd ' ')" = "i-0old i-0older" ]
  [ -z "$(earlier_instances "" i-0test 1)" ]
}

# recovering_run BUCKET: this instance in a recovering run whose results go to a new BUCKET.
recovering_run() {
  aws s3 mb "s3://$1" >/dev/null
  run_uri="s3://$1/runs/demo/$run_id/"
  log_destination="${run_uri}i-0test/"
  recovering=true
}

# put_status INSTANCE REASON ATTEMPT: the instance's exit-status.json under the run's folder.
put_status() {
  printf '{"exitCode": 143, "reason": "%s", "attempt": %s, "instanceId": "%s"}' "$2" "$3" "$1" |
    aws s3 cp - "${run_uri}$1/exit-status.json" >/dev/null
}

@test "count_attempt of a recovering run: waits for the exit status of an earlier attempt's instance, then counts it" {
  recovering_run runs-wait
  put_status i-0first spot-interruption 1
  fake_ec2
  fake_clock
  printf 'i-0test\trunning\ni-0first\tterminated\ni-0second\tshutting-down\n' | answer describe-instances
  # The second attempt's instance uploads its exit status while this one waits.
  sleep() {
    echo "sleep $*" >>"$CALLS"
    fake_now=$((fake_now + $1))
    put_status i-0second spot-interruption 2
  }

  count_attempt

  [ "$attempt" -eq 3 ]
  [ -z "$run_ended" ]
  [ "$(grep -c '^sleep 5$' "$CALLS")" -eq 1 ]
  grep -q "first-boot: waiting up to 300s for the exit status of i-0second, of an earlier attempt of run $run_id" "$boot_log"
  grep -q "first-boot: attempt 3 of run $run_id" "$boot_log"
  [ "$(ec2_calls)" = "ec2 describe-instances --filters Name=tag:ami-pipeline:run,Values=$run_id --query Reservations[].Instances[].[InstanceId, State.Name] --output text" ]
}

@test "count_attempt of a recovering run: an exit status that never comes is waited for EARLIER_ATTEMPTS_WAIT_SECONDS at most" {
  # 300 s on an instance; 20 here, so the run's folder is read 5 times, not 61.
  EARLIER_ATTEMPTS_WAIT_SECONDS=20
  recovering_run runs-never
  fake_ec2
  fake_clock
  printf 'i-0test\trunning\ni-0lost\tterminated\n' | answer describe-instances

  count_attempt

  [ "$attempt" -eq 1 ]
  [ "$(grep -c '^sleep 5$' "$CALLS")" -eq 4 ]
  grep -q "first-boot: no exit status from i-0lost of an earlier attempt after 20s: counting without" "$boot_log"
}

@test "count_attempt of a recovering run: a run that has already ended says why, without waiting" {
  recovering_run runs-ended
  put_status i-0first spot-interruption 1
  echo '{"runId": "x", "state": "cancelled"}' | aws s3 cp - "${run_uri}run.json" >/dev/null
  fake_ec2
  fake_clock
  printf 'i-0test\trunning\ni-0first\tterminated\ni-0lost\tterminated\n' | answer describe-instances

  count_attempt

  [ "$run_ended" = "its run.json says cancelled" ]
  run -1 grep -q '^sleep' "$CALLS"
}

@test "end_ended_run: deletes the fleet, uploads nothing, powers off, exit 0" {
  fake_ec2
  terminate_on_exit=true
  run_ended="its run.json says succeeded"
  log_destination="s3://nowhere/runs/demo/$run_id/i-0test/"
  fleets fleet-mine:active:"$run_id" | answer describe-fleets
  echo '{"SuccessfulFleetDeletions": [{"FleetId": "fleet-mine"}], "UnsuccessfulFleetDeletions": []}' | answer delete-fleets

  run -0 end_ended_run

  [[ "$output" == *"first-boot: run $run_id has already ended (its run.json says succeeded): the job does not run again and nothing is uploaded"* ]]
  [ "$(cat "$CALLS")" = $'ec2 describe-fleets --output json\nec2 delete-fleets --fleet-ids fleet-mine --no-terminate-instances --output json\npoweroff --no-wall' ]
  [ ! -e "$status_file" ]
}

@test "finish of a recovering run: the fleet is deleted first, then the uploads; not after a spot notice" {
  aws s3 mb s3://runs-finish >/dev/null
  run_uri="s3://runs-finish/runs/demo/$run_id/"
  log_destination="${run_uri}i-0test/"
  recovering=true
  fake_ec2
  fleets fleet-mine:active:"$run_id" | answer describe-fleets
  echo '{"SuccessfulFleetDeletions": [{"FleetId": "fleet-mine"}], "UnsuccessfulFleetDeletions": []}' | answer delete-fleets

  run -0 finish 0 exited

  [ "$(head -n 2 "$CALLS" | cut -d ' ' -f 1-2)" = $'ec2 describe-fleets\nec2 delete-fleets' ]
  [ "$(sed -n 3p "$CALLS" | cut -d ' ' -f 1-3)" = "aws --region us-east-1" ]
  [[ "$(aws s3 cp "${log_destination}first-boot.log" -)" == *"deleted fleet fleet-mine of run $run_id"* ]]
  [ "$(aws s3 cp "${run_uri}run.json" - | jq -r .state)" = succeeded ]

  : >"$CALLS"
  echo '{"action": "terminate"}' >"$scratch/spot"
  run -1 finish 143 spot-interruption
  [ -z "$(ec2_calls)" ]
}
