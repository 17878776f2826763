package org.llmri.model.run;

import org.llmri.LlmriException;
import org.llmri.model.Step;

/** What every decoder does with a step's rows around its layers: check them, and gather the output rows. */
public final class StepRows {
    private StepRows() {}

    /** Refuses a token outside the vocabulary or a position beyond the model's positions, in one line. */
    public static void check(Step step, int vocab, int maxPositions, String positionsField) {
        for (int i = 0; i < step.rows(); i++) {
            int p = step.positions()[i];
            if (p < 0 || p >= maxPositions) {
                throw new LlmriException("position " + p + " is beyond the model's " + positionsField + " (" + maxPositions + ")");
            }
            int t = step.tokens()[i];
            if (t < 0 || t >= vocab) throw new LlmriException("token id " + t + " is outside the vocabulary (size " + vocab + ")");
        }
    }

    /** The output rows' hidden states, [outputs, width]. */
    public static float[] gather(float[] hidden, Step step, int width) {
        int m = step.outputs();
        float[] last = new float[m * width];
        for (int o = 0; o < m; o++) System.arraycopy(hidden, step.outputRows()[o] * width, last, o * width, width);
        return last;
    }

    /** The step seen after the output rows were gathered: row i is output i (what a hook on the final norm sees). */
    public static Step outputStep(Step step) {
        int m = step.outputs();
        int[] rows = new int[m];
        int[] slots = new int[m];
        int[] tokens = new int[m];
        int[] positions = new int[m];
        for (int o = 0; o < m; o++) {
            int r = step.outputRows()[o];
            rows[o] = o;
            slots[o] = step.slots()[r];
            tokens[o] = step.tokens()[r];
            positions[o] = step.positions()[r];
        }
        return new Step(slots, tokens, positions, rows, step.outputSequence(), step.outputTokenIndex());
    }
}
