package org.llmri.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;

@Timeout(60)
class TextTokenizerTest {
    @TempDir Path dir;

    @Test
    void galacticaTokenizerEncodesAsTransformersDoes() {
        Optional<Path> file = galacticaTokenizerInCache();
        assumeTrue(file.isPresent(), "facebook/galactica-125m is not in the Hugging Face cache");
        try (TextTokenizer t = TextTokenizer.load(file.get())) {
            String text = "The Transformer architecture [START_REF]";
            assertThat(t.encode(text)).containsExactly(592, 23121, 5219, 243, 4);
            assertThat(t.decode(t.encode(text))).isEqualTo(text);
            assertThat(t.vocabSize()).isEqualTo(50000);
            assertThat(t.tokenId("</s>")).isEqualTo(OptionalInt.of(2));
        }
    }

    @Test
    void encodesWithoutAddingSpecialTokensAndDecodeDropsThem() {
        try (TextTokenizer t = TextTokenizer.load(RandomTokenizer.write(dir, 300))) {
            assertThat(t.encode("")).isEmpty();
            int[] ids = t.encode("The cell divides.");
            assertThat(ids).doesNotContain(0, 1, 2, 3);
            int[] wrapped = new int[ids.length + 2];
            wrapped[0] = 0; // <s>
            System.arraycopy(ids, 0, wrapped, 1, ids.length);
            wrapped[ids.length + 1] = 2; // </s>
            assertThat(t.decode(wrapped)).isEqualTo("The cell divides.");
            assertThat(t.decodeToken(2)).isEqualTo("</s>");
        }
    }

    @Test
    void loadsAFolderHoldingTokenizerJson() {
        RandomTokenizer.write(dir, 300);
        try (TextTokenizer t = TextTokenizer.load(dir)) {
            assertThat(t.file()).isEqualTo(dir.resolve("tokenizer.json"));
            assertThat(t.vocabSize()).isEqualTo(300);
        }
    }

    @Test
    void tokenLookupsUseTheFileSpelling() {
        try (TextTokenizer t = TextTokenizer.load(RandomTokenizer.write(dir, 300))) {
            assertThat(t.tokenId("<unk>")).isEqualTo(OptionalInt.of(3));
            assertThat(t.tokenId("Ġ")).isEqualTo(OptionalInt.of(4 + ' '));
            assertThat(t.tokenId("no such token")).isEmpty();
            assertThat(t.tokenString(4 + 'A')).isEqualTo("A");
            assertThatThrownBy(() -> t.decode(new int[] {300}))
                    .isInstanceOf(LlmriException.class).hasMessageContaining("token id 300");
        }
    }

    @Test
    void missingFileIsNamed() {
        Path missing = dir.resolve("nope/tokenizer.json");
        assertThatThrownBy(() -> TextTokenizer.load(missing))
                .isInstanceOf(LlmriException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("no such file");
    }

    @Test
    void brokenJsonIsNamedWithItsLine() throws IOException {
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, "{\n  \"model\": {\n    \"vocab\": {\"a\": 0,,}\n");
        assertThatThrownBy(() -> TextTokenizer.load(f))
                .isInstanceOf(LlmriException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("not valid JSON").hasMessageContaining("line 3")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void jsonThatIsNotATokenizerIsRejected() throws IOException {
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, "{\"hidden_size\": 768}");
        assertThatThrownBy(() -> TextTokenizer.load(f))
                .isInstanceOf(LlmriException.class).hasMessageContaining(f.toString()).hasMessageContaining("model.vocab");
    }

    @Test
    void tokenizerTheRustLibraryRejectsIsNamed() throws IOException {
        Path good = RandomTokenizer.write(dir, 300);
        // a merge whose parts are not in the vocabulary
        String broken = Files.readString(good).replaceFirst("\"merges\" : \\[", "\"merges\" : [ \"xyz qqq\",");
        Path f = dir.resolve("broken.json");
        Files.writeString(f, broken);
        assertThatThrownBy(() -> TextTokenizer.load(f))
                .isInstanceOf(LlmriException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("rejected")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    /** The galactica-125m tokenizer.json of a cached snapshot, if a Python user (or llmri) downloaded it. */
    static Optional<Path> galacticaTokenizerInCache() {
        String hubCache = System.getenv("HF_HUB_CACHE");
        String hfHome = System.getenv("HF_HOME");
        Path cache = hubCache != null ? Path.of(hubCache)
                : hfHome != null ? Path.of(hfHome, "hub")
                : Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
        Path snapshots = cache.resolve("models--facebook--galactica-125m").resolve("snapshots");
        if (!Files.isDirectory(snapshots)) return Optional.empty();
        try (Stream<Path> s = Files.list(snapshots)) {
            return s.sorted().map(p -> p.resolve("tokenizer.json")).filter(Files::isRegularFile).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
