package org.llmri.glm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Power at galactica-125m scale (158,208 units): prompt means with unit-variance noise between prompts and
 * 1,000 planted units at d between-prompt SDs, tested by the prompt-level max-T step-down at FWER 0.05.
 */
class PowerTest {
    static final int UNITS = 158_208, PLANTED = 1000;

    static double foundShare(Power.Design d, double effect, long seed) {
        List<PromptLevel.RunMeans> runs = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(seed);
        for (int r = 0; r < d.runs(); r++) {
            int P = d.taskPrompts() + d.controlPrompts();
            boolean[] task = new boolean[P];
            for (int p = 0; p < d.taskPrompts(); p++) task[d.controlPrompts() / 2 + p] = true; // order is irrelevant to the test
            double[] v = new double[P * UNITS];
            for (int p = 0; p < P; p++) {
                for (int u = 0; u < UNITS; u++) v[p * UNITS + u] = rng.nextGaussian() + (task[p] && u < PLANTED ? effect : 0);
            }
            runs.add(new PromptLevel.RunMeans("sim", task, UNITS, v));
        }
        long t0 = System.nanoTime();
        PromptLevel.MapResult m = PromptLevel.test(List.of(runs), "c", new PromptLevel.Settings(Tail.TWO_SIDED, 200, seed, 0.05, 2),
                ProgressListener.NONE).get(0);
        System.out.printf("prompt-level test of %s, %,d units, 200 permutations: %.1f s%n", d.describe(), UNITS, (System.nanoTime() - t0) / 1e9);
        int found = 0, wrong = 0;
        for (int u = 0; u < UNITS; u++) {
            if (!m.fwe().mask()[u]) continue;
            if (u < PLANTED) found++;
            else wrong++;
        }
        assertThat(wrong).isLessThanOrEqualTo(2);
        return found / (double) PLANTED;
    }

    @Test
    void analyticPowerMatchesTheKnownDesigns() {
        Power.Design galactica = new Power.Design(2, 8, 12);
        assertThat(galactica.dof()).isEqualTo(36);
        assertThat(Power.power(galactica, 1, 0.05, 0)).isLessThan(0.05);
        assertThat(Power.detectable(galactica, UNITS, 0.05, 0.8)).isBetween(2.0, 3.0);
        assertThat(Power.detectable(new Power.Design(2, 16, 24), UNITS, 0.05, 0.8)).isLessThan(2.0);
    }

    @Test
    @Tag("slow")
    void plantedEffectsOfTwoPromptSdsAtGalacticaScale() {
        // galactica-fmri's default (3 runs of 8 task + 12 control prompts) against the earlier 2-run design
        Power.Design defaults = new Power.Design(3, 8, 12), twoRuns = new Power.Design(2, 8, 12);
        double atDefault = foundShare(defaults, 2, 1), atTwoRuns = foundShare(twoRuns, 2, 2);
        System.out.printf("d = 2 at %,d units, FWER 0.05 step-down: default %s found %.1f%% (analytic %.1f%%); %s found %.1f%% (analytic %.1f%%)%n",
                UNITS, defaults.describe(), 100 * atDefault, 100 * Power.power(defaults, UNITS, 0.05, 2), twoRuns.describe(), 100 * atTwoRuns,
                100 * Power.power(twoRuns, UNITS, 0.05, 2));
        assertThat(atDefault).isGreaterThanOrEqualTo(0.8);
        assertThat(atTwoRuns).isLessThan(0.8);
        assertThat(atTwoRuns).isCloseTo(Power.power(twoRuns, UNITS, 0.05, 2), org.assertj.core.api.Assertions.within(0.12));
    }
}
