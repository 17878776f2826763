package org.llmri.causal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.model.LoadedModel;
import org.llmri.model.Tap;
import org.llmri.model.run.Reader;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.paradigm.PromptBank;

/** The planted phantom ({@link PhantomModel}): lesion and steer find the known network and not random sets. */
@org.junit.jupiter.api.Tag("slow")
class PhantomLesionTest {
    @TempDir static Path tmp;
    static LoadedModel model;
    static TextTokenizer tok;
    static Panel panel;
    static UnitPool pool;
    static int[] planted;
    static Map<Tap, float[]> direction;
    static Set<Integer> taskTokens;
    static List<int[]> genPrompts;

    static List<int[]> encode(List<String> texts) {
        List<int[]> out = new ArrayList<>();
        for (String s : texts) out.add(tok.encode(s));
        return out;
    }

    @BeforeAll
    static void build() throws Exception {
        tok = PhantomModel.tokenizer(tmp);
        List<int[]> task = encode(HeldOut.builtin("pathology", "test"));
        List<int[]> control = encode(HeldOut.builtin("control", "test"));
        List<int[]> scanTask = encode(PromptBank.builtin("pathology", "p").prompts().stream().map(PromptBank.Prompt::text).toList());
        List<int[]> scanControl = encode(PromptBank.builtin("control", "c").prompts().stream().map(PromptBank.Prompt::text).toList());
        List<int[]> allControl = new ArrayList<>(scanControl);
        allControl.addAll(control);
        Set<Integer> k = enriched(concat(task, scanTask), allControl, task);
        assertThat(k).as("task tokens of the phantom").hasSizeGreaterThanOrEqualTo(10);
        taskTokens = TaskTokens.of(scanTask, scanControl);
        PhantomModel.write(tmp, k, task);
        model = LoadedModel.open(tmp);
        panel = new Panel(new Outcomes(model.model(), 8), List.of(new Panel.Bank("pathology", task), new Panel.Bank("control", control)));
        // the pool: both layers' activation_fn taps, with statistics recorded on the scan banks
        List<Tap> taps = model.model().taps().stream().filter(t -> t.kind().equals("activation_fn")).toList();
        int n = taps.stream().mapToInt(Tap::width).sum();
        Tap[] tapOf = new Tap[n];
        int[] indexOf = new int[n];
        int g = 0;
        for (Tap t : taps) for (int u = 0; u < t.width(); u++, g++) {
            tapOf[g] = t;
            indexOf[g] = u;
        }
        double[][] c = moments(taps, n, scanControl), t = moments(taps, n, scanTask);
        pool = new UnitPool(tapOf, indexOf, c[0], c[1]);
        planted = PhantomModel.S.clone(); // layer 0's activation_fn comes first, so global id = index
        double[] diff = new double[n];
        for (int i = 0; i < n; i++) diff[i] = t[0][i] - c[0][i];
        direction = pool.perTap(diff);
        genPrompts = encode(List.of("The weather today", "My favourite recipe"));
    }

