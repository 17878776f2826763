package org.llmri.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.llmri.LlmriException;
import org.llmri.model.tokenizer.TextTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Shows how a tokenizer splits a text: one row per token with its id, vocabulary entry and text. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Encode a text with a model's tokenizer.json (no BOS/EOS added, as Galactica prompts are fed)"
                + " and print one TSV row per token: position, id, vocabulary entry and decoded text (JSON-quoted).")
public final class TokenizeCommand implements Runnable {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Folder holding tokenizer.json (or the tokenizer.json file itself).")
    Path model;

    @Option(names = "--text", required = true, paramLabel = "TEXT", description = "Text to encode; '-' reads standard input.")
    String text;

    @Option(names = "--ids-only", description = "Print only the token ids, space-separated, on one line.")
    boolean idsOnly;

    @Override
    public void run() {
        String input = text.equals("-") ? readStdin() : text;
        PrintWriter out = spec.commandLine().getOut();
        try (TextTokenizer tokenizer = TextTokenizer.load(model)) {
            int[] ids = tokenizer.encode(input);
            if (idsOnly) {
                out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
            } else {
                ObjectMapper json = new ObjectMapper();
                out.println("position\tid\ttoken\ttext");
                for (int i = 0; i < ids.length; i++) {
                    out.println(i + "\t" + ids[i] + "\t" + quote(json, tokenizer.tokenString(ids[i])) + "\t"
                            + quote(json, tokenizer.decodeToken(ids[i])));
                }
            }
            out.flush();
        }
    }

    private static String quote(ObjectMapper json, String s) {
        try {
            return json.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a string always serialises", e);
        }
    }

    private static String readStdin() {
        try {
            return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LlmriException("--text -: cannot read standard input (" + org.llmri.io.AtomicFile.describe(e) + ")");
        }
    }
}
