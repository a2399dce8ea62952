package dev.amipipeline.project;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Json;
import dev.amipipeline.common.Lines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The project files in one folder ({@code packer/projects} by default), read strictly. */
public final class ProjectRepository {

  private final Path dir;

  public ProjectRepository(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  /** Project names with a file in the folder, sorted. */
  public List<String> names() {
    if (!Files.isDirectory(dir)) {
      throw new AmiException.BadInput(
          "projects folder " + dir + " does not exist; pass --projects-dir or run from the repository root");
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".json"))
          .map(n -> n.substring(0, n.length() - ".json".length()))
          .sorted()
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new AmiException.BadInput("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  public List<Project> loadAll() {
    List<Project> all = new ArrayList<>();
    for (String name : names()) {
      all.add(load(name));
    }
    return all;
  }

  public Project load(String name) {
    checkName(name);
    Path file = dir.resolve(name + ".json");
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new AmiException.BadInput(
          "no project file " + file + knownProjectsHint() + "; create it or check --projects-dir");
    } catch (IOException e) {
      throw new AmiException.BadInput(file + ": cannot read: " + e.getMessage(), e);
    }
    return parse(name, file, bytes);
  }

  /** Parses and validates one project file's bytes; errors name the file and the field path. */
  public static Project parse(String name, Path file, byte[] bytes) {
    checkName(name);
    if (new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
      throw new AmiException.BadInput(file + ": is empty; a project file is a JSON object");
    }
    ProjectSpec spec;
    try {
      spec = Json.STRICT.readValue(bytes, ProjectSpec.class);
    } catch (JsonProcessingException e) {
      throw new AmiException.BadInput(file + ": " + describe(e), e);
    } catch (IOException e) {
      throw new AmiException.BadInput(file + ": cannot read: " + e.getMessage(), e);
    }
    if (spec == null) {
      throw new AmiException.BadInput(file + ": is null; a project file is a JSON object");
    }
    List<ProjectValidator.Problem> problems = ProjectValidator.validate(spec);
    if (!problems.isEmpty()) {
      String more = problems.size() > 1 ? " (and " + (problems.size() - 1) + " more problems)" : "";
      throw new AmiException.BadInput(file + ": " + problems.get(0) + more);
    }
    return new Project(name, file, spec);
  }

  public static void checkName(String name) {
    if (name == null || !Project.NAME.matcher(name).matches()) {
      throw new AmiException.BadInput(
          "project name '" + name + "' is invalid: use 1-39 lowercase letters, digits and dashes,"
              + " starting with a letter or digit (" + Project.NAME.pattern() + ")");
    }
  }

  private String knownProjectsHint() {
    try {
      List<String> names = names();
      return names.isEmpty() ? " (the folder has no projects)" : " (projects here: " + String.join(", ", names) + ")";
    } catch (AmiException e) {
      return "";
    }
  }

  /** Turns Jackson's exceptions into "field.path: what is wrong". */
  static String describe(JsonProcessingException e) {
    if (e.getCause() instanceof JsonProcessingException syntax && !(e.getCause() instanceof JsonMappingException)) {
      return syntaxError(syntax);
    }
    if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
      String path = path(mapping.getPath());
      if (e instanceof UnrecognizedPropertyException unknown) {
        String known = unknown.getKnownPropertyIds().stream().map(Object::toString).sorted()
            .collect(Collectors.joining(", "));
        return path + ": unknown field (known here: " + known + ")";
      }
      if (e instanceof InvalidFormatException bad) {
        return path + ": '" + bad.getValue() + "' is not " + typeName(bad.getTargetType());
      }
      if (e instanceof MismatchedInputException mismatch) {
        return path + ": wrong type, expected " + typeName(mismatch.getTargetType());
      }
      return path + ": " + e.getOriginalMessage();
    }
    return syntaxError(e);
  }

  private static String syntaxError(JsonProcessingException e) {
    var at = e.getLocation();
    String where = at == null ? "" : "line " + at.getLineNr() + " column " + at.getColumnNr() + ": ";
    String message = Lines.first(e.getOriginalMessage());
    int detail = message.indexOf(" (start marker");
    return where + "not valid JSON: " + (detail < 0 ? message : message.substring(0, detail));
  }

  private static String path(List<JsonMappingException.Reference> refs) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : refs) {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.length() == 0 ? "(top level)" : sb.toString();
  }

  private static String typeName(Class<?> type) {
    if (type == null) {
      return "another type";
    }
    if (type == Integer.class || type == int.class || type == Long.class) {
      return "a whole number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type == String.class) {
      return "a string";
    }
    if (List.class.isAssignableFrom(type)) {
      return "a list";
    }
    if (java.util.Map.class.isAssignableFrom(type) || type.isRecord()) {
      return "an object";
    }
    return type.getSimpleName();
  }
}
