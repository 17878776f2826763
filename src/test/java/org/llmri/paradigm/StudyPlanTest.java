package org.llmri.paradigm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.llmri.LlmriException;

class StudyPlanTest {
    static final Study DEFAULT = Paradigms.builtin("galactica-fmri");

    @Test
    void defaultStudyHas18RunsOf640TimePointsInTaskThenRunOrder() {
        StudyPlan plan = DEFAULT.plan();
        assertThat(plan.runs()).hasSize(18);
        assertThat(plan.runs()).extracting(r -> r.taskId() + "/" + r.run()).containsExactly(
                "politicalscience/1", "politicalscience/2", "politicalscience/3", "medicalimaging/1", "medicalimaging/2",
                "medicalimaging/3", "paleontology/1", "paleontology/2", "paleontology/3", "archeology/1", "archeology/2",
                "archeology/3", "pathology/1", "pathology/2", "pathology/3", "randomstrings/1", "randomstrings/2", "randomstrings/3");
        assertThat(plan.runs()).allSatisfy(r -> {
            assertThat(r.timePoints()).isEqualTo(640);
            assertThat(r.prompts()).hasSize(20);
            assertThat(r.newTokensPerPrompt()).isEqualTo(32);
        });
        assertThat(plan.totalTimePoints()).isEqualTo(11520);
        assertThat(plan.runs().getFirst().taskName()).isEqualTo("political science");
    }

    @Test
    void eventsCoverEveryTimePointExactlyOnceAndFollowThePattern() {
        for (RunPlan run : DEFAULT.plan().runs()) {
            int[] cover = new int[run.timePoints()];
            List<EventRow> events = run.events();
            assertThat(events).hasSize(run.prompts().size());
            for (EventRow e : events) {
                for (int t = e.onset(); t < e.onset() + e.duration(); t++) cover[t]++;
            }
            assertThat(cover).containsOnly(1);
            // blocks 1..5 of four prompts each: off on off on off
            List<String> expected = new ArrayList<>();
            for (String type : List.of("control", "task", "control", "task", "control")) expected.addAll(Collections.nCopies(4, type));
            assertThat(events).extracting(EventRow::trialType).containsExactlyElementsOf(expected);
            assertThat(events).extracting(EventRow::block)
                    .containsExactlyElementsOf(IntStream.range(0, 20).map(i -> i / 4 + 1).boxed().toList());
            assertThat(events).extracting(EventRow::promptId)
                    .containsExactlyElementsOf(run.prompts().stream().map(PromptSlot::promptId).toList());
            assertThat(run.prompts()).extracting(PromptSlot::index).containsExactlyElementsOf(IntStream.range(0, 20).boxed().toList());
            assertThat(run.prompts()).allSatisfy(p ->
                    assertThat(p.condition()).isEqualTo(p.block() % 2 == 0 ? "on" : "off"));
        }
    }

    @Test
    void eventRowValuesFollowTheColumns() {
        EventRow row = DEFAULT.plan().runs().getFirst().events().get(5);
        assertThat(EventRow.COLUMNS).containsExactly("onset", "duration", "trial_type", "block", "prompt_id");
        assertThat(row.values()).containsExactly("160", "32", "task", "2", row.promptId());
        assertThat(row.promptId()).matches("politicalscience-\\d{3}");
    }

    @Test
    void promptIdsNameTheirSource() {
        RunPlan polsci = DEFAULT.plan().runs().getFirst();
        assertThat(polsci.prompts()).filteredOn(p -> p.condition().equals("on"))
                .allSatisfy(p -> assertThat(p.promptId()).matches("politicalscience-\\d{3}"));
        assertThat(polsci.prompts()).filteredOn(p -> p.condition().equals("off"))
                .allSatisfy(p -> assertThat(p.promptId()).matches("control-[a-z]+-\\d{3}"));
        RunPlan random = DEFAULT.plan().runs().get(16);
        assertThat(random.prompts()).filteredOn(p -> p.condition().equals("on")).extracting(PromptSlot::promptId)
                .containsExactly("randomstrings-r2-01", "randomstrings-r2-02", "randomstrings-r2-03", "randomstrings-r2-04",
                        "randomstrings-r2-05", "randomstrings-r2-06", "randomstrings-r2-07", "randomstrings-r2-08");
        assertThat(random.prompts()).filteredOn(p -> p.condition().equals("on"))
                .allSatisfy(p -> assertThat(p.text()).hasSizeBetween(24, 64).doesNotContain(" "));
    }

    @Test
    void runsOfATaskAreDisjointAndControlsAreDisjointAcrossTheDefaultStudy() {
        StudyPlan plan = DEFAULT.plan();
        assertTaskRunsDisjoint(plan);
        Set<String> controlIds = new HashSet<>();
        Set<String> controlTexts = new HashSet<>();
        int slots = 0;
        for (RunPlan r : plan.runs()) {
            for (PromptSlot p : r.prompts()) {
                if (p.condition().equals("off")) {
                    slots++;
                    controlIds.add(p.promptId());
                    controlTexts.add(p.text());
                }
            }
        }
        assertThat(slots).isEqualTo(216);
        assertThat(controlIds).hasSize(216);
        assertThat(controlTexts).hasSize(216);
        assertThat(plan.controlsDisjointAcrossStudy()).isTrue();
        assertThat(plan.notes()).isEmpty();
    }

