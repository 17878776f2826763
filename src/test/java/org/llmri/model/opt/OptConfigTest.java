package org.llmri.model.opt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.model.TestFiles;
import org.llmri.model.weights.DType;

class OptConfigTest {
    @TempDir Path dir;

    private Path config(String json) throws IOException {
        Path p = dir.resolve("config.json");
        Files.writeString(p, json);
        return p;
    }

    private static final String REQUIRED = "\"hidden_size\": 64, \"ffn_dim\": 256, \"num_hidden_layers\": 3,"
            + " \"num_attention_heads\": 4, \"vocab_size\": 300, \"max_position_embeddings\": 128";

    @Test
    void readsFixtureConfig() {
        OptConfig c = OptConfig.read(TestFiles.fixture("opt-tiny-f32").resolve("config.json"));
        assertThat(c).isEqualTo(OptConfig.preset("tiny"));
        assertThat(c.headDim()).isEqualTo(16);
        assertThat(c.positionTableRows()).isEqualTo(130);
    }

    @Test
    void optionalFieldsTakeHuggingFaceDefaults() throws IOException {
        OptConfig c = OptConfig.read(config("{" + REQUIRED + "}"));
        assertThat(c.doLayerNormBefore()).isTrue();
        assertThat(c.wordEmbedProjDim()).isEqualTo(64);
        assertThat(c.enableBias()).isTrue();
        assertThat(c.layerNormElementwiseAffine()).isTrue();
        assertThat(c.removeFinalLayerNorm()).isFalse();
        assertThat(c.activation()).isEqualTo(Activation.RELU); // OPTConfig's default
        assertThat(c.bosTokenId()).isEqualTo(2);
        assertThat(c.padTokenId()).isEqualTo(1);
        assertThat(c.eosTokenId()).isEqualTo(2);
        assertThat(c.hasFinalLayerNorm()).isTrue();
        assertThat(c.hasProjections()).isFalse();
    }

    @Test
    void opt350mStyleFieldsAreRead() throws IOException {
        OptConfig c = OptConfig.read(config("{" + REQUIRED + ", \"word_embed_proj_dim\": 32, \"do_layer_norm_before\": false,"
                + " \"_remove_final_layer_norm\": false, \"enable_bias\": false, \"layer_norm_elementwise_affine\": false,"
                + " \"activation_function\": \"relu\", \"model_type\": \"opt\"}"));
        assertThat(c.wordEmbedProjDim()).isEqualTo(32);
        assertThat(c.hasProjections()).isTrue();
        assertThat(c.hasFinalLayerNorm()).isFalse();
        assertThat(c.enableBias()).isFalse();
        assertThat(c.layerNormElementwiseAffine()).isFalse();
    }

    @Test
    void missingHiddenSizeNamesFileAndField() throws IOException {
        Path p = config("{\"ffn_dim\": 256, \"num_hidden_layers\": 3, \"num_attention_heads\": 4, \"vocab_size\": 300,"
                + " \"max_position_embeddings\": 128}");
        assertThatThrownBy(() -> OptConfig.read(p)).isInstanceOf(LlmriException.class)
                .hasMessage(p + ": required field 'hidden_size' is missing");
    }

    @Test
    void unsupportedActivationIsNamed() throws IOException {
        Path p = config("{" + REQUIRED + ", \"activation_function\": \"gelu_new\"}");
        assertThatThrownBy(() -> OptConfig.read(p)).isInstanceOf(LlmriException.class)
                .hasMessageStartingWith(p.toString()).hasMessageContaining("activation_function 'gelu_new' is not supported");
    }

    @Test
    void invalidValuesAreNamed() throws IOException {
        Path p1 = config("{" + REQUIRED.replace("\"ffn_dim\": 256", "\"ffn_dim\": \"big\"") + "}");
        assertThatThrownBy(() -> OptConfig.read(p1)).hasMessage(p1 + ": field 'ffn_dim' must be an integer, got \"big\"");
        Path p2 = config("{" + REQUIRED.replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 5") + "}");
        assertThatThrownBy(() -> OptConfig.read(p2)).hasMessageStartingWith(p2.toString()).hasMessageContaining("not a multiple");
        Path p3 = config("{" + REQUIRED + ", \"enable_bias\": 1}");
        assertThatThrownBy(() -> OptConfig.read(p3)).hasMessageContaining("'enable_bias' must be true or false");
        Path p4 = config("{" + REQUIRED + ", \"model_type\": \"llama\"}");
        assertThatThrownBy(() -> OptConfig.read(p4)).hasMessageContaining("model_type 'llama' is not supported");
        Path p5 = config("{" + REQUIRED.replace("\"vocab_size\": 300", "\"vocab_size\": 0") + "}");
        assertThatThrownBy(() -> OptConfig.read(p5)).hasMessageContaining("vocab_size must be positive");
        Path p6 = config("{\"hidden_size\": 64,");
        assertThatThrownBy(() -> OptConfig.read(p6)).isInstanceOf(LlmriException.class)
                .hasMessageStartingWith(p6 + ": not valid JSON").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> OptConfig.read(dir.resolve("absent.json"))).hasMessageContaining("file not found");
    }

    @Test
    void writeThenReadGivesTheSameConfig() {
        for (String name : OptConfig.presetNames()) {
            OptConfig c = OptConfig.preset(name);
            Path p = dir.resolve(name + ".json");
            c.write(p, DType.F16);
            assertThat(OptConfig.read(p)).isEqualTo(c);
        }
        OptConfig odd = new OptConfig(32, 64, 2, 2, 50, 16, false, 16, false, false, Activation.RELU, true, 5, 6, 7);
        odd.write(dir.resolve("odd.json"));
        assertThat(OptConfig.read(dir.resolve("odd.json"))).isEqualTo(odd);
    }

    @Test
    void writtenConfigLooksLikeTransformers() throws IOException {
        Path p = dir.resolve("config.json");
        OptConfig.preset("galactica-125m").write(p, DType.F16);
        String text = Files.readString(p);
        assertThat(text).contains("\"model_type\": \"opt\"", "\"torch_dtype\": \"float16\"", "\"hidden_size\": 768",
                "\"architectures\": [\n    \"OPTForCausalLM\"\n  ]", "\"activation_function\": \"gelu\"",
                "\"_remove_final_layer_norm\": false");
        assertThat(text.indexOf("\"_remove_final_layer_norm\"")).isLessThan(text.indexOf("\"activation_function\""));
    }

    @Test
    void presetsMatchOptRef() {
        OptConfig g = OptConfig.preset("galactica-125m");
        assertThat(new int[] {g.hiddenSize(), g.ffnDim(), g.numLayers(), g.numHeads(), g.vocabSize(), g.maxPositionEmbeddings()})
                .containsExactly(768, 3072, 12, 12, 50000, 2048);
        assertThat(g.activation()).isEqualTo(Activation.GELU);
        assertThat(new int[] {g.bosTokenId(), g.padTokenId(), g.eosTokenId()}).containsExactly(0, 1, 2);
        OptConfig t = OptConfig.preset("tiny");
        assertThat(new int[] {t.hiddenSize(), t.ffnDim(), t.numLayers(), t.numHeads(), t.vocabSize(), t.maxPositionEmbeddings()})
                .containsExactly(64, 256, 3, 4, 300, 128);
        assertThatThrownBy(() -> OptConfig.preset("gpt2")).isInstanceOf(LlmriException.class).hasMessageContaining("unknown preset 'gpt2'");
    }
}
