package org.llmri.dataset;

import java.nio.file.Path;

/** One complete run of a dataset: its activations [time, unit] and its events. */
public record RunFile(String subject, String task, int run, Path data, Path events) {
    /** {@code task-<t>_run-<n>}. */
    public String label() {
        return BidsNames.runLabel(task, run);
    }

    /** {@code sub-<s>_task-<t>_run-<n>}. */
    public String prefix() {
        return BidsNames.runPrefix(subject, task, run);
    }
}
