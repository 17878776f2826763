package org.llmri.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.llmri.LlmriException;
import org.llmri.model.LoadedModel;
import org.llmri.model.Tap;
import org.llmri.model.run.Generator;
import org.llmri.model.run.Sampling;
import org.llmri.model.weights.Tensor;

/** Batched generation, seeded sampling, taps and interventions on the tiny F32 fixture. */
class GenerationAndInterventionTest {
    static LoadedModel model;

    @BeforeAll
    static void open() {
        Path dir = Path.of("src/test/resources/fixtures/opt-tiny-f32");
        model = LoadedModel.open(Files.isDirectory(dir) ? dir : Path.of("../shared/fixtures/opt-tiny-f32"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static final int[][] PROMPTS = {{2, 17, 99, 5}, {7}, {250, 3, 44, 0, 1, 299, 128}, {11, 12}, {100, 101, 102, 103, 104}};

    /** Generates and records every output's unit vector: [prompt][token][unit]. */
    static List<float[][]> run(List<Generator.Prompt> prompts, Generator.Settings s, Recorder rec, Interventions iv, List<int[]> tokens) {
        List<float[][]> values = new ArrayList<>();
        for (Generator.Prompt p : prompts) values.add(new float[s.maxNewTokens()][]);
        Generator.StepObserver keep = (step, chosen) -> {
            for (int o = 0; o < step.outputs(); o++) {
                int seq = step.outputSequence()[o] - 0;
                values.get(seq)[step.outputTokenIndex()[o]] = java.util.Arrays.copyOfRange(rec.buffer(), rec.offsetOf(o), rec.offsetOf(o) + rec.units());
            }
        };
        tokens.addAll(new Generator(model.model()).generate(prompts, s, Interventions.chain(iv, rec), keep));
        return values;
    }

    @Test
    void batchedGenerationGivesTheSameTokensAndValuesAsOneByOne() {
        TapSet all = TapSet.select(model.model().taps(), "all");
        var s = new Generator.Settings(6, new Sampling(false, 0.9f, 40, 0.95f), true, false, 0);
        List<Generator.Prompt> prompts = new ArrayList<>();
        for (int i = 0; i < PROMPTS.length; i++) prompts.add(new Generator.Prompt(PROMPTS[i], 1000 + i));
        List<int[]> batched = new ArrayList<>();
        // the batch is recorded on the model's threads, each prompt alone on the calling thread
        List<float[][]> bv = run(prompts, s, new Recorder(all, model.model().threads()), null, batched);
        for (int i = 0; i < PROMPTS.length; i++) {
            List<int[]> alone = new ArrayList<>();
            List<float[][]> av = run(List.of(prompts.get(i)), s, new Recorder(all), null, alone);
            assertThat(alone.get(0)).as("prompt " + i).containsExactly(batched.get(i));
            for (int t = 0; t < 6; t++) {
                float[] a = av.get(0)[t], b = bv.get(i)[t];
                for (int u = 0; u < a.length; u++) assertThat(Math.abs(a[u] - b[u])).isLessThanOrEqualTo(1e-5f);
            }
        }
    }

    @Test
    void aGeneratorsSecondCallIsNotTouchedByWhatItsFirstLeftInTheCache() {
        TapSet all = TapSet.select(model.model().taps(), "all");
        var s = new Generator.Settings(5, Sampling.GREEDY, true, false, 0);
        List<Generator.Prompt> first = new ArrayList<>(), second = new ArrayList<>();
        for (int i = 0; i < PROMPTS.length; i++) first.add(new Generator.Prompt(PROMPTS[PROMPTS.length - 1 - i], i));
        for (int i = 0; i < 3; i++) second.add(new Generator.Prompt(PROMPTS[i], i));
        Generator reused = new Generator(model.model());
        reused.generate(first, new Generator.Settings(9, Sampling.GREEDY, true, false, 0), null, null);
        Recorder again = new Recorder(all);
        List<float[][]> values = new ArrayList<>();
        for (int i = 0; i < 3; i++) values.add(new float[5][]);
        List<int[]> tokens = reused.generate(second, s, again, (step, chosen) -> {
            for (int o = 0; o < step.outputs(); o++) {
                values.get(step.outputSequence()[o])[step.outputTokenIndex()[o]] =
                        java.util.Arrays.copyOfRange(again.buffer(), again.offsetOf(o), again.offsetOf(o) + again.units());
            }
        });
        List<int[]> freshTokens = new ArrayList<>();
        List<float[][]> fresh = run(second, s, new Recorder(all), null, freshTokens);
        for (int i = 0; i < 3; i++) {
            assertThat(tokens.get(i)).as("prompt " + i).containsExactly(freshTokens.get(i));
            for (int t = 0; t < 5; t++) assertThat(values.get(i)[t]).as("prompt " + i + " token " + t).containsExactly(fresh.get(i)[t]);
        }
    }

    @Test
    void samplingWithTheSameSeedRepeatsAndAnotherSeedDiffers() {
        var s = new Generator.Settings(20, new Sampling(false, 1.5f, 0, 1f), true, false, 0);
        List<int[]> a = new Generator(model.model()).generate(List.of(new Generator.Prompt(PROMPTS[0], 42)), s, null, null);
        List<int[]> b = new Generator(model.model()).generate(List.of(new Generator.Prompt(PROMPTS[0], 42)), s, null, null);
        List<int[]> c = new Generator(model.model()).generate(List.of(new Generator.Prompt(PROMPTS[0], 43)), s, null, null);
        assertThat(a.get(0)).containsExactly(b.get(0));
        assertThat(a.get(0)).isNotEqualTo(c.get(0));
    }

    @Test
    void presetsAndGlobsChooseTaps() {
        List<Tap> taps = model.model().taps();
        assertThat(TapSet.select(taps, "all").units()).isEqualTo(64 + 3 * (9 * 64 + 2 * 256) + 64);
        assertThat(TapSet.select(taps, "residual").taps()).extracting(Tap::name)
                .containsExactly("embed", "layers.0", "layers.1", "layers.2", "final_layer_norm");
        assertThat(TapSet.select(taps, "layers.*.fc1").taps()).extracting(Tap::name).containsExactly("layers.0.fc1", "layers.1.fc1", "layers.2.fc1");
        assertThat(TapSet.select(taps, "mlp,embed").taps().get(0).name()).isEqualTo("embed");
        assertThatThrownBy(() -> TapSet.select(taps, "layers.9.fc1")).isInstanceOf(LlmriException.class).hasMessageContaining("matches no module");
    }

    /** Zeroing activation_fn units changes fc2's output by exactly what W_fc2 times those activations predicts. */
    @Test
    void anInterventionChangesDownstreamValuesAsRecomputingByHandPredicts() {
        List<Tap> taps = model.model().taps();
        TapSet set = TapSet.select(taps, "layers.1.activation_fn,layers.1.fc2,layers.1.self_attn.q_proj");
        var s = new Generator.Settings(3, Sampling.GREEDY, true, false, 0);
        List<Generator.Prompt> prompts = List.of(new Generator.Prompt(PROMPTS[2], 0));
        List<float[][]> before = run(prompts, s, new Recorder(set), null, new ArrayList<>());
        Tap act = taps.stream().filter(t -> t.name().equals("layers.1.activation_fn")).findFirst().orElseThrow();
        int[] units = {3, 77, 200};
        // teacher-force the same tokens: compare only the first output (the prompt's last position)
        List<float[][]> after = run(prompts, s, new Recorder(set), new Interventions().add(act, units, new Intervention.Zero()), new ArrayList<>());
        float[] b = before.get(0)[0], a = after.get(0)[0];
        // the set keeps the model's forward order, whatever order the names came in
        assertThat(set.taps()).extracting(Tap::name).containsExactly("layers.1.self_attn.q_proj", "layers.1.activation_fn", "layers.1.fc2");
        int qOff = set.offset(0), actOff = set.offset(1), fc2Off = set.offset(2);
        for (int u : units) assertThat(a[actOff + u]).isZero();
        Tensor w = model.weights().get("decoder.layers.1.fc2.weight"); // [64, 256]
        for (int j = 0; j < 64; j++) {
            double predicted = b[fc2Off + j];
            for (int u : units) predicted -= (double) b[actOff + u] * w.getFloat((long) j * 256 + u);
            assertThat((double) a[fc2Off + j]).isCloseTo(predicted, org.assertj.core.data.Offset.offset(1e-5));
        }
        // upstream of the intervention nothing moves
        for (int j = 0; j < 64; j++) assertThat(a[qOff + j]).isEqualTo(b[qOff + j]);
        // scale, set, add and mean act on recorded values exactly
        Tap embed = taps.get(0);
        TapSet e = TapSet.select(taps, "embed");
        float[] base = run(prompts, s, new Recorder(e), null, new ArrayList<>()).get(0)[0];
        float[] vec = new float[64];
        for (int i = 0; i < 64; i++) vec[i] = i * 0.01f;
        float[] scaled = run(prompts, s, new Recorder(e), new Interventions().add(embed, null, new Intervention.Scale(2f)), new ArrayList<>()).get(0)[0];
        float[] added = run(prompts, s, new Recorder(e), new Interventions().add(embed, null, new Intervention.Add(vec)), new ArrayList<>()).get(0)[0];
        float[] set5 = run(prompts, s, new Recorder(e), new Interventions().add(embed, new int[] {5}, new Intervention.Set(3f)), new ArrayList<>()).get(0)[0];
        float[] mean = run(prompts, s, new Recorder(e), new Interventions().add(embed, null, new Intervention.Mean(vec)), new ArrayList<>()).get(0)[0];
        for (int i = 0; i < 64; i++) {
            assertThat(scaled[i]).isEqualTo(base[i] * 2f);
            assertThat(added[i]).isEqualTo(base[i] + vec[i]);
            assertThat(set5[i]).isEqualTo(i == 5 ? 3f : base[i]);
            assertThat(mean[i]).isEqualTo(vec[i]);
        }
        assertThatThrownBy(() -> new Interventions().add(embed, new int[] {64}, new Intervention.Zero())).hasMessageContaining("outside 0..63");
    }
}
