package dev.amipipeline.runs;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectRepository;
import dev.amipipeline.project.Tags;
import dev.amipipeline.results.RunId;
import java.time.Instant;
import java.util.Optional;

/**
 * The run a user named on the command line: what can be wrong with the words is exit 2 before any
 * AWS call ({@link #asked}); a run no project holds is exit 2 after reading ({@link #find}). Nothing
 * is changed either way.
 */
public final class RunLookup {

  /**
   * What was asked.
   *
   * @param project the run's project when known without AWS (a run id names it; else --project); null
   *     for an instance id without --project
   */
  public record Asked(RunId id, String project) {}

  private RunLookup() {}

  public static Asked asked(String run, String projectFlag) {
    RunId id = RunId.parse(run);
    if (projectFlag != null) {
      ProjectRepository.checkName(projectFlag);
      if (!id.isInstanceId() && !projectFlag.equals(id.project())) {
        throw otherProject(id.value(), id.project(), projectFlag);
      }
    }
    return new Asked(id, id.isInstanceId() ? projectFlag : id.project());
  }

  /**
   * The run asked for. An instance id names the run of an instance started without a run id; one of
   * a run started by {@code ami launch} is refused with the run's id (a run is the unit, never one of
   * its instances).
   */
  public static Run find(RunsReader reader, ProjectRepository projects, Asked asked, Instant now) {
    RunId id = asked.id();
    Project project = asked.project() == null ? null : projects.load(asked.project());
    if (id.isInstanceId()) {
      Optional<ListedInstance> listed = reader.instances().byId(id.value());
      if (listed.isPresent()) {
        ListedInstance i = listed.get();
        if (i.project() == null) {
          throw new AmiException.BadInput(id + " is no instance of an ami-pipeline project (it has no " + Tags.PROJECT
              + " tag)");
        }
        if (project != null && !project.name().equals(i.project())) {
          throw otherProject(id.value(), i.project(), project.name());
        }
        if (!i.run().equals(id)) {
          throw new AmiException.BadInput(id + " is an instance of run " + i.run() + ": name the run, " + i.run());
        }
        project = project != null ? project : projects.load(i.project());
      } else if (project == null) {
        project = reader.holding(id, projects.loadAll()).orElseThrow(() -> new AmiException.BadInput("no run " + id
            + ": EC2 lists no such instance and no project's results hold it (see 'ami runs')"));
      }
    }
    Project of = project;
    return reader.one(of, id, now).orElseThrow(() -> new AmiException.BadInput("no run " + id + " of project "
        + of.name() + ": EC2 lists none of its instances and " + reader.stored(of).layout().run(id).uri()
        + " holds nothing (see 'ami runs --project " + of.name() + "')"));
  }

  private static AmiException otherProject(String run, String itsProject, String asked) {
    return new AmiException.BadInput("run " + run + " is a run of project " + itsProject + ", not " + asked
        + ": drop --project, or pick a run of " + asked + " (ami runs --project " + asked + ")");
  }
}
