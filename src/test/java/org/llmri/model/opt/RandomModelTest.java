package org.llmri.model.opt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.llmri.LlmriException;
import org.llmri.model.weights.DType;
import org.llmri.model.weights.ModelWeights;
import org.llmri.model.weights.Sha256;

@Timeout(120)
class RandomModelTest {
    @TempDir Path tmp;
    final OptConfig tiny = OptConfig.preset("tiny");

    private Path write(String name, long seed, DType dtype, RandomModel.Format format) {
        Path d = tmp.resolve(name);
        RandomModel.write(d, tiny, seed, dtype, format);
        return d;
    }

    private static List<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @ParameterizedTest
    @EnumSource(RandomModel.Format.class)
    void sameSeedGivesIdenticalBytes(RandomModel.Format format) throws IOException {
        Path a = write("a", 42, DType.F16, format);
        Path b = write("b", 42, DType.F16, format);
        Path c = write("c", 43, DType.F16, format);
        String weights = format == RandomModel.Format.SAFETENSORS ? "model.safetensors" : "pytorch_model.bin";
        assertThat(listing(a)).containsExactly("config.json", weights);
        for (String f : listing(a)) assertThat(Files.readAllBytes(a.resolve(f))).as(f).isEqualTo(Files.readAllBytes(b.resolve(f)));
        assertThat(Files.readAllBytes(a.resolve(weights))).isNotEqualTo(Files.readAllBytes(c.resolve(weights)));
    }

    /** Above the shard size the weights go into shards with an index, as save_pretrained writes them, and load to the same tensors. */
    @ParameterizedTest
    @EnumSource(RandomModel.Format.class)
    void largeModelsAreWrittenAsShardsWithAnIndexAndLoadToTheSameTensors(RandomModel.Format format) throws IOException {
        Path whole = write("whole", 5, DType.F16, format);
        Path sharded = tmp.resolve("sharded");
        long total = RandomModel.weightBytes(tiny, DType.F16);
        RandomModel.write(sharded, tiny, 5, DType.F16, format, total / 3, n -> {});
        boolean st = format == RandomModel.Format.SAFETENSORS;
        String index = st ? "model.safetensors.index.json" : "pytorch_model.bin.index.json";
        List<String> files = listing(sharded);
        List<String> shards = files.stream().filter(f -> !f.endsWith(".json")).toList();
        int n = shards.size();
        assertThat(n).isGreaterThanOrEqualTo(3);
        for (int i = 1; i <= n; i++) {
            assertThat(shards).contains(String.format(st ? "model-%05d-of-%05d.safetensors" : "pytorch_model-%05d-of-%05d.bin", i, n));
        }
        assertThat(files).contains("config.json", index).hasSize(2 + n);
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(sharded.resolve(index).toFile());
        assertThat(json.path("metadata").path("total_size").asLong()).isEqualTo(total);
        try (ModelWeights a = ModelWeights.open(whole); ModelWeights b = ModelWeights.open(sharded)) {
            assertThat(b.names()).isEqualTo(a.names());
            assertThat(b.files()).hasSize(n);
            for (String name : a.names()) {
                var x = a.get(name);
                var y = b.get(name);
                float[] fx = new float[(int) x.numel()], fy = new float[(int) y.numel()];
                x.copyToFloat(0, fx, 0, fx.length);
                y.copyToFloat(0, fy, 0, fy.length);
                assertThat(fy).as(name).isEqualTo(fx);
                assertThat(json.path("weight_map").has(b.storedKey(name))).as(name + " in the index").isTrue();
            }
        }
    }

