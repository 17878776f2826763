package org.llmri.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;

@Timeout(120)
class RandomTokenizerTest {
    static final List<String> TEXTS = List.of(
            "The Transformer architecture [START_REF]",
            "  leading spaces, trailing spaces  ",
            "Line one\nLine two\r\n\ttabbed\n\n",
            "Grüße aus Köln — naïve café, 世界, ∑ x² dx, emoji 🙂👍",
            "E = mc^2; F = ma; 299,792,458 m/s; 1.67e-27 kg",
            "don't won't it's we're they've I'm you'll he'd",
            "a", "!!!???...", "CamelCaseWordsAndALLCAPS", "x\u0000y\u007f\u00ad");

    @TempDir Path dir;

    @Test
    void tinyPresetHasSpecialsBytesAndFortyMerges() throws IOException {
        Path file = RandomTokenizer.write(dir, 300);
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        JsonNode vocab = root.path("model").path("vocab");
        assertThat(vocab.size()).isEqualTo(300);
        assertThat(root.path("model").path("merges").size()).isEqualTo(40);
        assertThat(vocab.path("<s>").asInt()).isZero();
        assertThat(vocab.path("<pad>").asInt()).isEqualTo(1);
        assertThat(vocab.path("</s>").asInt()).isEqualTo(2);
        assertThat(vocab.path("<unk>").asInt()).isEqualTo(3);
        assertThat(root.path("added_tokens").size()).isEqualTo(4);
        assertThat(root.path("pre_tokenizer").path("add_prefix_space").asBoolean(true)).isFalse();
        assertMergesAreValid(root);
        assertThat(dir.resolve("tokenizer_config.json")).exists();
        assertThat(dir.resolve("special_tokens_map.json")).exists();
    }

    @Test
    void roundTripsTextThroughDjl() {
        try (TextTokenizer t = TextTokenizer.load(RandomTokenizer.write(dir, 300))) {
            assertThat(t.vocabSize()).isEqualTo(300);
            for (String text : TEXTS) assertThat(t.decode(t.encode(text))).isEqualTo(text);
        }
    }

    @Test
    void galacticaSizedVocabularyLoadsAndUsesTheLearnedMerges() throws IOException {
        Path file = RandomTokenizer.write(dir, 50000);
        try (TextTokenizer t = TextTokenizer.load(file)) {
            assertThat(t.vocabSize()).isEqualTo(50000);
            for (String text : TEXTS) assertThat(t.decode(t.encode(text))).isEqualTo(text);
            // words frequent in the corpus became single tokens
            assertThat(t.encode("the")).hasSize(1);
            assertThat(t.encode(" model")).hasSize(1);
            // and the tokenizer compresses English well below one token per byte
            String prose = "The model predicts the next token in the sequence.";
            assertThat(t.encode(prose).length).isLessThan(prose.length() / 2);
        }
        assertMergesAreValid(new ObjectMapper().readTree(file.toFile()));
    }

    @Test
    void sameSizeGivesTheSameBytes() throws IOException {
        byte[] a = Files.readAllBytes(RandomTokenizer.write(dir.resolve("a"), 1000));
        byte[] b = Files.readAllBytes(RandomTokenizer.write(dir.resolve("b"), 1000));
        assertThat(a).isEqualTo(b);
    }

    @Test
    void sizesBelowTheByteAlphabetAreRefused() {
        assertThatThrownBy(() -> RandomTokenizer.write(dir, 259))
                .isInstanceOf(LlmriException.class).hasMessageContaining("259");
        RandomTokenizer.write(dir, 260); // exactly specials + bytes, no merges
    }

    /** Every merge joins two tokens already in the vocabulary into the next new token, in id order. */
    private static void assertMergesAreValid(JsonNode root) {
        JsonNode vocab = root.path("model").path("vocab");
        JsonNode merges = root.path("model").path("merges");
        int nextId = 260;
        for (JsonNode m : merges) {
            String[] parts = m.asText().split(" ");
            assertThat(parts).hasSize(2);
            String joined = parts[0] + parts[1];
            assertThat(vocab.has(parts[0]) && vocab.has(parts[1])).as("parts of %s", m).isTrue();
            assertThat(vocab.path(joined).asInt(-1)).as("id of %s", joined).isEqualTo(nextId++);
            assertThat(vocab.path(parts[0]).asInt()).isLessThan(nextId - 1);
            assertThat(vocab.path(parts[1]).asInt()).isLessThan(nextId - 1);
        }
        assertThat(nextId).isEqualTo(vocab.size());
    }
}
