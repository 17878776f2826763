package org.llmri.model.run;

import java.util.List;
import org.llmri.LlmriException;
import org.llmri.model.ForwardHook;
import org.llmri.model.KvCache;
import org.llmri.model.LanguageModel;
import org.llmri.model.Step;

/**
 * Reading mode: each prompt is read in one forward pass and every one of its tokens is an output row,
 * so a hook (a recorder) sees the taps at every position. Prompts go a batch at a time as one ragged
 * step, each in its own KV-cache slot from position 0, so a prompt's values do not depend on its batch.
 * No logits are computed. A reader keeps its KV cache between calls, so it serves one thread at a time.
 */
public final class Reader {
    /** Told after every step; output row o is token {@code step.outputTokenIndex()[o]} of prompt {@code step.outputSequence()[o]}. */
    @FunctionalInterface
    public interface StepObserver {
        void afterStep(Step step);
    }

    private final LanguageModel model;
    private KvCache cache;

    public Reader(LanguageModel model) {
        this.model = model;
    }

    /**
     * Reads the prompts, {@code batchSize} at a time (0: all at once), numbering them 0.. in the order
     * given. The hook (may be null) sees every tap of every row; the observer (may be null) is told after
     * each step.
     */
    public void read(List<int[]> prompts, int batchSize, ForwardHook hook, StepObserver observer) {
        if (batchSize < 0) throw new LlmriException("batch size must be >= 0 (got " + batchSize + ")");
        for (int i = 0; i < prompts.size(); i++) {
            int[] ids = prompts.get(i);
            if (ids.length == 0) throw new LlmriException("prompt " + (i + 1) + " is empty: it needs at least one token");
            if (ids.length > model.maxPositions()) {
                throw new LlmriException("prompt " + (i + 1) + " (" + ids.length + " tokens) exceeds the model's "
                        + model.maxPositions() + " positions");
            }
        }
        if (prompts.isEmpty()) return;
        int batch = batchSize == 0 ? prompts.size() : batchSize;
        int slots = Math.min(batch, prompts.size());
        if (cache == null || cache.slots() < slots) cache = model.newCache(slots);
        for (int start = 0; start < prompts.size(); start += batch) {
            Step step = step(prompts.subList(start, Math.min(prompts.size(), start + batch)), start);
            for (int r = 0; r < step.rows(); r++) cache.ensure(step.slots()[r], step.positions()[r] + 1);
            model.forward(step, cache, hook, false);
            if (observer != null) observer.afterStep(step);
        }
    }

    /** One ragged step over a batch: prompt i in slot i at positions 0.., every row an output row. */
    public static Step step(List<int[]> prompts, int firstSequence) {
        int rows = 0;
        for (int[] p : prompts) rows += p.length;
        int[] slots = new int[rows], tokens = new int[rows], positions = new int[rows];
        int[] outRows = new int[rows], outSeq = new int[rows], outIdx = new int[rows];
        int r = 0;
        for (int i = 0; i < prompts.size(); i++) {
            int[] ids = prompts.get(i);
            for (int t = 0; t < ids.length; t++, r++) {
                slots[r] = i;
                tokens[r] = ids[t];
                positions[r] = t;
                outRows[r] = r;
                outSeq[r] = firstSequence + i;
                outIdx[r] = t;
            }
        }
        return new Step(slots, tokens, positions, outRows, outSeq, outIdx);
    }
}