    @Test
    void threeRunsPerTaskArePossibleFromTheBuiltInBanksAndKeepTheFirstTwo() {
        StudyPlan two = DEFAULT.plan();
        StudyPlan three = DEFAULT.withRunsPerTask(3).plan();
        assertThat(three.runs()).hasSize(18);
        assertTaskRunsDisjoint(three);
        assertThat(three.controlsDisjointAcrossStudy()).isTrue(); // 216 control slots, 240 prompts in the bank
        for (RunPlan r : two.runs()) {
            RunPlan same = three.runs().stream().filter(x -> x.taskId().equals(r.taskId()) && x.run() == r.run()).findFirst().orElseThrow();
            assertThat(same).isEqualTo(r);
        }
    }

    static void assertTaskRunsDisjoint(StudyPlan plan) {
        for (Task task : plan.study().tasks()) {
            Set<String> texts = new HashSet<>();
            int slots = 0;
            for (RunPlan r : plan.runs()) {
                if (!r.taskId().equals(task.id())) continue;
                for (PromptSlot p : r.prompts()) {
                    if (p.condition().equals("on")) {
                        slots++;
                        texts.add(p.text());
                    }
                }
            }
            assertThat(texts).as(task.id()).hasSize(slots);
        }
    }

    @Test
    void sameSeedGivesTheSamePlanAndAnotherSeedAnotherAssignment() {
        assertThat(DEFAULT.plan()).isEqualTo(Paradigms.builtin("galactica-fmri").plan());
        StudyPlan other = DEFAULT.withSeed(99).plan();
        for (int i = 0; i < 12; i++) {
            assertThat(other.runs().get(i).prompts()).as("run " + i).isNotEqualTo(DEFAULT.plan().runs().get(i).prompts());
        }
    }

    @Test
    void assignmentIsAPinnedFunctionOfTheSeed() {
        // Pinned so that a change to the shuffle (which would silently change every user's plan) is noticed.
        RunPlan first = DEFAULT.plan().runs().getFirst();
        List<String> ids = first.prompts().stream().map(PromptSlot::promptId).toList();
        assertThat(ids).hasSize(20);
        assertThat(String.join(",", ids)).isEqualTo(PINNED_FIRST_RUN);
        assertThat(RandomStrings.generate(1234, "randomstrings", 1, 0, 24, 64)).isEqualTo(PINNED_RANDOM_STRING);
    }

    static final String PINNED_FIRST_RUN = "control-weather-005,control-woodworking-003,control-fashion-003,control-guitar-002,"
            + "politicalscience-028,politicalscience-009,politicalscience-019,politicalscience-033,"
            + "control-birdwatching-001,control-chess-003,control-stargazing-003,control-baking-004,"
            + "politicalscience-048,politicalscience-007,politicalscience-012,politicalscience-011,"
            + "control-soccer-003,control-camping-003,control-languages-004,control-painting-002";
    static final String PINNED_RANDOM_STRING = "2I*/;z5zEp\\ZP]\\2\\-O(K}7ESTdPAG$Jd?Grc0LkRhYl&}w";

    @Test
    void theGeneratorIsSplitMix64AsPublished() {
        // reference outputs of Vigna's splitmix64.c from state 0
        SplitMix64 rng = new SplitMix64(0);
        assertThat(rng.nextLong()).isEqualTo(0xe220a8397b1dcdafL);
        assertThat(rng.nextLong()).isEqualTo(0x6e789e6aa1b965f4L);
        assertThat(rng.nextLong()).isEqualTo(0x06c45d188009454fL);
    }

    @Test
    void shuffleAndBoundedDrawsAreUniform() {
        SplitMix64 rng = new SplitMix64(42);
        int[] counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[rng.nextInt(7)]++;
        assertThat(java.util.Arrays.stream(counts).boxed().toList()).allSatisfy(c -> assertThat(c).isBetween(9_600, 10_400));
        int[][] position = new int[4][4];
        for (int i = 0; i < 40_000; i++) {
            int[] order = {0, 1, 2, 3};
            rng.shuffle(order);
            for (int p = 0; p < 4; p++) position[order[p]][p]++;
        }
        for (int[] row : position) assertThat(java.util.Arrays.stream(row).boxed().toList()).allSatisfy(c -> assertThat(c).isBetween(9_600, 10_400));
    }

