package org.llmri.causal;

import java.util.ArrayList;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.model.ForwardHook;

/**
 * The held-out banks (each task's, then control) and how the model does on them. A decoder's loss on a bank is
 * its mean per-token NLL (teacher forced); an encoder's is minus the mean margin of the true bank's centroid
 * cosine over the best other's, with centroids of the unlesioned model's mean-pooled final embeddings. Higher
 * loss is worse in both, so a deficit is loss(intervened) − loss(intact).
 */
public final class Panel {
    public record Bank(String name, List<int[]> texts) {
        public Bank {
            if (texts.isEmpty()) throw new LlmriException("held-out bank " + name + " is empty");
            texts = List.copyOf(texts);
        }
    }

    /** Per bank: the loss, and (encoders) the nearest-centroid accuracy, NaN for decoders. */
    public record Score(double[] loss, double[] accuracy) {}

    private final Outcomes outcomes;
    private final List<Bank> banks;
    private final List<int[]> all;
    private final boolean decoder;
    private final float[][] centroids;

    public Panel(Outcomes outcomes, List<Bank> banks) {
        this.outcomes = outcomes;
        this.banks = List.copyOf(banks);
        List<List<int[]>> parts = new ArrayList<>();
        for (Bank b : banks) parts.add(b.texts());
        this.all = Outcomes.concat(parts);
        this.decoder = outcomes.model().canGenerate();
        if (decoder) {
            centroids = null;
        } else {
            float[][][] e = embed(null);
            centroids = new float[banks.size()][];
            for (int b = 0; b < banks.size(); b++) centroids[b] = Outcomes.centroid(e[b]);
        }
    }

    public org.llmri.model.LanguageModel outcomesModel() {
        return outcomes.model();
    }

    public boolean decoder() {
        return decoder;
    }

    public List<Bank> banks() {
        return banks;
    }

    public int index(String name) {
        for (int i = 0; i < banks.size(); i++) if (banks.get(i).name().equals(name)) return i;
        throw new LlmriException("no held-out bank " + name);
    }

    /** Texts read per evaluation (for progress). */
    public int texts() {
        return all.size();
    }

    public Score score(ForwardHook hook) {
        double[] loss = new double[banks.size()], acc = new double[banks.size()];
        if (decoder) {
            Outcomes.Nll nll = outcomes.nll(all, hook);
            int at = 0;
            for (int b = 0; b < banks.size(); b++) {
                double s = 0;
                long n = 0;
                for (int i = 0; i < banks.get(b).texts().size(); i++, at++) {
                    s += nll.sum()[at];
                    n += nll.count()[at];
                }
                loss[b] = s / n;
                acc[b] = Double.NaN;
            }
            return new Score(loss, acc);
        }
        float[][][] e = embed(hook);
        for (int b = 0; b < banks.size(); b++) {
            double margin = 0;
            int right = 0;
            for (float[] x : e[b]) {
                double own = Outcomes.cos(x, centroids[b]), best = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < centroids.length; c++) if (c != b) best = Math.max(best, Outcomes.cos(x, centroids[c]));
                margin += own - best;
                if (own > best) right++;
            }
            loss[b] = -margin / e[b].length;
            acc[b] = (double) right / e[b].length;
        }
        return new Score(loss, acc);
    }

    /** Mean cosine of bank {@code from}'s embeddings to bank {@code to}'s intact centroid (encoders). */
    public double centroidCosine(ForwardHook hook, int from, int to) {
        if (decoder) throw new IllegalStateException("decoders have no centroids");
        float[][] e = outcomes.embed(banks.get(from).texts(), hook);
        double s = 0;
        for (float[] x : e) s += Outcomes.cos(x, centroids[to]);
        return s / e.length;
    }

    /** Mean per-token log-probability of one bank (decoders). */
    public double logProb(ForwardHook hook, int bank) {
        return -outcomes.nll(banks.get(bank).texts(), hook).mean();
    }

    private float[][][] embed(ForwardHook hook) {
        float[][] flat = outcomes.embed(all, hook);
        float[][][] out = new float[banks.size()][][];
        int at = 0;
        for (int b = 0; b < banks.size(); b++) {
            int n = banks.get(b).texts().size();
            out[b] = java.util.Arrays.copyOfRange(flat, at, at + n);
            at += n;
        }
        return out;
    }
}
