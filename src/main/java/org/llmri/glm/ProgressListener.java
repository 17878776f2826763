package org.llmri.glm;

/** Told how far a long computation has come; the CLI draws it as a progress bar. */
@FunctionalInterface
public interface ProgressListener {
    /** {@code done} of {@code total} steps of the stage {@code what}. Called from worker threads. */
    void progress(String what, long done, long total);

    ProgressListener NONE = (w, d, t) -> { };
}
