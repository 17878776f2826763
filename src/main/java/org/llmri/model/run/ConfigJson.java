package org.llmri.model.run;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.RawValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.llmri.LlmriException;

/**
 * A config.json read for one architecture: typed fields with Hugging Face's defaults, every error one
 * line naming the file and the field; and the writer that formats a config as transformers'
 * {@code save_pretrained} does (sorted keys, two-space indent, Python's float spelling such as 1e-05).
 */
public record ConfigJson(Path file, JsonNode root) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public static ConfigJson read(Path configJson, String modelType) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(configJson));
        } catch (NoSuchFileException e) {
            throw new LlmriException(configJson + ": file not found");
        } catch (JsonProcessingException e) {
            String m = e.getOriginalMessage();
            throw new LlmriException(configJson + ": not valid JSON (" + (m == null ? "" : m.lines().findFirst().orElse("")) + ")");
        } catch (IOException e) {
            throw new LlmriException(configJson + ": cannot read (" + e.getMessage() + ")");
        }
        if (root == null || !root.isObject()) throw new LlmriException(configJson + ": expected a JSON object");
        ConfigJson c = new ConfigJson(configJson, root);
        String type = c.string("model_type", null);
        if (!modelType.equals(type)) {
            throw new LlmriException(configJson + ": model_type is '" + type + "', expected '" + modelType + "'");
        }
        return c;
    }

    public int requiredInt(String name) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) throw new LlmriException(file + ": required field '" + name + "' is missing");
        return toInt(name, n);
    }

    public int optionalInt(String name, int dflt) {
        JsonNode n = root.get(name);
        return n == null || n.isNull() ? dflt : toInt(name, n);
    }

    /** A positive integer field; {@code dflt} when absent or null. */
    public int positiveInt(String name, int dflt) {
        int v = optionalInt(name, dflt);
        if (v <= 0) throw new LlmriException(file + ": field '" + name + "' must be positive, got " + v);
        return v;
    }

    public int requiredPositiveInt(String name) {
        int v = requiredInt(name);
        if (v <= 0) throw new LlmriException(file + ": field '" + name + "' must be positive, got " + v);
        return v;
    }

    /** A token id (or -1 when absent); a list (several EOS ids) gives its first. */
    public int tokenId(String name, int dflt) {
        JsonNode n = root.get(name);
        if (n != null && n.isArray() && !n.isEmpty()) n = n.get(0);
        return n == null || n.isNull() ? dflt : toInt(name, n);
    }

    private int toInt(String name, JsonNode n) {
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new LlmriException(file + ": field '" + name + "' must be an integer, got " + abbreviate(n));
        }
        return n.intValue();
    }

    public double number(String name, double dflt) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) return dflt;
        if (!n.isNumber()) throw new LlmriException(file + ": field '" + name + "' must be a number, got " + abbreviate(n));
        double v = n.doubleValue();
        if (!Double.isFinite(v)) throw new LlmriException(file + ": field '" + name + "' must be finite");
        return v;
    }

    public boolean bool(String name, boolean dflt) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) return dflt;
        if (!n.isBoolean()) throw new LlmriException(file + ": field '" + name + "' must be true or false, got " + abbreviate(n));
        return n.booleanValue();
    }

    public String string(String name, String dflt) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) return dflt;
        if (!n.isTextual()) throw new LlmriException(file + ": field '" + name + "' must be a string, got " + abbreviate(n));
        return n.textValue();
    }

    /** Refuses a field that would change the arithmetic in a way llmri does not implement (e.g. rope_scaling). */
    public void requireAbsent(String name, String why) {
        JsonNode n = root.get(name);
        if (n != null && !n.isNull()) throw new LlmriException(file + ": field '" + name + "' is set (" + abbreviate(n) + "); " + why);
    }

    /** A failure of a value check, named with this file. */
    public LlmriException error(String message) {
        return new LlmriException(file + ": " + message);
    }

    private static String abbreviate(JsonNode n) {
        String s = n.toString();
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /** A double spelled as Python's json.dumps spells it (1e-05, 10000.0, 0.02). */
    public static Object pyFloat(double d) {
        String s = Double.toString(d);
        int e = s.indexOf('E');
        if (e < 0) return d;
        String mantissa = s.substring(0, e);
        if (mantissa.endsWith(".0")) mantissa = mantissa.substring(0, mantissa.length() - 2);
        int exp = Integer.parseInt(s.substring(e + 1));
        return new RawValue(mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp)));
    }

    /** The config.json text: keys sorted, two-space indent, a final newline. */
    public static String format(Map<String, Object> fields) {
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"));
        pp.indentArraysWith(new DefaultIndenter("  ", "\n"));
        try {
            return JSON.writer(pp).writeValueAsString(new TreeMap<>(fields)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes config.json atomically. */
    public static void write(Path configJson, Map<String, Object> fields) {
        org.llmri.io.AtomicFile.writeString(configJson, format(fields));
    }
}
