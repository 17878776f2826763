package org.llmri.model.neox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.llmri.model.DecoderFixtures;

/** Parity with Hugging Face's GPTNeoXForCausalLM on the reference fixtures (shared/fixtures/decoders/README.md). */
class NeoxParityTest {
    @ParameterizedTest
    @CsvSource({"neox-tiny-f32", "neox-tiny-seq-bf16", "neox-tiny-f16-bin"})
    void logitsAndHiddenStatesMatchHuggingFaceWithin1e4(String name) {
        DecoderFixtures.assertForwardMatches(name);
    }

    @ParameterizedTest
    @CsvSource({
        "neox-tiny-f32, '119,216,292,91,162,54,15,119,15,119,234,275'",
        "neox-tiny-seq-bf16, '146,146,146,146,146,192,146,146,192,201,229,146'",
        "neox-tiny-f16-bin, '145,145,145,145,145,145,130,267,213,132,295,267'"})
    void greedyContinuationThroughTheKvCacheMatchesTheReference(String name, String want) {
        assertThat(DecoderFixtures.greedy(name, 12)).isEqualTo(want);
    }

    @ParameterizedTest
    @CsvSource({"neox-tiny-f32", "neox-tiny-seq-bf16", "neox-tiny-f16-bin"})
    void batchedGenerationEqualsOneByOne(String name) {
        DecoderFixtures.assertBatchedEqualsOneByOne(name);
    }
}
