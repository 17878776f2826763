package org.llmri.dataset;

import java.nio.file.Path;

/**
 * One complete run of a dataset: its activations [time, unit] ({@code data}; absent when the scan stored none),
 * its events, and the scanner's fused statistics beside them ({@link #stats()}; absent in datasets from elsewhere).
 */
public record RunFile(String subject, String task, int run, Path data, Path events) {
    /** {@code task-<t>_run-<n>}. */
    public String label() {
        return BidsNames.runLabel(task, run);
    }

    /** The run's fused statistics ({@link RunStatistics}), beside the activations. */
    public Path stats() {
        return data.resolveSibling(prefix() + BidsNames.PROMPT_STATS);
    }

    /** Whether the run's fused statistics exist and stand for its activations ({@link RunStatistics#current}). */
    public boolean hasStats() {
        return RunStatistics.current(stats(), data);
    }

    /** The run's token-level GLM statistics ({@link TokenStatistics}), when the scanner wrote them. */
    public Path tokenStats() {
        return data.resolveSibling(prefix() + BidsNames.TOKEN_STATS);
    }

    public Path tokenDesign() {
        return data.resolveSibling(prefix() + BidsNames.TOKEN_DESIGN);
    }

    /** Whether the token-level statistics exist and stand for the activations (not older than them). */
    public boolean hasTokenStats() {
        return java.nio.file.Files.isRegularFile(tokenDesign()) && RunStatistics.current(tokenStats(), data);
    }

    public boolean hasActivations() {
        return java.nio.file.Files.isRegularFile(data);
    }

    /** {@code sub-<s>_task-<t>_run-<n>}. */
    public String prefix() {
        return BidsNames.runPrefix(subject, task, run);
    }
}