    @Test
    void randomStringsAreDeterministicAndVaryWithEveryInput() {
        String a = RandomStrings.generate(7, "randomstrings", 1, 3, 24, 64);
        assertThat(RandomStrings.generate(7, "randomstrings", 1, 3, 24, 64)).isEqualTo(a);
        assertThat(RandomStrings.generate(8, "randomstrings", 1, 3, 24, 64)).isNotEqualTo(a);
        assertThat(RandomStrings.generate(7, "randomstrings", 2, 3, 24, 64)).isNotEqualTo(a);
        assertThat(RandomStrings.generate(7, "randomstrings", 1, 4, 24, 64)).isNotEqualTo(a);
        assertThat(RandomStrings.generate(7, "other", 1, 3, 24, 64)).isNotEqualTo(a);
        Set<Integer> lengths = new HashSet<>();
        Set<Character> chars = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            String s = RandomStrings.generate(7, "randomstrings", 1, i, 24, 64);
            lengths.add(s.length());
            s.chars().forEach(c -> chars.add((char) c));
        }
        assertThat(lengths).hasSize(41).contains(24, 64);
        assertThat(chars).allSatisfy(c -> assertThat(RandomStrings.ALPHABET).contains(String.valueOf(c)));
        assertThat(chars).contains('a', 'Z', '7', '!', '~');
        assertThat(RandomStrings.generate(7, "t", 1, 0, 5, 5)).hasSize(5);
    }

    @Test
    void aSmallControlBankIsReusedAcrossRunsButNeverWithinARunAndTheNoteSaysSo() {
        List<String> controls = IntStream.rangeClosed(1, 20).mapToObj(i -> "everyday prompt number " + i).toList();
        Study study = DEFAULT.withControl(new PromptSource.Inline(controls));
        StudyPlan plan = study.plan();
        assertThat(plan.controlsDisjointAcrossStudy()).isFalse();
        assertThat(plan.notes()).singleElement().asString().contains("216 control slots").contains("20 prompts");
        for (RunPlan r : plan.runs()) {
            List<String> off = r.prompts().stream().filter(p -> p.condition().equals("off")).map(PromptSlot::text).toList();
            assertThat(new HashSet<>(off)).hasSize(12);
        }
        // every control prompt is used, and as evenly as the numbers allow (216 slots over 20 prompts: 10 or 11 each)
        java.util.Map<String, Integer> uses = new java.util.HashMap<>();
        plan.runs().forEach(r -> r.prompts().stream().filter(p -> p.condition().equals("off"))
                .forEach(p -> uses.merge(p.promptId(), 1, Integer::sum)));
        assertThat(uses).hasSize(20);
        assertThat(uses.values()).allSatisfy(n -> assertThat(n).isBetween(10, 11));
    }

    @Test
    void aControlBankSmallerThanOneRunNeedsIsAnErrorWithBothNumbers() {
        Study study = DEFAULT.withControl(new PromptSource.Inline(List.of("a b c", "d e f")));
        assertThatThrownBy(study::plan).isInstanceOf(LlmriException.class)
                .hasMessageContaining("control").hasMessageContaining("2 prompts").hasMessageContaining("need 12");
    }

    @Test
    void aTaskBankTooSmallForTheRunsIsAnErrorWithBothNumbers() {
        Study study = DEFAULT.withRunsPerTask(7);
        assertThatThrownBy(study::plan).isInstanceOf(LlmriException.class)
                .hasMessageContaining("politicalscience").hasMessageContaining("has 50 prompts").hasMessageContaining("need 56");
    }

    @Test
    void aDesignWithoutOffBlocksNeverReadsTheControlSource() {
        Study study = DEFAULT.withDesign(new Design(List.of(Condition.ON), 4))
                .withControl(new PromptSource.FileBank("gone.txt", java.nio.file.Path.of("/nonexistent/gone.txt")));
        assertThat(study.plan().runs()).allSatisfy(r -> assertThat(r.prompts()).allSatisfy(p -> assertThat(p.condition()).isEqualTo("on")));
    }

    @Test
    void designsOtherThanTheDefaultExpandToo() {
        Study study = DEFAULT.withDesign(new Design(List.of(Condition.ON, Condition.OFF, Condition.ON), 3))
                .withGeneration(DEFAULT.generation().withMaxNewTokens(5))
                .withTasks(List.of(new Task("mine", "my task", new PromptSource.Inline(
                        IntStream.range(0, 6).mapToObj(i -> "question " + i).toList()))));
        StudyPlan plan = study.withRunsPerTask(1).plan();
        RunPlan run = plan.runs().getFirst();
        assertThat(run.timePoints()).isEqualTo(45);
        assertThat(run.events()).extracting(EventRow::trialType)
                .containsExactly("task", "task", "task", "control", "control", "control", "task", "task", "task");
        assertThat(run.events()).extracting(EventRow::onset).containsExactly(0, 5, 10, 15, 20, 25, 30, 35, 40);
        assertThat(run.prompts()).filteredOn(p -> p.condition().equals("on")).extracting(PromptSlot::promptId)
                .allSatisfy(id -> assertThat(id).matches("mine-00[1-6]"));
        assertThatThrownBy(() -> study.withRunsPerTask(2).plan()).hasMessageContaining("need 12");
    }
}
