package org.llmri.causal;

import java.util.ArrayList;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.model.ForwardHook;
import org.llmri.model.KvCache;
import org.llmri.model.LanguageModel;
import org.llmri.model.Step;
import org.llmri.model.Tap;
import org.llmri.probe.Interventions;

/**
 * The two outcome measures, over token-id texts, batched: a decoder's teacher-forced negative log-likelihood
 * (one forward pass per batch, every row an output row) and any model's mean-pooled final embedding (the last
 * residual tap, recorded through a hook). Works against {@link LanguageModel} only, so every architecture has
 * both; a model without logits has only the embedding. Keeps one KV cache; one thread at a time.
 */
public final class Outcomes {
    private final LanguageModel model;
    private final int batch;
    private final Tap last;
    private KvCache cache;

    public Outcomes(LanguageModel model, int batch) {
        if (batch < 1) throw new LlmriException("batch size must be >= 1 (got " + batch + ")");
        this.model = model;
        this.batch = batch;
        Tap l = null;
        for (Tap t : model.taps()) if (t.group() == Tap.Group.RESIDUAL) l = t;
        if (l == null) throw new LlmriException(model.architecture() + ": no residual tap to pool");
        this.last = l;
    }

    public LanguageModel model() {
        return model;
    }

    /** The tap whose mean over a text's positions is its embedding. */
    public Tap embeddingTap() {
        return last;
    }

    /** Sum of the NLL of every next token and the number of them, per text. */
    public record Nll(double[] sum, int[] count) {
        /** The mean per-token NLL over all texts' tokens. */
        public double mean() {
            double s = 0;
            long n = 0;
            for (int i = 0; i < sum.length; i++) {
                s += sum[i];
                n += count[i];
            }
            return s / n;
        }
    }

    /** Teacher-forced NLL (natural log) of every text, with {@code hook} (may be null) applied at every position. */
    public Nll nll(List<int[]> texts, ForwardHook hook) {
        if (!model.canGenerate()) throw new LlmriException(model.architecture() + " has no next-token head: its outcome is the embedding");
        double[] sum = new double[texts.size()];
        int[] count = new int[texts.size()];
        for (int start = 0; start < texts.size(); start += batch) {
            List<int[]> part = texts.subList(start, Math.min(texts.size(), start + batch));
            Step step = step(part);
            LanguageModel.Output out = model.forward(step, cache(part), hook, true);
            int vocab = out.vocab();
            float[] logits = out.logits();
            int r = 0;
            for (int i = 0; i < part.size(); i++) {
                int[] ids = part.get(i);
                for (int t = 0; t < ids.length; t++, r++) {
                    if (t == ids.length - 1) continue;
                    int base = r * vocab;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int v = 0; v < vocab; v++) max = Math.max(max, logits[base + v]);
                    double z = 0;
                    for (int v = 0; v < vocab; v++) z += Math.exp(logits[base + v] - max);
                    double nll = Math.log(z) + max - logits[base + ids[t + 1]];
                    if (!Double.isFinite(nll)) throw new LlmriException("outcome: non-finite log-likelihood (the intervention made the logits NaN or Inf)");
                    sum[start + i] += nll;
                    count[start + i]++;
                }
            }
        }
        return new Nll(sum, count);
    }

    /** The mean over positions of the last residual tap, per text: [text][width]. */
    public float[][] embed(List<int[]> texts, ForwardHook hook) {
        int width = last.width();
        float[][] out = new float[texts.size()][width];
        for (int start = 0; start < texts.size(); start += batch) {
            List<int[]> part = texts.subList(start, Math.min(texts.size(), start + batch));
            Step step = step(part);
            int first = start;
            ForwardHook pool = (tap, values, w, s) -> {
                if (!tap.equals(last)) return;
                int r = 0;
                for (int i = 0; i < part.size(); i++) {
                    int n = part.get(i).length;
                    float[] e = out[first + i];
                    for (int t = 0; t < n; t++, r++) for (int u = 0; u < w; u++) e[u] += values[r * w + u];
                    for (int u = 0; u < w; u++) e[u] /= n;
                }
            };
            model.forward(step, cache(part), Interventions.chain(hook, pool), false);
        }
        for (float[] e : out) for (float v : e) if (!Float.isFinite(v)) throw new LlmriException("outcome: non-finite embedding");
        return out;
    }

    private KvCache cache(List<int[]> part) {
        if (cache == null || cache.slots() < part.size()) cache = model.newCache(Math.max(part.size(), batch));
        for (int i = 0; i < part.size(); i++) cache.ensure(i, part.get(i).length);
        return cache;
    }

    /** One ragged step: text i in slot i from position 0; every row is an output row. */
    static Step step(List<int[]> texts) {
        int rows = 0;
        for (int[] p : texts) rows += p.length;
        int[] slots = new int[rows], tokens = new int[rows], positions = new int[rows];
        int[] outRows = new int[rows], outSeq = new int[rows], outIdx = new int[rows];
        int r = 0;
        for (int i = 0; i < texts.size(); i++) {
            int[] ids = texts.get(i);
            for (int t = 0; t < ids.length; t++, r++) {
                slots[r] = i;
                tokens[r] = ids[t];
                positions[r] = t;
                outRows[r] = r;
                outSeq[r] = i;
                outIdx[r] = t;
            }
        }
        return new Step(slots, tokens, positions, outRows, outSeq, outIdx);
    }

    /** Cosine similarity. */
    static double cos(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    /** Column means of rows. */
    static float[] centroid(float[][] rows) {
        float[] c = new float[rows[0].length];
        for (float[] r : rows) for (int i = 0; i < c.length; i++) c[i] += r[i] / rows.length;
        return c;
    }

    static List<int[]> concat(List<List<int[]>> banks) {
        List<int[]> all = new ArrayList<>();
        for (List<int[]> b : banks) all.addAll(b);
        return all;
    }
}
