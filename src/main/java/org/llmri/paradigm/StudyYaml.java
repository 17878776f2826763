package org.llmri.paradigm;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.llmri.LlmriException;

/**
 * Study YAML, read and written. Reading goes through a small tree that remembers each node's line, so every
 * error, from a syntax slip to a bank too small for the runs asked for, points at the line and field at fault.
 */
final class StudyYaml {
    static final long MAX_FILE_BYTES = 16L << 20;

    private StudyYaml() {}

    // ---------------------------------------------------------------- the located tree

    private sealed interface Node {
        int line();
    }

    /** @param number the parsed value of a numeric token, else null */
    private record Scalar(int line, JsonToken token, String text, Number number) implements Node {}

    private record Sequence(int line, List<Node> items) implements Node {}

    private record Mapping(int line, Map<String, Field> fields) implements Node {}

    private record Field(String key, int line, Node value) {}

    private static Node readTree(String text, String label) {
        try (YAMLParser p = new YAMLFactory().createParser(text)) {
            JsonToken first = p.nextToken();
            if (first == null) return new Mapping(1, new LinkedHashMap<>());
            Node root = readNode(p, label);
            if (p.nextToken() != null) {
                throw new LlmriException(label + ":" + line(p) + ": a study file holds one YAML document; found another");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw syntaxError(e, label);
        } catch (IOException e) {
            throw new LlmriException(label + ": cannot read: " + e.getMessage());
        }
    }

    private static Node readNode(YAMLParser p, String label) throws IOException {
        int line = line(p);
        JsonToken t = p.currentToken();
        if (p.isCurrentAlias()) {
            throw new LlmriException(label + ":" + line + ": YAML aliases (*" + p.getText() + ") are not supported in a study file");
        }
        switch (t) {
            case START_OBJECT -> {
                Map<String, Field> fields = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    int keyLine = line(p);
                    p.nextToken();
                    Node value = readNode(p, label);
                    Field earlier = fields.putIfAbsent(key, new Field(key, keyLine, value));
                    if (earlier != null) {
                        throw new LlmriException(label + ":" + keyLine + ": field '" + key + "' appears twice (first on line "
                                + earlier.line() + ")");
                    }
                }
                return new Mapping(line, fields);
            }
            case START_ARRAY -> {
                List<Node> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) items.add(readNode(p, label));
                return new Sequence(line, items);
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return new Scalar(line, t, p.getText(), p.getNumberValue());
            }
            default -> {
                return new Scalar(line, t, p.getText(), null);
            }
        }
    }

    private static int line(JsonParser p) {
        return p.currentTokenLocation().getLineNr();
    }

    private static LlmriException syntaxError(JsonProcessingException e, String label) {
        // snakeyaml's own exception holds the short problem text and its mark; Jackson's message spans many lines
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblemMark() != null) {
                return new LlmriException(label + ":" + (m.getProblemMark().getLine() + 1) + ": YAML syntax error: "
                        + oneLine(m.getProblem()));
            }
        }
        int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
        return new LlmriException(label + (line > 0 ? ":" + line : "") + ": YAML syntax error: " + oneLine(e.getOriginalMessage()));
    }

    private static String oneLine(String s) {
        return s == null ? "unreadable YAML" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    // ---------------------------------------------------------------- reading

    static Study load(Path file) {
        String label = file.toString();
        if (!Files.isRegularFile(file)) throw new LlmriException(label + ": study file not found");
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new LlmriException(label + ": study file is " + size + " bytes; the limit is " + MAX_FILE_BYTES
                        + " (put long prompt lists in bank files)");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new LlmriException(label + ": cannot read: " + e.getMessage());
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new LlmriException(label + ": study file is not UTF-8 text");
        }
        return parse(text, label, file.toAbsolutePath().getParent());
    }

    static Study parse(String text, String label, Path baseDir) {
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        Node root = readTree(text, label);
        Study study = new Reader(label, baseDir).study(root);
        List<StudyCheck.Problem> problems = StudyCheck.problems(study);
        if (!problems.isEmpty()) {
            StudyCheck.Problem first = problems.getFirst();
            int line = locate(root, first.path(), true);
            for (int i = 0; line == 0 && i < first.alsoAbout().size(); i++) line = locate(root, first.alsoAbout().get(i), true);
            if (line == 0) line = locate(root, first.path(), false);
            throw Reader.error(label, line, first.message());
        }
        return study;
    }

    private static final Pattern PATH_STEP = Pattern.compile("([a-z_]+)((?:\\[\\d+])*)");
    private static final Pattern INDEX = Pattern.compile("\\[(\\d+)]");

    /**
     * The line of a field, given as a path like {@code tasks[2].bank}; when the file does not write it, 0 if
     * {@code exact}, else the line of its nearest written ancestor (0 when none is written).
     */
    private static int locate(Node root, String path, boolean exact) {
        int line = 0;
        Node node = root;
        for (String step : path.split("\\.")) {
            Matcher m = PATH_STEP.matcher(step);
            if (!m.matches() || !(node instanceof Mapping map) || !map.fields().containsKey(m.group(1))) return exact ? 0 : line;
            Field f = map.fields().get(m.group(1));
            line = f.line();
            node = f.value();
            Matcher idx = INDEX.matcher(m.group(2));
            while (idx.find()) {
                int i = Integer.parseInt(idx.group(1));
                if (!(node instanceof Sequence seq) || i >= seq.items().size()) return exact ? 0 : line;
                node = seq.items().get(i);
                line = node.line();
            }
        }
        return line;
    }

    /** Turns the tree into a Study, filling what is left out from the built-in paradigm. */
    private record Reader(String label, Path baseDir) {
        static final Set<String> STUDY_FIELDS = orderedSet("name", "model", "taps", "storage_dtype", "acquisition", "generation",
                "read", "context", "design", "runs_per_task", "seed", "tasks", "control", "revisions");
        static final Set<String> READ_FIELDS = orderedSet("keep_special_tokens", "batch_size");
        static final Set<String> GENERATION_FIELDS = orderedSet("max_new_tokens", "strategy", "temperature", "top_k", "top_p",
                "suppress_eos", "batch_size");
        static final Set<String> DESIGN_FIELDS = orderedSet("pattern", "prompts_per_block");
        static final Set<String> TASK_FIELDS = orderedSet("id", "name", "bank", "prompts", "generator");
        static final Set<String> CONTROL_FIELDS = orderedSet("bank", "prompts", "generator");
        static final Set<String> GENERATOR_FIELDS = orderedSet("kind", "min_chars", "max_chars");

        static LlmriException error(String label, int line, String message) {
            return new LlmriException(label + (line > 0 ? ":" + line : "") + ": " + message);
        }

        LlmriException error(int line, String message) {
            return error(label, line, message);
        }

        Study study(Node root) {
            Study d = Paradigms.builtin(Paradigms.GALACTICA_FMRI);
            Mapping m = mapping(root, "the study", STUDY_FIELDS, "");
            return new Study(
                    get(m, "name") == null ? d.name() : text(get(m, "name"), "name"),
                    get(m, "model") == null ? d.model() : text(get(m, "model"), "model"),
                    get(m, "taps") == null ? d.taps() : taps(get(m, "taps")),
                    get(m, "storage_dtype") == null ? d.storageDtype()
                            : choice(get(m, "storage_dtype"), "storage_dtype", StorageDtype::parse, "f32, f16, none"),
                    get(m, "generation") == null ? d.generation() : generation(get(m, "generation"), d.generation()),
                    get(m, "context") == null ? d.context()
                            : choice(get(m, "context"), "context", ContextMode::parse, "fresh, continuous"),
                    get(m, "design") == null ? d.design() : design(get(m, "design"), d.design()),
                    get(m, "runs_per_task") == null ? d.runsPerTask() : integer(get(m, "runs_per_task"), "runs_per_task"),
                    get(m, "seed") == null ? d.seed() : longInteger(get(m, "seed"), "seed"),
                    get(m, "tasks") == null ? d.tasks() : tasks(get(m, "tasks")),
                    get(m, "control") == null ? d.control() : control(get(m, "control")),
                    acquisition(get(m, "acquisition"), get(m, "read"), d.acquisition()),
                    get(m, "revisions") == null ? List.of() : revisions(get(m, "revisions")));
        }

        /** A checkpoint study's revisions: a non-empty list of distinct names (resolved against the model's repo later). */
        private List<String> revisions(Node node) {
            if (!(node instanceof Sequence seq)) throw error(node.line(), "revisions must be a list of model revisions, such as [step1000, step143000]");
            if (seq.items().isEmpty()) throw error(node.line(), "revisions is empty: name at least one revision, or leave the field out");
            List<String> out = new ArrayList<>();
            for (int i = 0; i < seq.items().size(); i++) {
                Node item = seq.items().get(i);
                String r = text(item, "revisions[" + i + "]").strip();
                if (r.isEmpty()) throw error(item.line(), "revisions[" + i + "] is empty");
                if (out.contains(r)) throw error(item.line(), "revisions[" + i + "]: '" + r + "' is listed twice");
                out.add(r);
            }
            return out;
        }

        private Acquisition acquisition(Node modeNode, Node readNode, Acquisition d) {
            Acquisition.Mode mode = modeNode == null ? d.mode()
                    : choice(modeNode, "acquisition", Acquisition.Mode::parse, "generate, read");
            if (readNode == null) return new Acquisition(mode, d.keepSpecialTokens(), d.batchSize());
            Mapping m = mapping(readNode, "read", READ_FIELDS, "read.");
            return new Acquisition(mode,
                    get(m, "keep_special_tokens") == null ? d.keepSpecialTokens()
                            : bool(get(m, "keep_special_tokens"), "read.keep_special_tokens"),
                    get(m, "batch_size") == null ? d.batchSize() : integer(get(m, "batch_size"), "read.batch_size"));
        }

        private Generation generation(Node node, Generation d) {
            Mapping m = mapping(node, "generation", GENERATION_FIELDS, "generation.");
            return new Generation(
                    get(m, "max_new_tokens") == null ? d.maxNewTokens() : integer(get(m, "max_new_tokens"), "generation.max_new_tokens"),
                    get(m, "strategy") == null ? d.strategy()
                            : choice(get(m, "strategy"), "generation.strategy", Generation.Strategy::parse, "greedy, sample"),
                    get(m, "temperature") == null ? d.temperature() : number(get(m, "temperature"), "generation.temperature"),
                    get(m, "top_k") == null ? d.topK() : integer(get(m, "top_k"), "generation.top_k"),
                    get(m, "top_p") == null ? d.topP() : number(get(m, "top_p"), "generation.top_p"),
                    get(m, "suppress_eos") == null ? d.suppressEos() : bool(get(m, "suppress_eos"), "generation.suppress_eos"),
                    get(m, "batch_size") == null ? d.batchSize() : integer(get(m, "batch_size"), "generation.batch_size"));
        }

        private Design design(Node node, Design d) {
            Mapping m = mapping(node, "design", DESIGN_FIELDS, "design.");
            List<Condition> pattern = d.pattern();
            Node p = get(m, "pattern");
            if (p != null) {
                if (!(p instanceof Sequence seq)) {
                    throw error(p.line(), "design.pattern must be a list of blocks, e.g. [off, on, off, on, off]");
                }
                pattern = new ArrayList<>();
                for (int i = 0; i < seq.items().size(); i++) {
                    Node item = seq.items().get(i);
                    // YAML 1.1 reads bare on/off as booleans; the raw text is what the user wrote
                    Condition c = item instanceof Scalar s ? Condition.parse(s.text().toLowerCase(Locale.ROOT)) : null;
                    if (c == null) {
                        throw error(item.line(), "design.pattern[" + i + "] must be on or off (got " + describe(item) + ")");
                    }
                    pattern.add(c);
                }
            }
            int perBlock = get(m, "prompts_per_block") == null ? d.promptsPerBlock()
                    : integer(get(m, "prompts_per_block"), "design.prompts_per_block");
            return new Design(pattern, perBlock);
        }

        private List<String> taps(Node node) {
            if (node instanceof Scalar) return List.of(text(node, "taps"));
            if (!(node instanceof Sequence seq)) {
                throw error(node.line(), "taps must be a preset (all, residual, attention, mlp) or a list of tap names or globs");
            }
            List<String> taps = new ArrayList<>();
            for (int i = 0; i < seq.items().size(); i++) taps.add(text(seq.items().get(i), "taps[" + i + "]"));
            return taps;
        }

        private List<Task> tasks(Node node) {
            if (!(node instanceof Sequence seq)) {
                throw error(node.line(), "tasks must be a list, each item with id, name and one of bank, prompts or generator");
            }
            List<Task> tasks = new ArrayList<>();
            for (int i = 0; i < seq.items().size(); i++) {
                String at = "tasks[" + i + "]";
                Mapping m = mapping(seq.items().get(i), at, TASK_FIELDS, at + ".");
                if (get(m, "id") == null) throw error(m.line(), at + " needs an id (a BIDS label: letters and digits)");
                String id = text(get(m, "id"), at + ".id");
                String name = get(m, "name") == null ? id : text(get(m, "name"), at + ".name");
                tasks.add(new Task(id, name, source(m, at, id)));
            }
            return tasks;
        }

        private PromptSource control(Node node) {
            return source(mapping(node, "control", CONTROL_FIELDS, "control."), "control", "control");
        }

        private PromptSource source(Mapping m, String at, String prefix) {
            List<String> given = CONTROL_FIELDS.stream().filter(k -> get(m, k) != null).toList();
            if (given.size() != 1) {
                throw error(given.isEmpty() ? m.line() : m.fields().get(given.get(1)).line(), at
                        + " needs exactly one of bank, prompts or generator" + (given.isEmpty() ? "" : " (got " + String.join(" and ", given) + ")"));
            }
            return switch (given.getFirst()) {
                case "bank" -> {
                    String ref = text(get(m, "bank"), at + ".bank");
                    if (ref.startsWith("builtin:")) {
                        String name = ref.substring("builtin:".length());
                        if (!PromptBank.BUILTIN.contains(name)) {
                            throw error(m.fields().get("bank").line(), at + ".bank: no built-in bank '" + name + "' (there are: "
                                    + String.join(", ", PromptBank.BUILTIN) + ")");
                        }
                        yield new PromptSource.BuiltinBank(name);
                    }
                    Path file = baseDir == null ? Path.of(ref) : baseDir.resolve(ref).normalize();
                    yield new PromptSource.FileBank(ref, file);
                }
                case "prompts" -> {
                    Node p = get(m, "prompts");
                    if (!(p instanceof Sequence seq)) throw error(p.line(), at + ".prompts must be a list of prompts");
                    List<String> prompts = new ArrayList<>();
                    for (int j = 0; j < seq.items().size(); j++) prompts.add(text(seq.items().get(j), at + ".prompts[" + j + "]"));
                    yield new PromptSource.Inline(prompts);
                }
                default -> {
                    String g = at + ".generator";
                    Mapping gm = mapping(get(m, "generator"), g, GENERATOR_FIELDS, g + ".");
                    if (get(gm, "kind") == null) throw error(gm.line(), g + " needs kind: random_strings");
                    String kind = text(get(gm, "kind"), g + ".kind");
                    if (!kind.equals("random_strings")) {
                        throw error(gm.fields().get("kind").line(), g + ".kind must be random_strings (got '" + kind + "')");
                    }
                    int min = get(gm, "min_chars") == null ? 24 : integer(get(gm, "min_chars"), g + ".min_chars");
                    int max = get(gm, "max_chars") == null ? Math.max(min, 64) : integer(get(gm, "max_chars"), g + ".max_chars");
                    yield new PromptSource.RandomStrings(min, max);
                }
            };
        }

        // ---- typed access; every failure names the line and the field

        private Mapping mapping(Node node, String what, Set<String> known, String prefix) {
            if (!(node instanceof Mapping m)) {
                throw error(node.line(), what + " must be a mapping of fields (" + String.join(", ", known) + ")");
            }
            for (Field f : m.fields().values()) {
                if (!known.contains(f.key())) {
                    throw error(f.line(), "unknown field '" + prefix + f.key() + "' (known fields"
                            + (prefix.isEmpty() ? "" : " of " + prefix.substring(0, prefix.length() - 1)) + ": "
                            + String.join(", ", known) + ")");
                }
            }
            return m;
        }

        private static Node get(Mapping m, String key) {
            Field f = m.fields().get(key);
            return f == null ? null : f.value();
        }

        private String text(Node node, String field) {
            if (node instanceof Scalar s && s.token() != JsonToken.VALUE_NULL) return s.text();
            throw error(node.line(), field + " must be text (got " + describe(node) + ")");
        }

        private int integer(Node node, String field) {
            long v = longInteger(node, field);
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw error(node.line(), field + " is out of range (got " + v + ")");
            return (int) v;
        }

        private long longInteger(Node node, String field) {
            if (node instanceof Scalar s && s.token() == JsonToken.VALUE_NUMBER_INT
                    && (s.number() instanceof Integer || s.number() instanceof Long)) {
                return s.number().longValue();
            }
            throw error(node.line(), field + " must be an integer (got " + describe(node) + ")");
        }

        private double number(Node node, String field) {
            if (node instanceof Scalar s && s.number() != null) return s.number().doubleValue();
            if (node instanceof Scalar s && s.token() == JsonToken.VALUE_STRING) {
                try {
                    return Double.parseDouble(s.text().strip()); // YAML 1.1 reads 1e3 (no dot, no sign) as text
                } catch (NumberFormatException ignored) {
                    // reported below
                }
            }
            throw error(node.line(), field + " must be a number (got " + describe(node) + ")");
        }

        private boolean bool(Node node, String field) {
            if (node instanceof Scalar s && s.token() == JsonToken.VALUE_TRUE) return true;
            if (node instanceof Scalar s && s.token() == JsonToken.VALUE_FALSE) return false;
            throw error(node.line(), field + " must be true or false (got " + describe(node) + ")");
        }

        private <T> T choice(Node node, String field, java.util.function.Function<String, T> parse, String options) {
            T v = node instanceof Scalar s && s.token() != JsonToken.VALUE_NULL ? parse.apply(s.text()) : null;
            if (v == null) throw error(node.line(), field + " must be one of " + options + " (got " + describe(node) + ")");
            return v;
        }

        private static String describe(Node node) {
            return switch (node) {
                case Scalar s when s.token() == JsonToken.VALUE_NULL -> "nothing";
                case Scalar s -> "'" + oneLine(s.text()) + "'";
                case Sequence q -> "a list";
                case Mapping m -> "a mapping";
            };
        }

        private static Set<String> orderedSet(String... names) {
            return java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(List.of(names)));
        }
    }

    // ---------------------------------------------------------------- writing

    private static final int COMMENT_COLUMN = 36;
    private static final Set<String> RESERVED = Set.of("true", "false", "yes", "no", "y", "n", "on", "off", "null", "~");

    static String write(Study s) {
        Writer w = new Writer();
        w.raw("# llmri study. Every value can be edited; fields left out take the built-in galactica-fmri values.");
        w.raw("# 'llmri paradigm show FILE' checks a study and prints it back with every field written out.");
        w.field(0, "name", scalar(s.name()), null);
        w.field(0, "model", scalar(s.model()), "a folder, or a Hugging Face repo id[@revision]");
        w.field(0, "taps", s.taps().size() == 1 ? scalar(s.taps().getFirst()) : flow(s.taps()),
                "all | residual | attention | mlp, or a list of tap names/globs like \"layers.*.fc1\"");
        w.field(0, "storage_dtype", s.storageDtype().label(), "f32 | f16 | none: how activations are stored (none: only the fused statistics)");
        w.field(0, "acquisition", s.acquisition().mode().label(),
                "generate: a time point per generated token | read: a time point per prompt token");
        w.raw("generation:");
        Generation g = s.generation();
        w.field(1, "max_new_tokens", Integer.toString(g.maxNewTokens()), "tokens per prompt = time points per prompt");
        w.field(1, "strategy", g.strategy().label(), "greedy | sample (seeded by seed)");
        w.field(1, "temperature", number(g.temperature()), "sample only");
        w.field(1, "top_k", Integer.toString(g.topK()), "sample only; 0 = no limit");
        w.field(1, "top_p", number(g.topP()), "sample only; 1.0 = no limit");
        w.field(1, "suppress_eos", Boolean.toString(g.suppressEos()), "never stop early: every prompt gives max_new_tokens");
        w.field(1, "batch_size", Integer.toString(g.batchSize()), "prompts generated together; 0 = a whole run");
        w.raw("read:");
        w.field(1, "keep_special_tokens", Boolean.toString(s.acquisition().keepSpecialTokens()),
                "read only: also time points for BOS/[CLS]/[SEP]");
        w.field(1, "batch_size", Integer.toString(s.acquisition().batchSize()), "read only: prompts per forward pass; 0 = a whole run");
        w.field(0, "context", s.context().label(), "fresh: each prompt its own context | continuous");
        w.raw("design:");
        w.field(1, "pattern", flow(s.design().pattern().stream().map(Condition::label).toList()),
                "blocks in order: on = task prompts, off = control prompts");
        w.field(1, "prompts_per_block", Integer.toString(s.design().promptsPerBlock()), null);
        w.field(0, "runs_per_task", Integer.toString(s.runsPerTask()), "runs of a task never share a prompt");
        w.field(0, "seed", Long.toString(s.seed()), "drives prompt assignment, random strings and sampling");
        w.field(0, "tasks", "", "id: a BIDS label (letters and digits); then one of bank, prompts, generator");
        boolean explained = false;
        for (Task t : s.tasks()) {
            w.raw("  - id: " + scalar(t.id()));
            w.field(2, "name", scalar(t.name()), null);
            explained |= source(w, t.source(), 2, !explained);
        }
        w.field(0, "control", "", "the prompts of off blocks");
        source(w, s.control(), 1, false);
        if (!s.revisions().isEmpty()) {
            w.field(0, "revisions", flow(s.revisions()), "checkpoint study: each revision of the model's repo scanned with this plan");
        }
        return w.toString();
    }

    /** Writes a prompt source's field; explains the bank syntax once, returning whether it did. */
    private static boolean source(Writer w, PromptSource source, int indent, boolean explain) {
        switch (source) {
            case PromptSource.BuiltinBank b -> {
                w.field(indent, "bank", scalar(b.ref()),
                        explain ? "builtin:NAME, or a file of one prompt per line (relative to this file)" : null);
                return explain;
            }
            case PromptSource.FileBank f -> w.field(indent, "bank", scalar(f.ref()), null);
            case PromptSource.Inline in -> {
                w.field(indent, "prompts", in.prompts().isEmpty() ? "[]" : "", null);
                for (String p : in.prompts()) w.raw("  ".repeat(indent + 1) + "- " + scalar(p));
            }
            case PromptSource.RandomStrings r -> w.field(indent, "generator", "{kind: random_strings, min_chars: "
                    + r.minChars() + ", max_chars: " + r.maxChars() + "}", null);
        }
        return false;
    }

    private static final class Writer {
        private final StringBuilder sb = new StringBuilder();

        void raw(String line) {
            sb.append(line).append('\n');
        }

        /** {@code key: value}, indented two spaces per level, with an optional comment in a column. */
        void field(int indent, String key, String value, String comment) {
            String line = "  ".repeat(indent) + key + ":" + (value.isEmpty() ? "" : " " + value);
            if (comment != null) line = line + " ".repeat(Math.max(1, COMMENT_COLUMN - line.length())) + "# " + comment;
            raw(line);
        }

        @Override
        public String toString() {
            return sb.toString();
        }
    }

    private static String flow(List<String> items) {
        return "[" + String.join(", ", items.stream().map(i -> i.equals("on") || i.equals("off") ? i : scalar(i)).toList()) + "]";
    }

    private static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return BigDecimal.valueOf(v).setScale(1).toPlainString();
        if (Math.abs(v) >= 1e-6 && Math.abs(v) < 1e15) return BigDecimal.valueOf(v).toPlainString();
        return Double.toString(v); // read back through Double.parseDouble
    }

    /** A plain YAML scalar when that reads back as the same text, else a double-quoted one. */
    static String scalar(String s) {
        if (isPlainSafe(s)) return s;
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == '\u2028' || c == '\u2029' || c == '\uFEFF'
                            || Character.isSurrogate(c) && !validSurrogateAt(s, i)) {
                        sb.append(String.format("\\u%04X", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    private static boolean validSurrogateAt(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_./@+ :-]*");

    private static boolean isPlainSafe(String s) {
        return PLAIN.matcher(s).matches() && !s.endsWith(" ") && !s.endsWith(":") && !s.contains(": ")
                && !s.contains("  ") && !RESERVED.contains(s.toLowerCase(Locale.ROOT));
    }
}
