package org.llmri.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.model.tokenizer.RandomTokenizer;
import org.llmri.model.tokenizer.TextTokenizer;

@Timeout(60)
class TokenizeCommandTest {
    @TempDir Path dir;
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    int run(String... args) {
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
    void printsOneRowPerTokenWithItsIdAndText() {
        RandomTokenizer.write(dir, 300);
        int code = run("tokenize", "--model", dir.toString(), "--text", "the cell");
        assertThat(code).isZero();
        String[] lines = out.toString().split("\n");
        assertThat(lines[0]).isEqualTo("position\tid\ttoken\ttext");
        int[] expected;
        try (TextTokenizer t = TextTokenizer.load(dir)) {
            expected = t.encode("the cell");
        }
        assertThat(lines).hasSize(expected.length + 1);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            String[] cols = lines[i + 1].split("\t");
            assertThat(cols[0]).isEqualTo(Integer.toString(i));
            assertThat(cols[1]).isEqualTo(Integer.toString(expected[i]));
            text.append(cols[3], 1, cols[3].length() - 1);
        }
        assertThat(text.toString()).isEqualTo("the cell");
        assertThat(out.toString()).contains("\"Ġ");
    }

    @Test
    void idsOnlyPrintsOneLine() {
        RandomTokenizer.write(dir, 300);
        assertThat(run("tokenize", "--model", dir.resolve("tokenizer.json").toString(), "--text", "ab", "--ids-only"))
                .isZero();
        assertThat(out.toString().strip()).matches("\\d+( \\d+)*");
    }

    @Test
    void missingTokenizerIsAOneLineError() {
        int code = run("tokenize", "--model", dir.toString(), "--text", "x");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith("llmri: ").contains("tokenizer.json").contains("no such file");
        assertThat(err.toString().strip()).doesNotContain("\n");
    }
}
