package org.llmri.paradigm;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules a study must follow, checked on the {@link Study} value so that YAML files and studies built in code
 * are held to the same rules. Each problem carries the YAML path of the field at fault so the loader can point at
 * its line.
 */
final class StudyCheck {
    /**
     * @param path      the field at fault in YAML terms, e.g. {@code design.prompts_per_block} or {@code tasks[2].bank}
     * @param alsoAbout other fields that share the blame, pointed at when {@code path} is not written in the file
     *                  (a built-in bank left implicit is too small because of the runs_per_task the file asks for)
     */
    record Problem(String path, String message, List<String> alsoAbout) {
        Problem(String path, String message) {
            this(path, message, List.of());
        }
    }

    static final Set<String> TAP_PRESETS = Set.of("all", "residual", "attention", "mlp");
    static final Pattern STUDY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    static final Pattern TAP_PATTERN = Pattern.compile("[A-Za-z0-9_.*?\\[\\]-]+");

    // Bounds that keep a plan (and the scan it drives) within reason; each is far above any sensible study.
    static final int MAX_NEW_TOKENS = 1_000_000;
    static final int MAX_BLOCKS = 10_000;
    static final int MAX_PROMPTS_PER_BLOCK = 100_000;
    static final int MAX_RUNS = 1_000;
    static final int MAX_TASKS = 1_000;
    static final long MAX_TIME_POINTS_PER_RUN = 10_000_000;
    static final long MAX_PROMPTS_PER_STUDY = 1_000_000;
    static final int MAX_RANDOM_CHARS = 4_096;

    /** The fields that set how many prompts a study needs. */
    private static final List<String> SIZE_FIELDS = List.of("runs_per_task", "design.prompts_per_block", "design.pattern");

    private StudyCheck() {}