    @Test
    void galacticaPresetsHaveThePublishedShapes() {
        OptConfig b13 = OptConfig.preset("galactica-1.3b"), b67 = OptConfig.preset("galactica-6.7b");
        assertThat(List.of(b13.hiddenSize(), b13.ffnDim(), b13.numLayers(), b13.vocabSize())).containsExactly(2048, 8192, 24, 50000);
        assertThat(List.of(b67.hiddenSize(), b67.ffnDim(), b67.numLayers(), b67.vocabSize())).containsExactly(4096, 16384, 32, 50000);
        // 1.3B and 6.7B parameters: f16 weights of 2.6 and 13.3 GB, so both are sharded at 2 GB
        assertThat(RandomModel.weightBytes(b13, DType.F16) / 1e9).isBetween(2.5, 2.8);
        assertThat(RandomModel.weightBytes(b67, DType.F16) / 1e9).isBetween(13.0, 13.6);
        assertThat(RandomModel.weightBytes(b13, DType.F16)).isGreaterThan(RandomModel.MAX_SHARD_BYTES);
    }

    @Test
    void outputIsPinnedAcrossVersionsAndPlatforms() {
        // Scans record the model checksum; a change here silently changes every random-model result.
        Path d = write("pinned", 1, DType.F32, RandomModel.Format.SAFETENSORS);
        assertThat(Sha256.ofFile(d.resolve("model.safetensors"))).isEqualTo(PINNED_TINY_SEED1_F32);
    }

    static final String PINNED_TINY_SEED1_F32 = "7f0eefbe6e21f39b3569631d2f4b93615400e7f7a9399c4b9adb8f05f565f24d";

    @ParameterizedTest
    @EnumSource(DType.class)
    void safetensorsAndBinHoldTheSameValues(DType dtype) {
        Path st = write("st", 7, dtype, RandomModel.Format.SAFETENSORS);
        Path bin = write("bin", 7, dtype, RandomModel.Format.BIN);
        try (ModelWeights a = ModelWeights.open(st); ModelWeights b = ModelWeights.open(bin)) {
            assertThat(a.names()).isEqualTo(b.names()).hasSize(52).doesNotContain("lm_head.weight");
            for (String n : a.names()) {
                assertThat(a.get(n).dtype()).isEqualTo(dtype);
                assertThat(b.get(n).dtype()).isEqualTo(dtype);
                assertThat(a.get(n).data().mismatch(b.get(n).data())).as(n).isEqualTo(-1L);
            }
            assertThat(a.storedKey("decoder.embed_tokens.weight")).isEqualTo("model.decoder.embed_tokens.weight");
            OptWeights ow = OptWeights.bind(OptConfig.read(st.resolve("config.json")), a);
            assertThat(ow.tiedLmHead()).isTrue();
        }
    }

