package org.llmri.scan;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a scan's files go: a BIDS-derivative-style layout with one subject per model
 * ({@code sub-<model>/func/sub-<model>_task-<task>_run-<n>_activations.npy} and friends).
 */
public record Dataset(Path root, String subject) {
    public static final String STUDY_FILE = "study.yaml";
    public static final String UNITS_FILE = "units.tsv";
    public static final String DESCRIPTION_FILE = "dataset_description.json";

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
        return root.resolve("sub-" + subject).resolve("func");
    }

    public String prefix(String task, int run) {
        return "sub-" + subject + "_task-" + task + "_run-" + run;
    }

    public Path activations(String task, int run) {
        return funcDir().resolve(prefix(task, run) + "_activations.npy");
    }

    public Path events(String task, int run) {
        return funcDir().resolve(prefix(task, run) + "_events.tsv");
    }

    public Path sidecar(String task, int run) {
        return funcDir().resolve(prefix(task, run) + "_activations.json");
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
}
