package org.llmri.paradigm;

import java.util.List;

/**
 * One row of a run's events file, one per prompt. Times are in time points (one per generated token, so with
 * RepetitionTime = 1 they are also seconds).
 *
 * @param onset     first time point of the prompt's answer
 * @param duration  time points the prompt's answer lasts
 * @param trialType "task" for on-blocks, "control" for off-blocks
 * @param block     1-based index of the block in the design pattern
 * @param promptId  the prompt's stable id
 */
public record EventRow(int onset, int duration, String trialType, int block, String promptId) {
    /** The events file's columns, in order; BIDS's onset, duration, trial_type first. */
    public static final List<String> COLUMNS = List.of("onset", "duration", "trial_type", "block", "prompt_id");

    /** This row's values as text, in {@link #COLUMNS} order. */
    public List<String> values() {
        return List.of(Integer.toString(onset), Integer.toString(duration), trialType, Integer.toString(block), promptId);
    }
}
