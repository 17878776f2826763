package org.llmri.paradigm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.llmri.LlmriException;

/**
 * A list of prompts with stable ids. Bank files hold one prompt per line, or {@code topic<TAB>prompt} to tag a
 * prompt with a topic (letters and digits); blank lines and lines starting with {@code #} are skipped.
 * A prompt's id is {@code <prefix>-<nnn>}, or {@code <prefix>-<topic>-<nnn>} for tagged prompts, numbered from 1
 * in file order (within its topic), so ids stay the same however the prompts are later shuffled.
 *
 * @param ref     how the study names the bank ({@code builtin:control}, a path, or "inline")
 * @param prompts the prompts in bank order
 */
public record PromptBank(String ref, List<Prompt> prompts) {

    /** @param topic the topic tag, or "" when the line had none */
    public record Prompt(String id, String topic, String text) {}

    /** Built-in banks, in the order {@code llmri paradigm list} shows them. */
    public static final List<String> BUILTIN = List.of(
            "politicalscience", "medicalimaging", "paleontology", "archeology", "pathology", "control");

    static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]+");
    static final long MAX_FILE_BYTES = 32L << 20;
    static final int MAX_PROMPTS = 1_000_000;

    public PromptBank {
        prompts = List.copyOf(prompts);
    }

    public int size() {
        return prompts.size();
    }

    /** Distinct topic tags in first-seen order ("" for untagged prompts). */
    public List<String> topics() {
        return prompts.stream().map(Prompt::topic).distinct().toList();
    }

    /** A built-in bank by name, ids prefixed with {@code idPrefix}. */
    public static PromptBank builtin(String name, String idPrefix) {
        if (!BUILTIN.contains(name)) {
            throw new LlmriException("builtin:" + name + ": no such built-in bank (there are: "
                    + String.join(", ", BUILTIN) + ")");
        }
        String resource = "banks/" + name + ".txt";
        try (InputStream in = PromptBank.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            return parse("builtin:" + name, "builtin:" + name, in.readAllBytes(), idPrefix);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + resource, e);
        }
    }

    /** The raw text of a built-in bank file, for users who want to copy and edit it. */
    public static String builtinText(String name) {
        builtin(name, name); // validates the name
        try (InputStream in = PromptBank.class.getResourceAsStream("banks/" + name + ".txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A bank file; {@code ref} is how the study wrote it, used in messages along with the resolved path. */
    public static PromptBank read(Path file, String ref, String idPrefix) {
        if (!Files.isRegularFile(file)) {
            throw new LlmriException(file + ": bank file not found");
        }
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new LlmriException(file + ": bank file is " + size + " bytes; the limit is " + MAX_FILE_BYTES);
            }
            return parse(ref, file.toString(), Files.readAllBytes(file), idPrefix);
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read bank file: " + e.getMessage());
        }
    }

    /** Prompts listed in the study itself; the caller has checked they are non-blank and distinct. */
    public static PromptBank inline(List<String> texts, String idPrefix) {
        List<Prompt> prompts = new ArrayList<>(texts.size());
        int width = Math.max(3, Integer.toString(texts.size()).length());
        for (int i = 0; i < texts.size(); i++) {
            prompts.add(new Prompt(idPrefix + "-" + pad(i + 1, width), "", texts.get(i)));
        }
        return new PromptBank("inline", prompts);
    }

    /** The bank a source names; null for generated sources (random strings), which have no bank. */
    public static PromptBank of(PromptSource source, String idPrefix) {
        return switch (source) {
            case PromptSource.BuiltinBank b -> builtin(b.name(), idPrefix);
            case PromptSource.FileBank f -> read(f.file(), f.ref(), idPrefix);
            case PromptSource.Inline in -> inline(in.prompts(), idPrefix);
            case PromptSource.RandomStrings r -> null;
        };
    }

    private static PromptBank parse(String ref, String fileLabel, byte[] bytes, String idPrefix) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new LlmriException(fileLabel + ": bank file is not UTF-8 text");
        }
        if (text.startsWith("\uFEFF")) text = text.substring(1);

        record Line(int number, String topic, String text) {}
        List<Line> lines = new ArrayList<>();
        Map<String, Integer> firstLineOfText = new HashMap<>();
        String[] raw = text.split("\n", -1);
        for (int i = 0; i < raw.length; i++) {
            String line = raw[i].endsWith("\r") ? raw[i].substring(0, raw[i].length() - 1) : raw[i];
            if (line.isBlank() || line.stripLeading().startsWith("#")) continue;
            int lineNumber = i + 1;
            String topic = "";
            String prompt = line.strip();
            int tab = line.indexOf('\t');
            if (tab >= 0) {
                topic = line.substring(0, tab).strip();
                prompt = line.substring(tab + 1).strip();
                if (!LABEL.matcher(topic).matches()) {
                    throw new LlmriException(fileLabel + ":" + lineNumber + ": topic tag '" + topic
                            + "' must be letters and digits only (a line is 'prompt' or 'topic<TAB>prompt')");
                }
                if (prompt.isEmpty()) {
                    throw new LlmriException(fileLabel + ":" + lineNumber + ": empty prompt after the topic tag");
                }
                if (prompt.indexOf('\t') >= 0) {
                    throw new LlmriException(fileLabel + ":" + lineNumber
                            + ": more than one tab (a line is 'prompt' or 'topic<TAB>prompt')");
                }
            }
            Integer earlier = firstLineOfText.putIfAbsent(prompt, lineNumber);
            if (earlier != null) {
                throw new LlmriException(fileLabel + ":" + lineNumber + ": duplicate prompt (same as line " + earlier
                        + "); a bank's prompts must be distinct so that runs never share a prompt");
            }
            if (lines.size() == MAX_PROMPTS) {
                throw new LlmriException(fileLabel + ": more than " + MAX_PROMPTS + " prompts");
            }
            lines.add(new Line(lineNumber, topic, prompt));
        }

        Map<String, Integer> perTopic = new LinkedHashMap<>();
        for (Line l : lines) perTopic.merge(l.topic(), 1, Integer::sum);
        int width = Math.max(3, Integer.toString(perTopic.values().stream().mapToInt(n -> n).max().orElse(0)).length());
        Map<String, Integer> counter = new HashMap<>();
        List<Prompt> prompts = new ArrayList<>(lines.size());
        for (Line l : lines) {
            int n = counter.merge(l.topic(), 1, Integer::sum);
            String id = l.topic().isEmpty()
                    ? idPrefix + "-" + pad(n, width)
                    : idPrefix + "-" + l.topic() + "-" + pad(n, width);
            prompts.add(new Prompt(id, l.topic(), l.text()));
        }
        return new PromptBank(ref, prompts);
    }

    static String pad(int n, int width) {
        String s = Integer.toString(n);
        return "0".repeat(Math.max(0, width - s.length())) + s;
    }
}
