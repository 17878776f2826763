package org.llmri.dataset;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** BIDS entity names as llmri writes and reads them: {@code sub-<s>_task-<t>_run-<n>_<suffix>}. */
public final class BidsNames {
    private BidsNames() {}

    public static final String ACTIVATIONS = "_activations.npy";
    public static final String EVENTS = "_events.tsv";
    public static final String SIDECAR = "_activations.json";
    /** A run's fused statistics (per prompt and unit: sum and sum of squares), written by the scanner. */
    public static final String PROMPT_STATS = "_promptstats.npy";
    /** The token-level GLM's sufficient statistics and the design they were accumulated with ({@link TokenStatistics}). */
    public static final String TOKEN_STATS = "_tokenstats.npy";
    public static final String TOKEN_DESIGN = "_tokendesign.npy";

    private static final Pattern RUN = Pattern.compile("sub-([A-Za-z0-9]+)_task-([A-Za-z0-9]+)_run-(\\d+)_(activations|promptstats)\\.npy");

    /** The entities of a run's activations file name. */
    public record RunName(String subject, String task, int run) {}

    /** {@code sub-<s>_task-<t>_run-<n>}: the prefix of every file of one run. */
    public static String runPrefix(String subject, String task, int run) {
        return "sub-" + subject + "_" + runLabel(task, run);
    }

    /** {@code sub-<s>_task-<t>}: the prefix of a task's maps across runs (fixed effects). */
    public static String taskPrefix(String subject, String task) {
        return "sub-" + subject + "_task-" + task;
    }

    /** {@code task-<t>_run-<n>}: how a run is named to users and in {@code --runs}. */
    public static String runLabel(String task, int run) {
        return "task-" + task + "_run-" + run;
    }

    /** The run named by an activations or prompt statistics file, or empty when the name is not one. */
    public static Optional<RunName> parseActivations(String fileName) {
        Matcher m = RUN.matcher(fileName);
        if (!m.matches()) return Optional.empty();
        return Optional.of(new RunName(m.group(1), m.group(2), Integer.parseInt(m.group(3))));
    }

    /** The BIDS prefix of a data file: its name without extension and without the trailing {@code _suffix}. */
    public static String prefixOf(Path data) {
        String n = data.getFileName().toString();
        for (String ext : new String[] {".nii.gz", ".nii", ".npy"}) {
            if (n.toLowerCase(Locale.ROOT).endsWith(ext)) {
                n = n.substring(0, n.length() - ext.length());
                break;
            }
        }
        int us = n.lastIndexOf('_');
        if (us > 0 && !n.substring(us + 1).contains("-")) n = n.substring(0, us);
        return n;
    }
}
