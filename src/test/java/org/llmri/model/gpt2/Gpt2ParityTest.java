package org.llmri.model.gpt2;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.llmri.model.DecoderFixtures;

/** Parity with Hugging Face's GPT2LMHeadModel on the reference fixtures (shared/fixtures/decoders/README.md). */
class Gpt2ParityTest {
    @ParameterizedTest
    @CsvSource({"gpt2-tiny-f32", "gpt2-tiny-f16", "gpt2-tiny-f32-hub-bin"})
    void logitsAndHiddenStatesMatchHuggingFaceWithin1e4(String name) {
        DecoderFixtures.assertForwardMatches(name);
    }

    @ParameterizedTest
    @CsvSource({
        "gpt2-tiny-f32, '143,143,74,74,74,74,74,74,74,74,74,74'",
        "gpt2-tiny-f16, '259,259,259,259,259,259,259,259,259,259,259,259'",
        "gpt2-tiny-f32-hub-bin, '285,285,285,285,285,285,285,285,285,285,285,285'"})
    void greedyContinuationThroughTheKvCacheMatchesTheReference(String name, String want) {
        assertThat(DecoderFixtures.greedy(name, 12)).isEqualTo(want);
    }

    @ParameterizedTest
    @CsvSource({"gpt2-tiny-f32", "gpt2-tiny-f16", "gpt2-tiny-f32-hub-bin"})
    void batchedGenerationEqualsOneByOne(String name) {
        DecoderFixtures.assertBatchedEqualsOneByOne(name);
    }
}
