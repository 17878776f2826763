package org.llmri.paradigm;

import java.util.List;
import java.util.Objects;

/**
 * The block design of one run: the blocks in order and how many prompts each holds.
 * The default {@code off on off on off} with 4 prompts per block gives 20 prompts per run.
 */
public record Design(List<Condition> pattern, int promptsPerBlock) {
    public Design {
        pattern = List.copyOf(Objects.requireNonNull(pattern, "pattern"));
    }

    public int onBlocks() {
        return (int) pattern.stream().filter(c -> c == Condition.ON).count();
    }

    public int offBlocks() {
        return pattern.size() - onBlocks();
    }

    /** Task prompts one run needs. */
    public int onPromptsPerRun() {
        return onBlocks() * promptsPerBlock;
    }

    /** Control prompts one run needs. */
    public int offPromptsPerRun() {
        return offBlocks() * promptsPerBlock;
    }

    public int promptsPerRun() {
        return pattern.size() * promptsPerBlock;
    }
}
