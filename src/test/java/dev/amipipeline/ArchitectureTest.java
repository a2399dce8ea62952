package dev.amipipeline;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.CompositeArchRule;
import dev.amipipeline.bake.BuilderHost;
import dev.amipipeline.bake.SshTarget;
import dev.amipipeline.launch.InstanceHost;
import dev.amipipeline.launch.LaunchPlan;
import dev.amipipeline.launch.LaunchReport;
import java.util.List;

/**
 * The design, as rules that fail the build when the code drifts from it: pure cores stay pure, picocli
 * stays in cli/, features meet only through the interfaces made for it, nothing depends on the CLI.
 */
@AnalyzeClasses(packages = "dev.amipipeline", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  /** The packages that each do one job of the tool; they share common/, aws/, project/ and the support packages. */
  static final List<String> FEATURES = List.of("bake", "launch", "prune", "local", "runs");

  @ArchTest
  static final ArchRule pureCoresTouchNoAwsNoPicocliNoFiles = noClasses()
      .that().haveSimpleNameEndingWith("Planner")
      .or().haveSimpleNameEndingWith("Argv")
      .or().haveSimpleNameEndingWith("Table")
      .or().haveSimpleNameEndingWith("Chooser")
      .should().dependOnClassesThat().resideInAnyPackage("software.amazon.awssdk..", "picocli..")
      .orShould().dependOnClassesThat().belongToAnyOf(java.nio.file.Files.class)
      .because("planners, tables and argument lists are pure: plain values in, plain values out, tested without AWS");

  @ArchTest
  static final ArchRule onlyCliUsesPicocli = noClasses()
      .that().resideOutsideOfPackages("dev.amipipeline.cli..", "dev.amipipeline.cds..")
      .should().dependOnClassesThat().resideInAPackage("picocli..")
      .because("flags are the CLI's business; features take plain values (a LaunchRequest, BakeSettings);"
          + " the AppCDS training run renders the usage messages to load their classes");

  @ArchTest
  static final ArchRule nothingDependsOnTheCli = noClasses()
      .that().resideOutsideOfPackages("dev.amipipeline.cli..", "dev.amipipeline.cds..")
      .should().dependOnClassesThat().resideInAPackage("dev.amipipeline.cli..")
      .because("the CLI is the outermost layer; only the AppCDS training run, which exists to exercise it, looks in");

  @ArchTest
  static final ArchRule featuresDoNotDependOnEachOther = CompositeArchRule.of(
      FEATURES.stream().filter(f -> !f.equals("local")).map(ArchitectureTest::featureKeepsToItself).toList())
      .because("a change to one feature must not ripple into another: they meet in shared packages or an interface");

  @ArchTest
  static final ArchRule localReachesLaunchOnlyThroughInstanceHost = noClasses()
      .that().resideInAPackage("dev.amipipeline.local..")
      .should().dependOnClassesThat(resideInAPackage("dev.amipipeline.launch..")
          .and(not(belongToAnyOf(InstanceHost.class, LaunchPlan.class, LaunchReport.class))))
      .because("local instances plug into launch behind InstanceHost, as bake's builder does behind BuilderHost");

  @ArchTest
  static final ArchRule localReachesBakeOnlyThroughBuilderHost = noClasses()
      .that().resideInAPackage("dev.amipipeline.local..")
      .should().dependOnClassesThat(resideInAPackage("dev.amipipeline.bake..")
          .and(not(belongToAnyOf(BuilderHost.class, SshTarget.class))))
      .because("a local builder stands in for the builder instance behind BuilderHost and nothing else of bake");

  @ArchTest
  static final ArchRule noFeatureDependsOnLocal = noClasses()
      .that().resideInAnyPackage(FEATURES.stream().filter(f -> !f.equals("local"))
          .map(f -> "dev.amipipeline." + f + "..").toArray(String[]::new))
      .should().dependOnClassesThat().resideInAPackage("dev.amipipeline.local..")
      .because("local instances are one implementation of an interface of bake and launch, chosen by the CLI");

  /** No class of {@code feature} uses another feature (local is checked by its own rules). */
  private static ArchRule featureKeepsToItself(String feature) {
    String[] others = FEATURES.stream().filter(f -> !f.equals(feature) && !f.equals("local"))
        .map(f -> "dev.amipipeline." + f + "..").toArray(String[]::new);
    return noClasses().that().resideInAPackage("dev.amipipeline." + feature + "..")
        .should().dependOnClassesThat().resideInAnyPackage(others);
  }
}
