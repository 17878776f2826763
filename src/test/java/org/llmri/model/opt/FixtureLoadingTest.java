package org.llmri.model.opt;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.llmri.model.TestFiles;
import org.llmri.model.weights.DType;
import org.llmri.model.weights.ModelWeights;
import org.llmri.model.weights.Safetensors;
import org.llmri.model.weights.Sha256;
import org.llmri.model.weights.Tensor;

/**
 * The three reference models load as Hugging Face publishes them. Expected values were read once with
 * PyTorch (opt_ref.load_model) and are compared bit for bit: upcasting to float32 is exact.
 */
@Timeout(60)
class FixtureLoadingTest {

    @ParameterizedTest
    @ValueSource(strings = {"opt-tiny-f32", "opt-tiny-bf16", "opt-tiny-f16-bin"})
    void fixtureLoadsWithCanonicalNamesAndBinds(String folder) {
        Path dir = TestFiles.fixture(folder);
        OptConfig config = OptConfig.read(dir.resolve("config.json"));
        try (ModelWeights w = ModelWeights.open(dir)) {
            assertThat(w.names()).hasSize(52).allMatch(n -> n.startsWith("decoder.")).doesNotContain("lm_head.weight");
            assertThat(w.storedKey("decoder.embed_tokens.weight")).isEqualTo("model.decoder.embed_tokens.weight");
            OptWeights ow = OptWeights.bind(config, w);
            assertThat(ow.lmHead()).isSameAs(ow.embedTokens());
            assertThat(ow.tiedLmHead()).isTrue();
            assertThat(ow.layers()).hasSize(3);
            assertThat(ow.projectIn()).isNull();
            assertThat(ow.embedPositions().shape()).containsExactly(130, 64);
            assertThat(ow.layers().get(1).fc1Weight().shape()).containsExactly(256, 64);
            assertThat(ow.layers().get(2).qBias().name()).isEqualTo("decoder.layers.2.self_attn.q_proj.bias");
            assertThat(ow.finalLayerNormBias()).isNotNull();
            // memory-mapped, not copied onto the heap
            assertThat(ow.embedTokens().data().isMapped()).isTrue();
            assertThat(w.parameterCount()).isEqualTo(177_600);
        }
    }

    @ParameterizedTest(name = "{0} {1}[{2}]")
    @CsvSource({
        "opt-tiny-f32, F32, decoder.embed_tokens.weight, 0, 0xbd9c3895",
        "opt-tiny-f32, F32, decoder.embed_tokens.weight, 19199, 0xbc21350b",
        "opt-tiny-f32, F32, decoder.embed_tokens.weight, 1093, 0xbc1a3125",
        "opt-tiny-f32, F32, decoder.embed_positions.weight, 8256, 0xbd337afb",
        "opt-tiny-f32, F32, decoder.layers.1.fc1.weight, 16383, 0x3c83cdea",
        "opt-tiny-f32, F32, decoder.layers.1.fc1.weight, 199, 0xbd0bad0f",
        "opt-tiny-f32, F32, decoder.layers.2.self_attn.q_proj.bias, 40, 0xbba89192",
        "opt-tiny-f32, F32, decoder.final_layer_norm.bias, 10, 0x3d3123d3",
        "opt-tiny-f32, F32, decoder.layers.0.fc2.weight, 16383, 0xbc58cfae",
        "opt-tiny-bf16, BF16, decoder.embed_tokens.weight, 0, 0xbd550000",
        "opt-tiny-bf16, BF16, decoder.embed_tokens.weight, 19199, 0xbcbe0000",
        "opt-tiny-bf16, BF16, decoder.embed_positions.weight, 8256, 0xbd7d0000",
        "opt-tiny-bf16, BF16, decoder.layers.1.fc1.weight, 199, 0x3cf80000",
        "opt-tiny-bf16, BF16, decoder.layers.2.self_attn.q_proj.bias, 40, 0x3d610000",
        "opt-tiny-bf16, BF16, decoder.layers.0.fc2.weight, 16383, 0xbd240000",
        "opt-tiny-f16-bin, F16, decoder.embed_tokens.weight, 0, 0xbb7b2000",
        "opt-tiny-f16-bin, F16, decoder.embed_tokens.weight, 19199, 0x3d188000",
        "opt-tiny-f16-bin, F16, decoder.embed_tokens.weight, 1093, 0xbbb3c000",
        "opt-tiny-f16-bin, F16, decoder.embed_positions.weight, 8256, 0x3d166000",
        "opt-tiny-f16-bin, F16, decoder.layers.1.fc1.weight, 16383, 0xb8e74000",
        "opt-tiny-f16-bin, F16, decoder.layers.2.self_attn.q_proj.bias, 40, 0xbbaa4000",
        "opt-tiny-f16-bin, F16, decoder.final_layer_norm.bias, 10, 0x3dac8000",
        "opt-tiny-f16-bin, F16, decoder.layers.0.fc2.weight, 16383, 0x3ba1c000",
    })
    void valuesMatchPyTorch(String folder, DType dtype, String name, long flatIndex, String f32Bits) {
        try (ModelWeights w = ModelWeights.open(TestFiles.fixture(folder))) {
            Tensor t = w.get(name);
            assertThat(t.dtype()).isEqualTo(dtype);
            float expected = Float.intBitsToFloat(Integer.parseUnsignedInt(f32Bits.substring(2), 16));
            assertThat(t.getFloat(flatIndex)).isEqualTo(expected);
            float[] all = t.toFloatArray();
            assertThat(all[(int) flatIndex]).isEqualTo(expected);
            float[] one = new float[3];
            t.copyToFloat(flatIndex, one, 1, 1);
            assertThat(one[1]).isEqualTo(expected);
        }
    }

    @Test
    void expectedOutputsFileReadsAsSafetensors() {
        try (Arena arena = Arena.ofConfined()) {
            SortedMap<String, Tensor> t = Safetensors.map(TestFiles.fixture("opt-tiny-f32").resolve("expected.safetensors"), arena);
            assertThat(t.keySet()).containsExactly("hidden.0", "hidden.1", "hidden.2", "hidden.3", "logits");
            assertThat(t.get("logits").shape()).containsExactly(11, 300);
            assertThat(t.get("hidden.0").dtype()).isEqualTo(DType.F32);
        }
    }

    @Test
    void checksumOfOneFileIsItsSha256AndOfShardsTheHashOfSha256sumLines() {
        Path f32 = TestFiles.fixture("opt-tiny-f32").resolve("model.safetensors");
        Path bf16 = TestFiles.fixture("opt-tiny-bf16").resolve("model.safetensors");
        // values from the sha256sum tool
        assertThat(Sha256.ofFiles(java.util.List.of(f32)))
                .isEqualTo("05e6c3fe79735308969717824124332f7ae0bfd9dc9d65ab98d2cd36d1bbc1bd");
        assertThat(Sha256.ofFiles(java.util.List.of(f32, bf16)))
                .isEqualTo("d192a2a0bdf6648cdb56d7ce7b140159da98a331c5c26392b31626e5ca33641d");
    }
}