    static List<int[]> concat(List<int[]> a, List<int[]> b) {
        List<int[]> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** Tokens of {@code in} at least 4 times as frequent (per token) in task texts as in control texts, seen 3+ times. */
    static Set<Integer> enriched(List<int[]> task, List<int[]> control, List<int[]> in) {
        double[] ct = new double[PhantomModel.VOCAB], cc = new double[PhantomModel.VOCAB];
        long nt = 0, nc = 0;
        for (int[] t : task) for (int id : t) { ct[id]++; nt++; }
        for (int[] t : control) for (int id : t) { cc[id]++; nc++; }
        Set<Integer> out = new java.util.TreeSet<>();
        for (int[] t : in) for (int id : t) if (ct[id] >= 3 && ct[id] / nt >= 4 * (cc[id] + 0.5) / nc) out.add(id);
        return out;
    }

    /** Mean and variance over every token of the texts, per unit of the taps. */
    static double[][] moments(List<Tap> taps, int n, List<int[]> texts) {
        double[] s = new double[n], ss = new double[n];
        long[] count = {0};
        new Reader(model.model()).read(texts, 16, (tap, values, width, step) -> {
            int off = 0;
            for (Tap t : taps) {
                if (t.equals(tap)) {
                    for (int r = 0; r < step.rows(); r++) for (int u = 0; u < width; u++) {
                        double v = values[r * width + u];
                        s[off + u] += v;
                        ss[off + u] += v * v;
                    }
                    if (off == 0) count[0] += step.rows();
                }
                off += t.width();
            }
        }, null);
        double[] mean = new double[n], var = new double[n];
        for (int i = 0; i < n; i++) {
            mean[i] = s[i] / count[0];
            var[i] = ss[i] / count[0] - mean[i] * mean[i];
        }
        return new double[][] {mean, var};
    }

    static BitSet plantedSet() {
        BitSet b = new BitSet();
        for (int u : planted) b.set(u);
        return b;
    }

    @Test
    void lesioningThePlantedSetRemovesTheEffectAndRandomSetsDoNot() {
        Panel.Score intact = panel.score(null);
        Lesion.Result r = Lesion.run("pathology", panel, pool, planted, plantedSet(), 0, 1,
                new Lesion.Settings(Lesion.Mode.ZERO, new double[] {1.0}, 20, 3), intact, i -> {});
        Lesion.Summary s = r.summaries().get(0);
        System.out.printf("phantom lesion: intact NLL task %.4f control %.4f; deficit task %.4f control %.4f; random effect mean %.4f "
                + "[%.4f, %.4f]; specificity %.4f (%.1f SD), p %.4f%n", intact.loss()[0], intact.loss()[1], s.deficitTask(),
                s.deficitControl(), s.randomMean(), s.randomLow(), s.randomHigh(), s.specificity(), s.effectSize(), s.p());
        assertThat(s.deficitTask()).as("the planted lesion's deficit on task text (nats/token)").isGreaterThan(0.05);
        assertThat(Math.abs(s.deficitControl())).as("its deficit on control text").isLessThan(s.deficitTask() / 5);
        assertThat(s.randomHigh()).as("random sets' 95th percentile effect").isLessThan(s.effect() / 5);
        assertThat(s.p()).isEqualTo(1.0 / 21);
        // same seed, same numbers
        Lesion.Result again = Lesion.run("pathology", panel, pool, planted, plantedSet(), 0, 1,
                new Lesion.Settings(Lesion.Mode.ZERO, new double[] {1.0}, 20, 3), intact, i -> {});
        for (int i = 0; i < r.sets().size(); i++) assertThat(again.sets().get(i).deficit()).containsExactly(r.sets().get(i).deficit());
    }

    /** The phantom seen as an encoder (canGenerate false): the outcome becomes the mean-pooled embedding's centroid margin. */
    @Test
    void encoderOutcomeRunsOnAnyLanguageModelWithoutAHead() {
        org.llmri.model.LanguageModel m = model.model();
        org.llmri.model.LanguageModel encoder = (org.llmri.model.LanguageModel) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {org.llmri.model.LanguageModel.class}, (proxy, method, args) -> {
                    if (method.getName().equals("canGenerate")) return false;
                    try {
                        return method.invoke(m, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Panel p = new Panel(new Outcomes(encoder, 8), panel.banks());
        assertThat(p.decoder()).isFalse();
        Panel.Score intact = p.score(null);
        assertThat(intact.accuracy()[0]).as("pathology identified by nearest centroid").isGreaterThan(0.5);
        Lesion.Result r = Lesion.run("pathology", p, pool, planted, plantedSet(), 0, 1,
                new Lesion.Settings(Lesion.Mode.ZERO, new double[] {1.0}, 20, 3), intact, i -> {});
        Lesion.Summary s = r.summaries().get(0);
        System.out.printf("phantom as encoder: intact margin pathology %.4f control %.4f, accuracy %.2f/%.2f; deficit task %.4f control %.4f; "
                + "random [%.4f, %.4f]; p %.4f%n", -intact.loss()[0], -intact.loss()[1], intact.accuracy()[0], intact.accuracy()[1],
                s.deficitTask(), s.deficitControl(), s.randomLow(), s.randomHigh(), s.p());
        // the phantom's task signal also sits in the embeddings' own dimension j0, which the lesion leaves, so the
        // encoder readout loses little: the deficit is positive and larger than control's, but not beyond random sets
        assertThat(s.deficitTask()).isPositive().isGreaterThan(s.deficitControl());
    }

    @Test
    void steeringThePlantedSetMovesTheOutcomeMonotonically() {
        Steer.Result r = Steer.run("pathology", panel, pool, planted, plantedSet(), direction, 0, 1, genPrompts, taskTokens,
                tok::decode, new Steer.Settings(new double[] {0, 0.5, 1, 2, 4}, 10, 5, 12), i -> {});
        for (Steer.Dose d : r.doses()) {
            System.out.printf("phantom steer alpha %.1f: network %.4f random %.4f [%.4f, %.4f] p %.3f; task-token rate %.3f vs %.3f%n",
                    d.alpha(), d.network(), d.randomMean(), d.randomLow(), d.randomHigh(), d.p(), d.networkRate(), d.randomRate());
        }
        List<Steer.Dose> d = r.doses();
        for (int i = 1; i < d.size(); i++) assertThat(d.get(i).network()).as("shift at alpha " + d.get(i).alpha()).isGreaterThan(d.get(i - 1).network());
        Steer.Dose top = d.get(d.size() - 1);
        assertThat(top.network()).isGreaterThan(top.randomHigh());
        assertThat(top.p()).isEqualTo(1.0 / 11);
    }
}