    static List<Problem> problems(Study s) {
        List<Problem> out = new ArrayList<>();
        if (!STUDY_NAME.matcher(s.name()).matches()) {
            out.add(new Problem("name", "name must start with a letter or digit and hold only letters, digits, '.', '_' or '-' (got '"
                    + s.name() + "')"));
        }
        if (s.model().isBlank() || s.model().contains("\n")) {
            out.add(new Problem("model", "model must be a folder or a Hugging Face repo id[@revision] (got '" + s.model() + "')"));
        }
        if (s.taps().isEmpty()) out.add(new Problem("taps", "taps must name at least one preset or tap"));
        for (int i = 0; i < s.taps().size(); i++) {
            String tap = s.taps().get(i);
            if (!TAP_PRESETS.contains(tap) && !TAP_PATTERN.matcher(tap).matches()) {
                out.add(new Problem(s.taps().size() == 1 ? "taps" : "taps[" + i + "]", "taps: '" + tap
                        + "' is neither a preset (all, residual, attention, mlp) nor a tap name or glob like layers.*.fc1"));
            }
        }

        Generation g = s.generation();
        if (g.maxNewTokens() < 1 || g.maxNewTokens() > MAX_NEW_TOKENS) {
            out.add(new Problem("generation.max_new_tokens", "generation.max_new_tokens must be a positive integer up to "
                    + MAX_NEW_TOKENS + " (got " + g.maxNewTokens() + ")"));
        }
        if (!(g.temperature() > 0) || Double.isInfinite(g.temperature())) {
            out.add(new Problem("generation.temperature", "generation.temperature must be a positive number (got " + g.temperature() + ")"));
        }
        if (g.topK() < 0) {
            out.add(new Problem("generation.top_k", "generation.top_k must be 0 (no limit) or a positive integer (got " + g.topK() + ")"));
        }
        if (!(g.topP() > 0 && g.topP() <= 1)) {
            out.add(new Problem("generation.top_p", "generation.top_p must be in (0, 1] (got " + g.topP() + ")"));
        }
        if (g.batchSize() < 0) {
            out.add(new Problem("generation.batch_size", "generation.batch_size must be 0 (a whole run) or a positive integer (got "
                    + g.batchSize() + ")"));
        }

        Acquisition a = s.acquisition();
        if (a.batchSize() < 0) {
            out.add(new Problem("read.batch_size", "read.batch_size must be 0 (a whole run) or a positive integer (got "
                    + a.batchSize() + ")"));
        }
        if (a.reads() && s.context() == ContextMode.CONTINUOUS) {
            out.add(new Problem("context", "context: continuous needs acquisition: generate (reading mode reads each prompt on its own)"));
        }

        Design d = s.design();
        if (d.pattern().isEmpty() || d.pattern().size() > MAX_BLOCKS) {
            out.add(new Problem("design.pattern", "design.pattern must list 1 to " + MAX_BLOCKS + " blocks (got " + d.pattern().size() + ")"));
        } else if (d.onBlocks() == 0) {
            out.add(new Problem("design.pattern", "design.pattern needs at least one 'on' block"));
        }
        if (d.promptsPerBlock() < 1 || d.promptsPerBlock() > MAX_PROMPTS_PER_BLOCK) {
            out.add(new Problem("design.prompts_per_block", "design.prompts_per_block must be a positive integer up to "
                    + MAX_PROMPTS_PER_BLOCK + " (got " + d.promptsPerBlock() + ")"));
        }
        if (s.runsPerTask() < 1 || s.runsPerTask() > MAX_RUNS) {
            out.add(new Problem("runs_per_task", "runs_per_task must be a positive integer up to " + MAX_RUNS
                    + " (got " + s.runsPerTask() + ")"));
        }
        if (s.tasks().isEmpty() || s.tasks().size() > MAX_TASKS) {
            out.add(new Problem("tasks", "tasks must list 1 to " + MAX_TASKS + " tasks (got " + s.tasks().size() + ")"));
        }
        if (!out.isEmpty()) return out; // sizes below assume the numbers above are sane

        long timePoints = (long) d.promptsPerRun() * g.maxNewTokens();
        if (!a.reads() && timePoints > MAX_TIME_POINTS_PER_RUN) {
            out.add(new Problem("design", "a run would have " + timePoints + " time points (" + d.promptsPerRun()
                    + " prompts x " + g.maxNewTokens() + " tokens); the limit is " + MAX_TIME_POINTS_PER_RUN));
        }
        long studyPrompts = (long) d.promptsPerRun() * s.runsPerTask() * s.tasks().size();
        if (studyPrompts > MAX_PROMPTS_PER_STUDY) {
            out.add(new Problem("design", "the study would hold " + studyPrompts + " prompts; the limit is " + MAX_PROMPTS_PER_STUDY));
        }
        if (!out.isEmpty()) return out;

        Map<String, Integer> seenIds = new HashMap<>();
        for (int i = 0; i < s.tasks().size(); i++) {
            Task t = s.tasks().get(i);
            String at = "tasks[" + i + "]";
            if (!PromptBank.LABEL.matcher(t.id()).matches()) {
                out.add(new Problem(at + ".id", at + ".id must be a BIDS label, letters and digits only (got '" + t.id() + "')"));
            } else if (t.id().equalsIgnoreCase("control")) {
                out.add(new Problem(at + ".id", at + ".id 'control' is reserved for the control condition's prompt ids"));
            } else {
                Integer earlier = seenIds.putIfAbsent(t.id().toLowerCase(Locale.ROOT), i);
                if (earlier != null) {
                    out.add(new Problem(at + ".id", at + ".id '" + t.id() + "' repeats the id of tasks[" + earlier
                            + "] (ids must differ, ignoring case, as they name files)"));
                }
            }
            if (t.name().isBlank() || t.name().contains("\n")) {
                out.add(new Problem(at + ".name", at + ".name must be one non-blank line"));
            }
            String what = " (task " + t.id() + ")";
            long need = (long) s.runsPerTask() * d.onPromptsPerRun();
            String why = s.runsPerTask() + " runs x " + d.onBlocks() + " on-blocks x " + d.promptsPerBlock()
                    + " prompts per block need " + need + " distinct prompts (runs of a task never share a prompt)";
            checkSource(t.source(), at, what, need, why, d.onPromptsPerRun() * (long) s.runsPerTask(), out);
        }
        if (d.offBlocks() > 0) {
            long need = d.offPromptsPerRun();
            String why = "a run's " + d.offBlocks() + " off-blocks x " + d.promptsPerBlock()
                    + " prompts per block need " + need + " distinct prompts";
            checkSource(s.control(), "control", "", need, why, d.offPromptsPerRun() * (long) s.runsPerTask() * s.tasks().size(), out);
        }
        return out;
    }