    @Test
    void halfPrecisionModelsAreTheFloat32ModelRounded() {
        Path f32 = write("f32", 9, DType.F32, RandomModel.Format.SAFETENSORS);
        Path f16 = write("f16", 9, DType.F16, RandomModel.Format.SAFETENSORS);
        Path bf16 = write("bf16", 9, DType.BF16, RandomModel.Format.BIN);
        try (ModelWeights a = ModelWeights.open(f32); ModelWeights h = ModelWeights.open(f16); ModelWeights b = ModelWeights.open(bf16)) {
            for (String n : a.names()) {
                float[] full = a.get(n).toFloatArray();
                for (int i = 0; i < full.length; i += 7) {
                    assertThat(h.get(n).getFloat(i)).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(full[i])));
                    assertThat(b.get(n).getFloat(i)).isEqualTo(DType.bf16ToFloat(DType.floatToBf16(full[i])));
                }
            }
        }
    }

    @Test
    void valuesFollowTheReferenceStandardDeviations() {
        Path d = write("stats", 3, DType.F32, RandomModel.Format.SAFETENSORS);
        try (ModelWeights w = ModelWeights.open(d)) {
            assertMoments(w.get("decoder.embed_tokens.weight").toFloatArray(), 0, 0.05);
            assertMoments(w.get("decoder.embed_positions.weight").toFloatArray(), 0, 0.05);
            assertMoments(w.get("decoder.layers.1.self_attn.q_proj.weight").toFloatArray(), 0, 0.08);
            assertMoments(w.get("decoder.layers.1.fc1.weight").toFloatArray(), 0, 0.05);
            assertMoments(w.get("decoder.layers.1.fc2.weight").toFloatArray(), 0, 0.03);
            float[] fc1Bias = w.get("decoder.layers.0.fc1.bias").toFloatArray();
            assertMoments(fc1Bias, 0, 0.05);
            float[] lnWeights = concat(w, "self_attn_layer_norm.weight", "final_layer_norm.weight");
            assertMoments(lnWeights, 1, 0.1);
            float[] lnBiases = concat(w, "self_attn_layer_norm.bias", "final_layer_norm.bias");
            assertMoments(lnBiases, 0, 0.1);
            // a normal distribution, not merely the right variance: ~68.3% within one sigma
            float[] e = w.get("decoder.embed_tokens.weight").toFloatArray();
            long inside = 0;
            for (float v : e) if (Math.abs(v) < 0.05) inside++;
            assertThat((double) inside / e.length).isCloseTo(0.6827, within(0.01));
        }
    }

    private static float[] concat(ModelWeights w, String... suffixes) {
        float[] out = new float[0];
        for (int l = 0; l < 3; l++) {
            for (String s : suffixes) {
                float[] t = w.get("decoder.layers." + l + "." + s).toFloatArray();
                float[] n = java.util.Arrays.copyOf(out, out.length + t.length);
                System.arraycopy(t, 0, n, out.length, t.length);
                out = n;
            }
        }
        return out;
    }

    private static void assertMoments(float[] v, double mean, double std) {
        double s = 0, ss = 0;
        for (float x : v) s += x;
        double m = s / v.length;
        for (float x : v) ss += (x - m) * (x - m);
        double sd = Math.sqrt(ss / (v.length - 1));
        assertThat(m).isCloseTo(mean, within(5 * std / Math.sqrt(v.length)));
        assertThat(sd).isCloseTo(std, within(std * Math.max(0.05, 6 / Math.sqrt(2.0 * v.length))));
    }

    @Test
    void refusesAFolderHoldingTheOtherFormat() {
        Path d = write("mixed", 1, DType.F32, RandomModel.Format.SAFETENSORS);
        assertThatThrownBy(() -> RandomModel.write(d, tiny, 1, DType.F32, RandomModel.Format.BIN))
                .isInstanceOf(LlmriException.class).hasMessageContaining("already holds model.safetensors");
        RandomModel.write(d, tiny, 2, DType.F32, RandomModel.Format.SAFETENSORS); // same format: replaced
    }

    @Test
    void reportsProgressUpToTheTotal() {
        long[] last = {0};
        RandomModel.write(tmp.resolve("p"), tiny, 1, DType.BF16, RandomModel.Format.BIN, done -> last[0] = done);
        assertThat(last[0]).isEqualTo(RandomModel.weightBytes(tiny, DType.BF16)).isEqualTo(177_600L * 2);
    }

    @Test
    void galactica125mPresetWritesAndBinds() throws IOException {
        OptConfig g = OptConfig.preset("galactica-125m");
        Path d = tmp.resolve("g");
        RandomModel.write(d, g, 1, DType.F16, RandomModel.Format.SAFETENSORS);
        assertThat(Files.size(d.resolve("model.safetensors"))).isBetween(250_060_800L, 250_060_800L + 40_000);
        try (ModelWeights w = ModelWeights.open(d)) {
            assertThat(w.parameterCount()).isEqualTo(125_030_400L);
            OptWeights ow = OptWeights.bind(OptConfig.read(d.resolve("config.json")), w);
            assertThat(ow.embedTokens().shape()).containsExactly(50000, 768);
            assertThat(ow.embedPositions().shape()).containsExactly(2050, 768);
            assertThat(ow.layers()).hasSize(12);
            assertThat(ow.layers().get(11).fc2Weight().shape()).containsExactly(768, 3072);
            assertThat(ow.embedTokens().data().isMapped()).isTrue();
            float last = ow.embedTokens().getFloat(ow.embedTokens().numel() - 1);
            assertThat(Math.abs(last)).isLessThan(0.5f);
        }
    }
}
