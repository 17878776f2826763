package org.llmri.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.llmri.LlmriException;
import org.llmri.model.bert.BertArchitecture;
import org.llmri.model.opt.OptArchitecture;

/** The architectures llmri runs, keyed on config.json's {@code model_type}. Adding one is one line here. */
public final class Architectures {
    private Architectures() {}

    private static final List<Architecture> ALL = List.of(
            new OptArchitecture(),
            new BertArchitecture());

    private static final Map<String, Architecture> BY_TYPE = index();

    private static Map<String, Architecture> index() {
        Map<String, Architecture> m = new TreeMap<>();
        for (Architecture a : ALL) m.put(a.modelType(), a);
        return Map.copyOf(m);
    }

    /** The model types known, sorted. */
    public static List<String> modelTypes() {
        return BY_TYPE.keySet().stream().sorted().toList();
    }

    /** The architecture for a model_type, or a one-line error naming the file. */
    public static Architecture forModelType(String modelType, Path configJson) {
        Architecture a = BY_TYPE.get(modelType);
        if (a == null) {
            throw new LlmriException(configJson + ": model_type '" + modelType + "' is not supported (llmri runs "
                    + String.join(", ", modelTypes()) + ")");
        }
        return a;
    }

    /**
     * config.json's model_type. A config without one is read as OPT, as llmri always has: OPT's own
     * required fields then decide whether it really is one.
     */
    public static String modelTypeOf(Path configJson) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(configJson.toFile());
        } catch (IOException e) {
            throw new LlmriException(configJson + ": not valid JSON (" + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
        }
        if (root == null || !root.isObject()) throw new LlmriException(configJson + ": expected a JSON object");
        JsonNode type = root.get("model_type");
        if (type == null) return "opt";
        if (!type.isTextual()) throw new LlmriException(configJson + ": model_type must be a string");
        return type.asText();
    }
}
