package org.llmri.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.llmri.model.run.Generator;
import org.llmri.model.run.HiddenStates;
import org.llmri.model.run.Sampling;
import org.llmri.model.weights.Safetensors;
import org.llmri.model.weights.Tensor;

/**
 * The GPT-2, GPT-NeoX and Llama reference fixtures (../shared/fixtures/decoders, made by decoder_ref.py
 * and checked against transformers): what each family's parity test asserts.
 */
public final class DecoderFixtures {
    private DecoderFixtures() {}

    public static final int[] IDS = {2, 17, 99, 5, 250, 3, 44, 0, 1, 299, 128};

    public static Path dir(String name) {
        return Path.of("../shared/fixtures/decoders", name);
    }

    /** Every tensor of expected.safetensors (logits, hidden.0 .. hidden.3) within 1e-4; returns the worst difference. */
    public static double assertForwardMatches(String name) {
        try (LoadedModel m = LoadedModel.open(dir(name)); Arena arena = Arena.ofConfined()) {
            Map<String, float[]> ours = HiddenStates.run(m.model(), IDS);
            SortedMap<String, Tensor> expected = Safetensors.map(dir(name).resolve("expected.safetensors"), arena);
            assertThat(ours.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            double all = 0;
            for (var e : expected.entrySet()) {
                float[] want = e.getValue().toFloatArray();
                float[] got = ours.get(e.getKey());
                assertThat(got).as(e.getKey()).hasSize(want.length);
                double worst = 0;
                for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
                assertThat(worst).as(name + " " + e.getKey() + " max abs diff").isLessThanOrEqualTo(1e-4);
                all = Math.max(all, worst);
            }
            return all;
        }
    }

    /** Greedy continuation of 2,17,99,5 through the KV cache, as "a,b,c". */
    public static String greedy(String name, int newTokens) {
        try (LoadedModel m = LoadedModel.open(dir(name))) {
            var settings = new Generator.Settings(newTokens, Sampling.GREEDY, false, false, 0);
            List<int[]> out = new Generator(m.model()).generate(List.of(new Generator.Prompt(new int[] {2, 17, 99, 5}, 0)),
                    settings, null, null);
            List<String> got = new ArrayList<>();
            for (int t : out.get(0)) got.add(Integer.toString(t));
            return String.join(",", got);
        }
    }

    /** Prompts of different lengths generated as one batch give what each gives alone. */
    public static void assertBatchedEqualsOneByOne(String name) {
        List<Generator.Prompt> prompts = List.of(new Generator.Prompt(new int[] {2, 17, 99, 5}, 0),
                new Generator.Prompt(new int[] {44, 0}, 0), new Generator.Prompt(new int[] {250, 3, 44, 0, 1, 299, 128}, 0));
        var settings = new Generator.Settings(8, Sampling.GREEDY, false, false, 0);
        try (LoadedModel m = LoadedModel.open(dir(name))) {
            Generator g = new Generator(m.model());
            List<int[]> together = g.generate(prompts, settings, null, null);
            for (int i = 0; i < prompts.size(); i++) {
                int[] alone = g.generate(List.of(prompts.get(i)), settings, null, null).get(0);
                assertThat(together.get(i)).as(name + " prompt " + i).containsExactly(alone);
            }
        }
    }
}
