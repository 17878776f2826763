package org.llmri.paradigm;

import java.util.ArrayList;
import java.util.List;

/**
 * One run: a task's block design with every prompt chosen.
 *
 * @param run                1-based run number within the task
 * @param prompts            all prompts of the run in presentation order
 * @param newTokensPerPrompt tokens generated per prompt (time points per prompt)
 */
public record RunPlan(String taskId, String taskName, int run, List<PromptSlot> prompts, int newTokensPerPrompt) {
    public RunPlan {
        prompts = List.copyOf(prompts);
    }

    /**
     * Time points of the run: every generated token of every prompt. Prompt tokens are never time points, also
     * with a continuous context, so the count is the same in both context modes.
     */
    public int timePoints() {
        return prompts.size() * newTokensPerPrompt;
    }

    /** One row per prompt; together they cover every time point exactly once. */
    public List<EventRow> events() {
        int[] durations = new int[prompts.size()];
        java.util.Arrays.fill(durations, newTokensPerPrompt);
        return events(durations);
    }

    /**
     * One row per prompt, prompt i lasting {@code durations[i]} time points (in reading mode its token
     * count), back to back in presentation order; together they cover every time point exactly once.
     */
    public List<EventRow> events(int[] durations) {
        if (durations.length != prompts.size()) {
            throw new IllegalArgumentException(durations.length + " durations for " + prompts.size() + " prompts");
        }
        List<EventRow> rows = new ArrayList<>(prompts.size());
        int onset = 0;
        for (PromptSlot p : prompts) {
            String trialType = Condition.parse(p.condition()).trialType();
            int d = durations[p.index()];
            rows.add(new EventRow(onset, d, trialType, p.block(), p.promptId()));
            onset += d;
        }
        return rows;
    }

    /** The BIDS-style label of this run, e.g. {@code task-politicalscience_run-1}. */
    public String label() {
        return "task-" + taskId + "_run-" + run;
    }
}