    private static void checkSource(PromptSource source, String at, String what, long need, String why,
                                     long generatedPerTask, List<Problem> out) {
        switch (source) {
            case PromptSource.Inline in -> {
                Map<String, Integer> seen = new HashMap<>();
                for (int j = 0; j < in.prompts().size(); j++) {
                    String p = in.prompts().get(j);
                    if (p.isBlank()) {
                        out.add(new Problem(at + ".prompts[" + j + "]", at + ".prompts[" + j + "] is blank"));
                        return;
                    }
                    Integer earlier = seen.putIfAbsent(p, j);
                    if (earlier != null) {
                        out.add(new Problem(at + ".prompts[" + j + "]", at + ".prompts[" + j + "] repeats prompts[" + earlier
                                + "]; prompts must be distinct so that runs never share one"));
                        return;
                    }
                }
                if (in.prompts().size() < need) {
                    out.add(new Problem(at + ".prompts", at + ".prompts" + what + ": " + in.prompts().size() + " prompts listed but " + why,
                            SIZE_FIELDS));
                }
            }
            case PromptSource.RandomStrings r -> {
                if (r.minChars() < 1 || r.maxChars() < r.minChars() || r.maxChars() > MAX_RANDOM_CHARS) {
                    out.add(new Problem(at + ".generator", at + ".generator needs 1 <= min_chars <= max_chars <= "
                            + MAX_RANDOM_CHARS + " (got " + r.minChars() + ".." + r.maxChars() + ")"));
                } else if (generatedPerTask * r.maxChars() > 200_000_000L) {
                    out.add(new Problem(at + ".generator", at + ".generator would write up to "
                            + generatedPerTask * r.maxChars() + " characters; the limit is 200000000"));
                }
            }
            case PromptSource.BuiltinBank b when !PromptBank.BUILTIN.contains(b.name()) ->
                    out.add(new Problem(at + ".bank", at + ".bank: no built-in bank '" + b.name() + "' (there are: "
                            + String.join(", ", PromptBank.BUILTIN) + ")"));
            case PromptSource.BuiltinBank b -> checkBank(b.ref(), () -> PromptBank.builtin(b.name(), "x"), at + ".bank", what, need, why, out);
            case PromptSource.FileBank f -> {
                if (!java.nio.file.Files.isRegularFile(f.file())) {
                    out.add(new Problem(at + ".bank", at + ".bank: bank file " + f.ref() + " not found (looked for " + f.file() + ")"));
                } else {
                    checkBank(f.ref(), () -> PromptBank.read(f.file(), f.ref(), "x"), at + ".bank", what, need, why, out);
                }
            }
        }
    }

    private static void checkBank(String ref, java.util.function.Supplier<PromptBank> load, String path, String what,
                                  long need, String why, List<Problem> out) {
        PromptBank bank = load.get(); // a malformed bank file throws an error that names its own file and line
        if (bank.size() < need) {
            out.add(new Problem(path, path + what + ": " + ref + " has " + bank.size() + " prompts but " + why, SIZE_FIELDS));
        }
    }
}
