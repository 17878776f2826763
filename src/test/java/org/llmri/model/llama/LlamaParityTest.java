package org.llmri.model.llama;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.llmri.model.DecoderFixtures;

/** Parity with Hugging Face's LlamaForCausalLM on the reference fixtures (shared/fixtures/decoders/README.md). */
class LlamaParityTest {
    @ParameterizedTest
    @CsvSource({"llama-tiny-f32", "llama-tiny-tied-bf16", "llama-tiny-f16-bin"})
    void logitsAndHiddenStatesMatchHuggingFaceWithin1e4(String name) {
        DecoderFixtures.assertForwardMatches(name);
    }

    @ParameterizedTest
    @CsvSource({
        "llama-tiny-f32, '9,9,9,295,104,9,295,104,9,295,297,113'",
        "llama-tiny-tied-bf16, '143,143,143,143,143,143,143,143,18,18,18,18'",
        "llama-tiny-f16-bin, '12,63,246,190,1,59,116,56,1,116,56,285'"})
    void greedyContinuationThroughTheKvCacheMatchesTheReference(String name, String want) {
        assertThat(DecoderFixtures.greedy(name, 12)).isEqualTo(want);
    }

    @ParameterizedTest
    @CsvSource({"llama-tiny-f32", "llama-tiny-tied-bf16", "llama-tiny-f16-bin"})
    void batchedGenerationEqualsOneByOne(String name) {
        DecoderFixtures.assertBatchedEqualsOneByOne(name);
    }
}
