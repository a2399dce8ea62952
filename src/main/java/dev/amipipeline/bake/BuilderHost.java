package dev.amipipeline.bake;

import dev.amipipeline.project.Project;
import java.util.Collection;
import java.util.List;

/**
 * Something that stands in for the builder instance Packer provisions over SSH, for the length of
 * one build: a local container while an emulator plays EC2 ({@code ami bake --local-root}). Packer
 * still runs the whole amazon-ebs flow against the endpoint; only its SSH goes here.
 */
public interface BuilderHost {

  /** Starts a builder for {@code project}, ready for Packer's SSH. */
  Session start(Project project);

  /** One started builder; closing it stops it and removes what it left. */
  interface Session extends AutoCloseable {

    /** Where Packer connects, with the key the builder trusts. */
    SshTarget target();

    /**
     * Packer made {@code amiIds} (one per region) from the provisioned builder: keep what the
     * builder became as their image. Runs before anything is recorded. Returns notes for the report.
     */
    List<String> keep(Collection<String> amiIds);

    @Override
    void close();
  }
}
