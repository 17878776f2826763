package org.llmri.paradigm;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.llmri.LlmriException;

/**
 * What to scan and how: the subject (model), the units recorded (taps), how the subject answers (generation),
 * and the paradigm (tasks, their prompt sources, the block design and the number of runs). Written as a study
 * YAML file; {@link Paradigms#builtin(String)} gives the built-in ones, whose values are also the defaults of
 * every field a YAML file leaves out.
 *
 * @param taps presets (all, residual, attention, mlp) and/or tap names or globs such as {@code layers.*.fc1};
 *             the union is recorded (the probe package resolves them against the model)
 * @param seed drives every random choice: prompt assignment, random strings, and sampling if enabled
 * @param acquisition generate (a time point per generated token) or read (a time point per prompt token)
 * @param revisions model revisions (tags, branches or commits of the repo id in {@code model}) scanned one by one
 *                  with the same plan, a checkpoint study; empty for a study of one model state
 */
public record Study(String name, String model, List<String> taps, StorageDtype storageDtype, Generation generation,
                    ContextMode context, Design design, int runsPerTask, long seed, List<Task> tasks,
                    PromptSource control, Acquisition acquisition, List<String> revisions) {

    public Study {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(model, "model");
        taps = List.copyOf(taps);
        Objects.requireNonNull(storageDtype, "storageDtype");
        Objects.requireNonNull(generation, "generation");
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(design, "design");
        tasks = List.copyOf(tasks);
        Objects.requireNonNull(control, "control");
        Objects.requireNonNull(acquisition, "acquisition");
        revisions = List.copyOf(revisions);
    }

    /** A study of one model state (no {@code revisions} list). */
    public Study(String name, String model, List<String> taps, StorageDtype storageDtype, Generation generation,
                 ContextMode context, Design design, int runsPerTask, long seed, List<Task> tasks,
                 PromptSource control, Acquisition acquisition) {
        this(name, model, taps, storageDtype, generation, context, design, runsPerTask, seed, tasks, control, acquisition, List.of());
    }

    /**
     * Reads a study YAML file. Fields left out take the built-in {@code galactica-fmri} values; bank paths are
     * relative to the file's folder. Any problem is an {@link LlmriException} naming the file, line and field.
     */
    public static Study load(Path yaml) {
        return StudyYaml.load(yaml);
    }

    /** Parses study YAML text; {@code label} names it in messages, {@code baseDir} resolves bank paths. */
    public static Study parse(String yamlText, String label, Path baseDir) {
        return StudyYaml.parse(yamlText, label, baseDir);
    }

    /** The study as an editable YAML document with every field written out; {@link #load} reads it back equal. */
    public String toYaml() {
        return StudyYaml.write(this);
    }

    /** Throws an {@link LlmriException} for the first rule the study breaks (bank sizes included). */
    public void validate() {
        List<StudyCheck.Problem> problems = StudyCheck.problems(this);
        if (!problems.isEmpty()) throw new LlmriException("study " + name + ": " + problems.getFirst().message());
    }

    /** Every run with its prompts, deterministic from the study (and its seed). Validates first. */
    public StudyPlan plan() {
        validate();
        return Planner.plan(this);
    }

    /** Time points of one run in generate mode: every generated token of every prompt (read mode: known after tokenizing). */
    public int timePointsPerRun() {
        return design.promptsPerRun() * generation.maxNewTokens();
    }

    public Task task(String id) {
        return tasks.stream().filter(t -> t.id().equals(id)).findFirst()
                .orElseThrow(() -> new LlmriException("study " + name + ": no task '" + id + "' (tasks: "
                        + String.join(", ", tasks.stream().map(Task::id).toList()) + ")"));
    }

    public Study withName(String v) {
        return new Study(v, model, taps, storageDtype, generation, context, design, runsPerTask, seed, tasks, control, acquisition, revisions);
    }

    public Study withModel(String v) {
        return new Study(name, v, taps, storageDtype, generation, context, design, runsPerTask, seed, tasks, control, acquisition, revisions);
    }

    public Study withTaps(List<String> v) {
        return new Study(name, model, v, storageDtype, generation, context, design, runsPerTask, seed, tasks, control, acquisition, revisions);
    }

    public Study withStorageDtype(StorageDtype v) {
        return new Study(name, model, taps, v, generation, context, design, runsPerTask, seed, tasks, control, acquisition, revisions);
    }

    public Study withGeneration(Generation v) {
        return new Study(name, model, taps, storageDtype, v, context, design, runsPerTask, seed, tasks, control, acquisition, revisions);
    }

    public Study withContext(ContextMode v) {
        return new Study(name, model, taps, storageDtype, generation, v, design, runsPerTask, seed, tasks, control, acquisition, revisions);
    }

    public Study withDesign(Design v) {
        return new Study(name, model, taps, storageDtype, generation, context, v, runsPerTask, seed, tasks, control, acquisition, revisions);
    }

    public Study withRunsPerTask(int v) {
        return new Study(name, model, taps, storageDtype, generation, context, design, v, seed, tasks, control, acquisition, revisions);
    }

    public Study withSeed(long v) {
        return new Study(name, model, taps, storageDtype, generation, context, design, runsPerTask, v, tasks, control, acquisition, revisions);
    }

    public Study withTasks(List<Task> v) {
        return new Study(name, model, taps, storageDtype, generation, context, design, runsPerTask, seed, v, control, acquisition, revisions);
    }

    public Study withAcquisition(Acquisition v) {
        return new Study(name, model, taps, storageDtype, generation, context, design, runsPerTask, seed, tasks, control, v, revisions);
    }

    /** Model revisions scanned one by one with the same plan (a checkpoint study); empty for one model state. */
    public Study withRevisions(List<String> v) {
        return new Study(name, model, taps, storageDtype, generation, context, design, runsPerTask, seed, tasks, control, acquisition, v);
    }

    public Study withControl(PromptSource v) {
        return new Study(name, model, taps, storageDtype, generation, context, design, runsPerTask, seed, tasks, v, acquisition, revisions);
    }
}
