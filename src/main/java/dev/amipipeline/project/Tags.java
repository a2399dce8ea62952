package dev.amipipeline.project;

/** Tag keys put on AMIs, snapshots, instances, volumes, fleets and builder instances (a contract). */
public final class Tags {
  public static final String PROJECT = "ami-pipeline:project";
  public static final String INPUTS = "ami-pipeline:inputs";
  public static final String SOURCE_AMI = "ami-pipeline:source-ami";
  public static final String COMMIT = "ami-pipeline:commit";
  public static final String BUILDER = "ami-pipeline:builder";
  public static final String NAME = "Name";
  /** The run an instance, volume or fleet belongs to; the instance reads it through IMDS. */
  public static final String RUN = "ami-pipeline:run";
  /** Instances per attempt of a run, on its instances when more than one. */
  public static final String NODES = "ami-pipeline:nodes";
  /** How many attempts a recovering run gets, on its instances: the instance side knows by it that the run recovers. */
  public static final String MAX_ATTEMPTS = "ami-pipeline:max-attempts";
  /** After how many interruptions a recovering run's fleet goes on demand, on its instances; absent = never. */
  public static final String ON_DEMAND_AFTER = "ami-pipeline:on-demand-after";
  /** Set by {@code ami cancel} on a run's live instances just before it terminates them (ISO-8601 UTC). */
  public static final String CANCELLED = "ami-pipeline:cancelled";

  private Tags() {}
}
