#!/usr/bin/env bash
# The common shell way to prune AMIs, as found in many repositories: the benchmark's baseline.
# Lists the project's images, keeps the newest N, and for each other image deregisters it, scans
# every snapshot for ones whose description names the image, and deletes those.
#
#   baseline-prune.sh PROJECT KEEP      (AWS_ENDPOINT_URL, credentials and region from the env)
set -euo pipefail

project="$1"
keep="$2"

mapfile -t doomed < <(
  aws ec2 describe-images --owners self \
    --filters "Name=tag:ami-pipeline:project,Values=$project" \
    --query 'Images[].[CreationDate,ImageId]' --output text |
    sort -r | tail -n +"$((keep + 1))" | cut -f2
)

for image in "${doomed[@]}"; do
  aws ec2 deregister-image --image-id "$image" >/dev/null
  mapfile -t snapshots < <(
    aws ec2 describe-snapshots --owner-ids self --output json |
      jq -r --arg id "$image" '.Snapshots[] | select(.Description | contains($id)) | .SnapshotId'
  )
  for snapshot in "${snapshots[@]}"; do
    aws ec2 delete-snapshot --snapshot-id "$snapshot" >/dev/null
  done
done
echo "baseline: deregistered ${#doomed[@]} images"
