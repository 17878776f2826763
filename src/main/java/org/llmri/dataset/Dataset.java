package org.llmri.dataset;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a scan's files go: a BIDS-derivative-style layout with one subject per model
 * ({@code sub-<model>/func/sub-<model>_task-<task>_run-<n>_activations.npy} and friends). The one place
 * that names a dataset's files; {@link Runs} finds them again and says which runs are complete.
 *
 * <p>A run is complete when its sidecar ({@code _activations.json}) exists: the scanner writes it last, after
 * the activations and the events. The scan is complete when {@code dataset_description.json} exists, which is
 * written after every run. {@code scan_plan.tsv}, written first, lists the runs the scan will hold.
 */
public record Dataset(Path root, String subject) {
    public static final String STUDY_FILE = "study.yaml";
    public static final String UNITS_FILE = "units.tsv";
    public static final String DESCRIPTION_FILE = "dataset_description.json";
    public static final String PLAN_FILE = "scan_plan.tsv";

    /** A BIDS label (letters and digits) for a model argument: {@code facebook/galactica-125m} -> {@code galactica125m}. */
    public static String subjectFor(String model) {
        String s = model.strip();
        int at = s.indexOf('@');
        if (at >= 0) s = s.substring(0, at);
        while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
        int slash = s.lastIndexOf('/');
        if (slash >= 0) s = s.substring(slash + 1);
        String label = s.replaceAll("[^A-Za-z0-9]", "").toLowerCase(Locale.ROOT);
        return label.isEmpty() ? "model" : label;
    }

    public Path funcDir() {
        return funcDir(root, subject);
    }

    public static Path funcDir(Path root, String subject) {
        return root.resolve("sub-" + subject).resolve("func");
    }

    public String prefix(String task, int run) {
        return BidsNames.runPrefix(subject, task, run);
    }

    public Path activations(String task, int run) {
        return funcDir().resolve(prefix(task, run) + BidsNames.ACTIVATIONS);
    }

    /** The run's fused statistics: per prompt and unit, the sum and the sum of squares ({@link RunStatistics}). */
    public Path promptStats(String task, int run) {
        return funcDir().resolve(prefix(task, run) + BidsNames.PROMPT_STATS);
    }

    /** The run's token-level GLM statistics ({@link TokenStatistics}). */
    public Path tokenStats(String task, int run) {
        return funcDir().resolve(prefix(task, run) + BidsNames.TOKEN_STATS);
    }

    /** The design the run's token-level statistics were accumulated with. */
    public Path tokenDesign(String task, int run) {
        return funcDir().resolve(prefix(task, run) + BidsNames.TOKEN_DESIGN);
    }

    public Path events(String task, int run) {
        return funcDir().resolve(prefix(task, run) + BidsNames.EVENTS);
    }

    public Path sidecar(String task, int run) {
        return funcDir().resolve(prefix(task, run) + BidsNames.SIDECAR);
    }

    public Path units() {
        return root.resolve(UNITS_FILE);
    }

    public Path study() {
        return root.resolve(STUDY_FILE);
    }

    public Path description() {
        return root.resolve(DESCRIPTION_FILE);
    }

    public Path plan() {
        return root.resolve(PLAN_FILE);
    }
}
