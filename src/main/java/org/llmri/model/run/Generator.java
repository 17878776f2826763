package org.llmri.model.run;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.llmri.LlmriException;
import org.llmri.model.ForwardHook;
import org.llmri.model.KvCache;
import org.llmri.model.LanguageModel;
import org.llmri.model.Step;

/**
 * Generates continuations for many independent prompts, a batch at a time: one ragged prefill step
 * over all prompts of the batch, then one decode step per new token with a row per live sequence.
 * Each prompt has its own KV cache slot and its own random stream, so a prompt's tokens and values
 * do not depend on the batch it runs in. A generator keeps its KV cache between calls, so it serves one
 * thread at a time.
 */
public final class Generator {
    /** A prompt's token ids and the seed of its sampling stream. */
    public record Prompt(int[] ids, long seed) {}

    /** Settings of one generation call. */
    public record Settings(int maxNewTokens, Sampling sampling, boolean suppressEos, boolean stopAtEos, int batchSize) {
        public Settings {
            if (maxNewTokens < 1) throw new LlmriException("--max-new-tokens must be >= 1 (got " + maxNewTokens + ")");
            if (batchSize < 0) throw new LlmriException("batch size must be >= 0 (got " + batchSize + ")");
        }
    }

    /** Told after every step which token each output row produced (chosen[o] for step.outputRows()[o]). */
    @FunctionalInterface
    public interface StepObserver {
        void afterStep(Step step, int[] chosen);
    }

    private final LanguageModel model;
    // kept from call to call: a new cache per call (130 MB at batch 32) was garbage that the collector
    // copied while it was still live, a pause of about 280 ms every few calls. Old keys and values
    // are never read: a step writes its rows' positions before attending, and a sequence attends only
    // to positions it has written.
    private KvCache cache;

    public Generator(LanguageModel model) {
        if (!model.canGenerate()) {
            throw new LlmriException(model.architecture() + " cannot generate (it has no next-token head): use acquisition: read");
        }
        this.model = model;
    }

    /** Returns each prompt's new tokens (fewer than maxNewTokens only when it stopped at EOS). */
    public List<int[]> generate(List<Prompt> prompts, Settings s, ForwardHook hook, StepObserver observer) {
        for (int i = 0; i < prompts.size(); i++) {
            int[] ids = prompts.get(i).ids();
            if (ids.length == 0) throw new LlmriException("prompt " + (i + 1) + " is empty: it needs at least one token");
            int need = ids.length + s.maxNewTokens() - 1;
            if (need > model.maxPositions()) {
                throw new LlmriException("prompt " + (i + 1) + " (" + ids.length + " tokens) plus " + s.maxNewTokens()
                        + " new tokens exceeds the model's " + model.maxPositions() + " positions");
            }
        }
        int batch = s.batchSize() == 0 ? Math.max(1, prompts.size()) : s.batchSize();
        List<int[]> results = new ArrayList<>(prompts.size());
        int slots = Math.min(batch, Math.max(1, prompts.size()));
        if (cache == null || cache.slots() < slots) cache = model.newCache(slots);
        for (int start = 0; start < prompts.size(); start += batch) {
            List<Prompt> chunk = prompts.subList(start, Math.min(prompts.size(), start + batch));
            results.addAll(generateBatch(chunk, start, s, cache, hook, observer));
        }
        return results;
    }

    private List<int[]> generateBatch(List<Prompt> prompts, int firstSequence, Settings s, KvCache cache,
                                      ForwardHook hook, StepObserver observer) {
        int b = prompts.size();
        int eos = model.eosTokenId();
        int banned = s.suppressEos() ? eos : -1;
        int[][] out = new int[b][s.maxNewTokens()];
        int[] produced = new int[b];
        boolean[] done = new boolean[b];
        int[] length = new int[b];
        SplittableRandom[] rngs = new SplittableRandom[b];
        for (int i = 0; i < b; i++) {
            rngs[i] = new SplittableRandom(prompts.get(i).seed());
            length[i] = prompts.get(i).ids().length;
            cache.ensure(i, length[i] + s.maxNewTokens());
        }
        // prefill: every prompt's tokens in one ragged step; its last row produces the first new token
        int rows = 0;
        for (Prompt p : prompts) rows += p.ids().length;
        int[] slots = new int[rows], tokens = new int[rows], positions = new int[rows];
        int[] outRows = new int[b], outSeq = new int[b], outIdx = new int[b];
        int r = 0;
        for (int i = 0; i < b; i++) {
            int[] ids = prompts.get(i).ids();
            for (int t = 0; t < ids.length; t++, r++) {
                slots[r] = i;
                tokens[r] = ids[t];
                positions[r] = t;
            }
            outRows[i] = r - 1;
            outSeq[i] = firstSequence + i;
        }
        Step step = new Step(slots, tokens, positions, outRows, outSeq, outIdx);
        while (true) {
            LanguageModel.Output o = model.forward(step, cache, hook);
            int m = step.outputs();
            int[] chosen = new int[m];
            Step chooser = step;
            // each output row is its own sequence with its own random stream, so rows choose in parallel
            model.threads().forRange(m, 1, (from, to) -> {
                for (int j = from; j < to; j++) {
                    int seq = chooser.outputSequence()[j] - firstSequence;
                    chosen[j] = s.sampling().choose(o.logits(), j * o.vocab(), o.vocab(), banned, rngs[seq]);
                }
            });
            for (int j = 0; j < m; j++) {
                int seq = step.outputSequence()[j] - firstSequence;
                int tok = chosen[j];
                out[seq][produced[seq]++] = tok;
                if (produced[seq] == s.maxNewTokens() || (s.stopAtEos() && tok == eos)) done[seq] = true;
            }
            if (observer != null) observer.afterStep(step, chosen);
            int live = 0;
            for (int i = 0; i < b; i++) if (!done[i]) live++;
            if (live == 0) break;
            // decode: one row per live sequence, feeding the token it just produced
            int[] dSlots = new int[live], dTokens = new int[live], dPos = new int[live];
            int[] dRows = new int[live], dSeq = new int[live], dIdx = new int[live];
            int k = 0;
            for (int i = 0; i < b; i++) {
                if (done[i]) continue;
                dSlots[k] = i;
                dTokens[k] = out[i][produced[i] - 1];
                dPos[k] = length[i] + produced[i] - 1;
                dRows[k] = k;
                dSeq[k] = firstSequence + i;
                dIdx[k] = produced[i];
                k++;
            }
            step = new Step(dSlots, dTokens, dPos, dRows, dSeq, dIdx);
        }
        List<int[]> res = new ArrayList<>(b);
        for (int i = 0; i < b; i++) res.add(java.util.Arrays.copyOf(out[i], produced[i]));
        return res;
    }
}
