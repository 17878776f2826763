package org.llmri.network;

import java.util.Comparator;

/** One run of one task: the task name and the run number as the dataset names it ({@code run-<n>}). */
public record RunKey(String task, int run) implements Comparable<RunKey> {
    private static final Comparator<RunKey> ORDER = Comparator.comparing(RunKey::task).thenComparingInt(RunKey::run);

    @Override
    public int compareTo(RunKey o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return org.llmri.dataset.BidsNames.runLabel(task, run);
    }
}
