package org.llmri.paradigm;

import java.util.Objects;

/**
 * One task of a study.
 *
 * @param id     a BIDS label (letters and digits), used in file names ({@code task-<id>}) and prompt ids
 * @param name   a human-readable name for reports
 * @param source where the task's "on" prompts come from
 */
public record Task(String id, String name, PromptSource source) {
    public Task {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
    }
}
