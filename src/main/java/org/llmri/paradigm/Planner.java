package org.llmri.paradigm;

import java.util.ArrayList;
import java.util.List;

/**
 * Expands a valid study into runs. Task prompts: each task's bank is shuffled with a seed derived from the study
 * seed and the task id, and run r takes the r-th consecutive slice, so runs of a task never share a prompt and
 * adding runs leaves the earlier ones unchanged. Control prompts: the control bank is shuffled once and runs take
 * consecutive slices in run-major order (run 1 of every task, then run 2, ...), wrapping around only when the bank
 * is smaller than the study needs; a slice never exceeds the bank, so no prompt repeats within a run.
 */
final class Planner {
    private Planner() {}

    static StudyPlan plan(Study study) {
        Design design = study.design();
        int perBlock = design.promptsPerBlock();
        int tokens = study.generation().maxNewTokens();
        List<Task> tasks = study.tasks();

        // a design without off blocks never reads the control source, which then need not exist
        PromptBank controlBank = design.offBlocks() == 0 ? null : PromptBank.of(study.control(), "control");
        int[] controlOrder = controlBank == null ? null : shuffled(controlBank.size(), SplitMix64.derive(study.seed(), "control"));

        List<RunPlan> runs = new ArrayList<>();
        for (int t = 0; t < tasks.size(); t++) {
            Task task = tasks.get(t);
            PromptBank bank = PromptBank.of(task.source(), task.id());
            int[] taskOrder = bank == null ? null : shuffled(bank.size(), SplitMix64.derive(study.seed(), "task", task.id()));
            for (int run = 1; run <= study.runsPerTask(); run++) {
                List<PromptBank.Prompt> on = new ArrayList<>(design.onPromptsPerRun());
                for (int j = 0; j < design.onPromptsPerRun(); j++) {
                    on.add(bank == null
                            ? generated(study, task.id(), task.id(), run, j, design.onPromptsPerRun(), (PromptSource.RandomStrings) task.source())
                            : bank.prompts().get(taskOrder[(run - 1) * design.onPromptsPerRun() + j]));
                }
                long k = (long) (run - 1) * tasks.size() + t; // run-major: adding runs keeps earlier runs' controls
                List<PromptBank.Prompt> off = new ArrayList<>(design.offPromptsPerRun());
                for (int j = 0; j < design.offPromptsPerRun(); j++) {
                    off.add(controlBank == null
                            ? generated(study, "control-" + task.id(), "control-" + task.id(), run, j, design.offPromptsPerRun(),
                                    (PromptSource.RandomStrings) study.control())
                            : controlBank.prompts().get(controlOrder[(int) ((k * design.offPromptsPerRun() + j) % controlBank.size())]));
                }
                runs.add(new RunPlan(task.id(), task.name(), run, slots(design, perBlock, on, off), tokens));
            }
        }
        return new StudyPlan(study, runs);
    }

    private static List<PromptSlot> slots(Design design, int perBlock, List<PromptBank.Prompt> on, List<PromptBank.Prompt> off) {
        List<PromptSlot> slots = new ArrayList<>(design.promptsPerRun());
        int nextOn = 0;
        int nextOff = 0;
        for (int b = 0; b < design.pattern().size(); b++) {
            Condition c = design.pattern().get(b);
            for (int p = 0; p < perBlock; p++) {
                PromptBank.Prompt prompt = c == Condition.ON ? on.get(nextOn++) : off.get(nextOff++);
                slots.add(new PromptSlot(slots.size(), b + 1, c.label(), prompt.id(), prompt.text()));
            }
        }
        return slots;
    }

    private static PromptBank.Prompt generated(Study study, String seedLabel, String idPrefix, int run, int index, int count,
                                               PromptSource.RandomStrings spec) {
        String text = RandomStrings.generate(study.seed(), seedLabel, run, index, spec.minChars(), spec.maxChars());
        String id = idPrefix + "-r" + run + "-" + PromptBank.pad(index + 1, Math.max(2, Integer.toString(count).length()));
        return new PromptBank.Prompt(id, "", text);
    }

    private static int[] shuffled(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        new SplitMix64(seed).shuffle(order);
        return order;
    }
}
