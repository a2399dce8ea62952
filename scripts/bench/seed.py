#!/usr/bin/env python3
"""Seeds an AWS emulator with images the way `ami bake` leaves them, for the benchmark.

Each image is registered with two EBS snapshots, tagged per the contract (image and snapshots alike),
and the newest ones are recorded as versions of <prefix>/<project>/ami-id. The emulator registers
one snapshot per image itself (RegisterImage ignores the block device mappings it is given), so the
second is made from a volume with the description EC2's CreateImage gives its snapshots
("Created by CreateImage(i-…) for ami-…") and the image's tags, which is how both the tool and the
shell baseline recognise it as the image's. The newest --newest images are registered after
a pause so their creation dates are strictly later than the rest (EC2 dates have 1 s resolution),
which makes "the newest N" the same set for every tool being compared.

    seed.py --endpoint http://127.0.0.1:PORT --project bench --images 300 [--newest 3]
"""
import argparse
import time

import boto3


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint", required=True)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--project", required=True)
    p.add_argument("--images", type=int, required=True)
    p.add_argument("--newest", type=int, default=3)
    p.add_argument("--ssm-prefix", default="/ami-pipeline")
    p.add_argument("--snapshots", type=int, default=2, choices=(1, 2), help="EBS snapshots per image")
    args = p.parse_args()

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=args.region)
    ec2 = session.client("ec2", endpoint_url=args.endpoint)
    ssm = session.client("ssm", endpoint_url=args.endpoint)

    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]

    def bake(i):
        name = f"{args.project}-{i:05d}"
        image = ec2.register_image(Name=name, Architecture="x86_64", RootDeviceName="/dev/sda1",
                                   VirtualizationType="hvm")["ImageId"]
        mappings = ec2.describe_images(ImageIds=[image])["Images"][0]["BlockDeviceMappings"]
        snapshots = [m["Ebs"]["SnapshotId"] for m in mappings if "Ebs" in m]
        if args.snapshots == 2:
            volume = ec2.create_volume(AvailabilityZone=zone, Size=8)["VolumeId"]
            snapshots.append(ec2.create_snapshot(
                VolumeId=volume, Description=f"Created by CreateImage(i-0seed{i:08d}) for {image} from {volume}")["SnapshotId"])
            ec2.delete_volume(VolumeId=volume)
        tags = [{"Key": "ami-pipeline:project", "Value": args.project},
                {"Key": "ami-pipeline:inputs", "Value": f"seed{i}"},
                {"Key": "ami-pipeline:source-ami", "Value": "ami-00000000"},
                {"Key": "ami-pipeline:commit", "Value": "unknown"},
                {"Key": "Name", "Value": name}]
        ec2.create_tags(Resources=[image, *snapshots], Tags=tags)
        return image

    older = args.images - args.newest
    for i in range(older):
        bake(i)
    time.sleep(1.1)
    for i in range(older, args.images):
        image = bake(i)
        ssm.put_parameter(Name=f"{args.ssm_prefix}/{args.project}/ami-id", Value=image, Type="String",
                          DataType="aws:ec2:image", Overwrite=True)


if __name__ == "__main__":
    main()
