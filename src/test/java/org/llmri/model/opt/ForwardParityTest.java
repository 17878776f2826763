package org.llmri.model.opt;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.llmri.model.run.Generator;
import org.llmri.model.run.HiddenStates;
import org.llmri.model.run.Sampling;
import org.llmri.model.weights.ModelWeights;
import org.llmri.model.weights.Safetensors;
import org.llmri.model.weights.Tensor;
import org.llmri.tensor.Threads;

/** Parity with Hugging Face's OPTForCausalLM on the reference fixtures (see shared/fixtures/README.md). */
class ForwardParityTest {
    static final int[] IDS = {2, 17, 99, 5, 250, 3, 44, 0, 1, 299, 128};

    static Path fixture(String name) {
        Path inResources = Path.of("src/test/resources/fixtures", name);
        return Files.isDirectory(inResources) ? inResources : Path.of("../shared/fixtures", name);
    }

    static OptModel load(String name, ModelWeights[] keep) {
        Path dir = fixture(name);
        OptConfig c = OptConfig.read(dir.resolve("config.json"));
        ModelWeights w = ModelWeights.open(dir);
        keep[0] = w;
        return new OptModel(OptWeights.bind(c, w), new Threads(2));
    }

    @ParameterizedTest
    @CsvSource({"opt-tiny-f32", "opt-tiny-bf16", "opt-tiny-f16-bin"})
    void logitsAndHiddenStatesMatchHuggingFaceWithin1e4(String name) {
        ModelWeights[] keep = new ModelWeights[1];
        try (OptModel model = load(name, keep); Arena arena = Arena.ofConfined()) {
            Map<String, float[]> ours = HiddenStates.run(model, IDS);
            SortedMap<String, Tensor> expected = Safetensors.map(fixture(name).resolve("expected.safetensors"), arena);
            assertThat(ours.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            for (var e : expected.entrySet()) {
                float[] want = e.getValue().toFloatArray();
                float[] got = ours.get(e.getKey());
                assertThat(got).as(e.getKey()).hasSize(want.length);
                double worst = 0;
                for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
                assertThat(worst).as(name + " " + e.getKey() + " max abs diff").isLessThanOrEqualTo(1e-4);
            }
        } finally {
            keep[0].close();
        }
    }

    @ParameterizedTest
    @CsvSource({
        "opt-tiny-f32, '233,233,233,233,233,233,233,233,233,233,233,233'",
        "opt-tiny-bf16, '271,271,271,245,245,245,245,245,245,245,245,245'",
        "opt-tiny-f16-bin, '203,203,203,203,203,203,178,178,178,178,178,178'"})
    void greedyContinuationWithTheKvCacheMatchesTheReference(String name, String want) {
        ModelWeights[] keep = new ModelWeights[1];
        try (OptModel model = load(name, keep)) {
            var gen = new Generator(model);
            var settings = new Generator.Settings(12, Sampling.GREEDY, false, false, 0);
            List<int[]> out = gen.generate(List.of(new Generator.Prompt(new int[] {2, 17, 99, 5}, 0)), settings, null, null);
            List<String> got = new ArrayList<>();
            for (int t : out.get(0)) got.add(Integer.toString(t));
            assertThat(String.join(",", got)).isEqualTo(want);
        } finally {
            keep[0].close();
        }
    }
}
