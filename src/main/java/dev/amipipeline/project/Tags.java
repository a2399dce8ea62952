package dev.amipipeline.project;

/** Tag keys put on AMIs, snapshots, instances and builder instances (a contract). */
public final class Tags {
  public static final String PROJECT = "ami-pipeline:project";
  public static final String INPUTS = "ami-pipeline:inputs";
  public static final String SOURCE_AMI = "ami-pipeline:source-ami";
  public static final String COMMIT = "ami-pipeline:commit";
  public static final String BUILDER = "ami-pipeline:builder";
  public static final String NAME = "Name";

  private Tags() {}
}
