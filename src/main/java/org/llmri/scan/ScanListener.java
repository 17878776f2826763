package org.llmri.scan;

/** What a scan reports as it goes (the CLI turns it into a progress bar). */
public interface ScanListener {
    /** The scan will record this many time points in all, of which {@code done} are already on disk. */
    default void started(long totalTimePoints, long done) {}

    /** {@code n} more time points were recorded. */
    default void recorded(long n) {}

    /** A run is starting (or was found complete and skipped). */
    default void run(String label, boolean skipped) {}

    ScanListener NONE = new ScanListener() {};
}
