package org.llmri.paradigm;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A study fully expanded: every run of every task with its prompts, ordered by task (as the study lists them)
 * then run number. Built by {@link Study#plan()}; the same study and seed always give the same plan.
 */
public record StudyPlan(Study study, List<RunPlan> runs) {
    public StudyPlan {
        runs = List.copyOf(runs);
    }

    public int totalTimePoints() {
        return runs.stream().mapToInt(RunPlan::timePoints).sum();
    }

    /** True when no control prompt appears in more than one run of the study. */
    public boolean controlsDisjointAcrossStudy() {
        Set<String> seen = new HashSet<>();
        for (RunPlan r : runs) {
            for (PromptSlot p : r.prompts()) {
                if (p.condition().equals(Condition.OFF.label()) && !seen.add(p.promptId())) return false;
            }
        }
        return true;
    }

    /** Facts a user should know about how prompts were shared, one line each (empty when nothing is shared). */
    public List<String> notes() {
        List<String> notes = new ArrayList<>();
        if (!controlsDisjointAcrossStudy()) {
            long slots = runs.stream().flatMap(r -> r.prompts().stream())
                    .filter(p -> p.condition().equals(Condition.OFF.label())).count();
            long distinct = runs.stream().flatMap(r -> r.prompts().stream())
                    .filter(p -> p.condition().equals(Condition.OFF.label())).map(PromptSlot::promptId).distinct().count();
            notes.add("control prompts are reused across runs: the study has " + slots + " control slots but the control "
                    + "bank has " + distinct + " prompts; no prompt repeats within a run");
        }
        return notes;
    }
}
