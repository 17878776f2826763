package org.llmri.model.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;

class BertConfigTest {
    @TempDir Path dir;

    private Path config(String json) throws IOException {
        return Files.writeString(dir.resolve("config.json"), json);
    }

    @Test
    void readsMiniLmsConfigAndTakesBertConfigsDefaultsForAbsentFields() throws IOException {
        BertConfig c = BertConfig.read(config("""
                {"model_type": "bert", "hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12,
                 "intermediate_size": 1536, "layer_norm_eps": 1e-12}"""));
        assertThat(c).isEqualTo(new BertConfig(30522, 384, 6, 12, 1536, BertConfig.Activation.GELU, 512, 2, 1e-12f, 0));
        assertThat(c.headDim()).isEqualTo(32);
    }

    @Test
    void refusesWhatTheRuntimeWouldComputeWrongly() throws IOException {
        assertThatThrownBy(() -> BertConfig.read(config("{\"model_type\": \"bert\", \"position_embedding_type\": \"relative_key\"}")))
                .isInstanceOf(LlmriException.class).hasMessageContaining("position_embedding_type 'relative_key' is not supported");
        assertThatThrownBy(() -> BertConfig.read(config("{\"model_type\": \"bert\", \"hidden_act\": \"gelu_new\"}")))
                .isInstanceOf(LlmriException.class).hasMessageContaining("hidden_act 'gelu_new' is not supported");
        assertThatThrownBy(() -> BertConfig.read(config("{\"model_type\": \"bert\", \"is_decoder\": true}")))
                .isInstanceOf(LlmriException.class).hasMessageContaining("encoder only");
        assertThatThrownBy(() -> BertConfig.read(config("{\"model_type\": \"opt\"}")))
                .isInstanceOf(LlmriException.class).hasMessageContaining("model_type 'opt' is not 'bert'");
        assertThatThrownBy(() -> BertConfig.read(config("{\"model_type\": \"bert\", \"hidden_size\": 100, \"num_attention_heads\": 12}")))
                .isInstanceOf(LlmriException.class).hasMessageStartingWith(dir.resolve("config.json").toString())
                .hasMessageContaining("not a multiple of num_attention_heads");
    }
}
