package org.llmri.paradigm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Invariants of any plan, over random designs, run counts, seeds and banks of exactly the size needed. */
class PlanPropertiesTest {

    @Property(tries = 200)
    void everyPlanCoversItsTimePointsOnceFollowsItsPatternAndNeverRepeatsAPromptWhereItMustNot(
            @ForAll @Size(min = 1, max = 8) List<Boolean> blocks,
            @ForAll @IntRange(min = 1, max = 5) int perBlock,
            @ForAll @IntRange(min = 1, max = 4) int runs,
            @ForAll @IntRange(min = 1, max = 40) int tokens,
            @ForAll @IntRange(min = 1, max = 3) int tasks,
            @ForAll @IntRange(min = 0, max = 60) int extraControls,
            @ForAll long seed) {
        List<Condition> pattern = new ArrayList<>(blocks.stream().map(b -> b ? Condition.ON : Condition.OFF).toList());
        if (!pattern.contains(Condition.ON)) pattern.set(0, Condition.ON);
        Design design = new Design(pattern, perBlock);
        List<Task> taskList = IntStream.range(0, tasks).mapToObj(t -> new Task("t" + t, "task " + t, t == 2
                ? new PromptSource.RandomStrings(8, 16)
                : new PromptSource.Inline(IntStream.range(0, runs * design.onPromptsPerRun()).mapToObj(i -> "task " + t + " prompt " + i).toList())))
                .toList();
        int controls = Math.max(1, design.offPromptsPerRun() + extraControls);
        Study study = Paradigms.builtin("galactica-fmri").withDesign(design).withRunsPerTask(runs).withSeed(seed)
                .withGeneration(Paradigms.builtin("galactica-fmri").generation().withMaxNewTokens(tokens))
                .withTasks(taskList)
                .withControl(new PromptSource.Inline(IntStream.range(0, controls).mapToObj(i -> "control prompt " + i).toList()));

        StudyPlan plan = study.plan();
        assertThat(plan).isEqualTo(study.plan());
        assertThat(plan.runs()).hasSize(tasks * runs);
        int controlSlots = 0;
        Set<String> controlIds = new HashSet<>();
        for (Task task : taskList) {
            Set<String> seen = new HashSet<>();
            for (RunPlan run : plan.runs().stream().filter(r -> r.taskId().equals(task.id())).toList()) {
                assertThat(run.timePoints()).isEqualTo(pattern.size() * perBlock * tokens);
                int[] cover = new int[run.timePoints()];
                for (EventRow e : run.events()) for (int t = e.onset(); t < e.onset() + e.duration(); t++) cover[t]++;
                assertThat(cover).containsOnly(1);
                Set<String> offInRun = new HashSet<>();
                for (PromptSlot p : run.prompts()) {
                    Condition c = pattern.get(p.block() - 1);
                    assertThat(p.condition()).isEqualTo(c.label());
                    assertThat(p.block()).isEqualTo(p.index() / perBlock + 1);
                    if (c == Condition.ON) {
                        assertThat(seen.add(p.text())).as("task prompt reused: " + p.promptId()).isTrue();
                    } else {
                        assertThat(offInRun.add(p.text())).as("control repeated within a run").isTrue();
                        controlSlots++;
                        controlIds.add(p.promptId());
                    }
                }
            }
        }
        // controls are disjoint across the whole study exactly when the bank is big enough for that
        assertThat(plan.controlsDisjointAcrossStudy()).isEqualTo(controlSlots <= controls);
        assertThat(controlIds).hasSize(Math.min(controlSlots, controls));
    }
}
