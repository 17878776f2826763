package org.llmri.model.run;

import java.util.SplittableRandom;

/**
 * How the next token is chosen from logits: greedy (argmax, first index on ties, as torch.argmax), or
 * sampling with Hugging Face's warper order: temperature, then top-k, then top-p (nucleus).
 */
public record Sampling(boolean greedy, float temperature, int topK, float topP) {
    public static final Sampling GREEDY = new Sampling(true, 1f, 0, 1f);

    public Sampling {
        if (!greedy) {
            if (!(temperature > 0)) throw new org.llmri.LlmriException("--temperature must be > 0 (got " + temperature + ")");
            if (topK < 0) throw new org.llmri.LlmriException("--top-k must be >= 0 (got " + topK + ")");
            if (!(topP > 0 && topP <= 1)) throw new org.llmri.LlmriException("--top-p must be in (0, 1] (got " + topP + ")");
        }
    }

    /** Picks a token from logits[off, off + vocab); {@code banned} (e.g. EOS) is never chosen when >= 0. */
    public int choose(float[] logits, int off, int vocab, int banned, SplittableRandom rng) {
        if (greedy) {
            int best = -1;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < vocab; i++) {
                if (i == banned) continue;
                float l = logits[off + i];
                if (best < 0 || l > max) {
                    max = l;
                    best = i;
                }
            }
            return best;
        }
        Integer[] order = new Integer[vocab];
        double[] scaled = new double[vocab];
        for (int i = 0; i < vocab; i++) {
            order[i] = i;
            scaled[i] = i == banned ? Double.NEGATIVE_INFINITY : logits[off + i] / (double) temperature;
        }
        // descending by logit, ties by index: a fixed order makes sampling repeatable
        java.util.Arrays.sort(order, (a, b) -> scaled[a] != scaled[b] ? Double.compare(scaled[b], scaled[a]) : Integer.compare(a, b));
        int keep = vocab;
        if (topK > 0) keep = Math.min(keep, topK);
        double max = scaled[order[0]];
        double[] p = new double[keep];
        double total = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp(scaled[order[i]] - max);
            total += p[i];
        }
        if (topP < 1f) {
            // keep the smallest prefix whose mass reaches top_p (at least one token)
            double cum = 0;
            int cut = keep;
            for (int i = 0; i < keep; i++) {
                cum += p[i] / total;
                if (cum >= topP) {
                    cut = i + 1;
                    break;
                }
            }
            keep = Math.max(1, cut);
            total = 0;
            for (int i = 0; i < keep; i++) total += p[i];
        }
        double u = rng.nextDouble() * total;
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += p[i];
            if (u < acc) return order[i];
        }
        return order[keep - 1];
    }
}
