package org.llmri.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.llmri.LlmriException;
import org.llmri.model.gpt2.Gpt2Config;
import org.llmri.model.llama.LlamaConfig;
import org.llmri.model.neox.NeoxConfig;
import org.llmri.model.run.ConfigJson;
import org.llmri.model.run.RandomWeights;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.model.weights.DType;

/** GPT-2, NeoX and Llama configs: read as transformers reads them, written as save_pretrained writes them; random presets. */
class DecoderConfigTest {
    /** Reading a fixture's config.json and writing it back gives the same bytes transformers wrote. */
    @ParameterizedTest
    @CsvSource({"gpt2-tiny-f32, F32", "gpt2-tiny-f16, F16", "neox-tiny-f32, F32", "neox-tiny-seq-bf16, BF16",
            "llama-tiny-f32, F32", "llama-tiny-tied-bf16, BF16"})
    void configsRoundTripByteForByte(String fixture, String dtype) throws Exception {
        Path file = DecoderFixtures.dir(fixture).resolve("config.json");
        String name = new ObjectMapper().readTree(file.toFile()).get("_name_or_path").asText();
        DType t = DType.valueOf(dtype);
        Map<String, Object> fields = switch (Architectures.modelTypeOf(file)) {
            case "gpt2" -> Gpt2Config.read(file).toJson(t, name);
            case "gpt_neox" -> NeoxConfig.read(file).toJson(t, name);
            default -> LlamaConfig.read(file).toJson(t, name);
        };
        assertThat(ConfigJson.format(fields)).isEqualTo(Files.readString(file));
    }

    @Test
    void llamaDefaultsFollowTransformers(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2,"
                + " \"num_attention_heads\": 4, \"vocab_size\": 300}");
        LlamaConfig c = LlamaConfig.read(file);
        assertThat(c.numKvHeads()).isEqualTo(4);
        assertThat(c.rmsNormEps()).isEqualTo(1e-6);
        assertThat(c.ropeTheta()).isEqualTo(10000.0);
        assertThat(c.tieWordEmbeddings()).isFalse();
    }

    @Test
    void badConfigsFailInOneLineNamingTheFileAndField(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"model_type\": \"llama\", \"num_attention_heads\": 4, \"num_key_value_heads\": 3}");
        assertThatThrownBy(() -> LlamaConfig.read(file)).isInstanceOf(LlmriException.class).hasMessageContaining(file.toString())
                .hasMessageContaining("num_key_value_heads");
        Files.writeString(file, "{\"model_type\": \"gpt_neox\", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}}");
        assertThatThrownBy(() -> NeoxConfig.read(file)).isInstanceOf(LlmriException.class).hasMessageContaining("rope_scaling");
        Files.writeString(file, "{\"model_type\": \"gpt2\", \"activation_function\": \"gelu_fast\"}");
        assertThatThrownBy(() -> Gpt2Config.read(file)).isInstanceOf(LlmriException.class).hasMessageContaining("activation_function");
    }

    /** Every preset writes a model that loads, with its family's runtime; Llama's tokenizer adds its BOS. */
    @ParameterizedTest
    @CsvSource({"gpt2-tiny, GPT2LMHeadModel", "neox-tiny, GPTNeoXForCausalLM", "neox-tiny-seq, GPTNeoXForCausalLM",
            "llama-tiny, LlamaForCausalLM", "llama-tiny-tied, LlamaForCausalLM"})
    void tinyPresetsLoadAndRun(String preset, String architecture, @TempDir Path dir) {
        RandomPresets.write(dir, preset, 1, DType.BF16, RandomWeights.Format.BIN, b -> {});
        try (LoadedModel m = LoadedModel.open(dir); TextTokenizer tok = TextTokenizer.load(dir)) {
            assertThat(m.model().architecture()).isEqualTo(architecture);
            assertThat(m.model().vocabSize()).isEqualTo(300);
            int[] ids = tok.encode("The cell divides.");
            assertThat(ids).isNotEmpty();
            var out = org.llmri.model.run.HiddenStates.run(m.model(), ids);
            for (float v : out.get("logits")) assertThat(Float.isFinite(v)).isTrue();
            if (architecture.startsWith("Llama")) {
                assertThat(tok.encodeMarked("The cell", true).ids()[0]).isEqualTo(1);
                assertThat(tok.tokenId("<s>").getAsInt()).isEqualTo(1);
            }
        }
    }

    @Test
    void realisticPresetsHaveTheReferenceShapes() {
        assertThat(RandomPresets.weightBytes("gpt2", DType.F32) / 4).isEqualTo(124_439_808L);
        assertThat(RandomPresets.weightBytes("pythia-160m", DType.F32) / 4).isEqualTo(162_322_944L);
        assertThat(RandomPresets.weightBytes("llama-tiny-stories", DType.F32) / 4).isEqualTo(15_191_712L);
    }

    @Test
    void aGpt2FolderWithOnlyVocabAndMergesNamesTheMissingTokenizerJson(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("vocab.json"), "{}");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n");
        assertThatThrownBy(() -> TextTokenizer.load(dir)).isInstanceOf(LlmriException.class)
                .hasMessageContaining("tokenizer.json").hasMessageContaining("vocab.json");
    }
}
