package org.llmri.model.run;

import java.util.Arrays;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.model.weights.ModelWeights;
import org.llmri.model.weights.Tensor;

/**
 * An architecture's tensors looked up by their Hugging Face names, under any of the key prefixes its
 * checkpoints use (e.g. GPT-2's {@code transformer.} or none), every shape checked against config.json.
 */
public record WeightLookup(ModelWeights weights, List<String> prefixes) {
    public WeightLookup(ModelWeights weights, String... prefixes) {
        this(weights, List.of(prefixes));
    }

    /** The canonical name under which a tensor is stored, or null when it is absent under every prefix. */
    public String key(String name) {
        for (String p : prefixes) if (weights.find(p + name).isPresent()) return p + name;
        return null;
    }

    public boolean has(String name) {
        return key(name) != null;
    }

    public Tensor required(String name, long... shape) {
        String key = key(name);
        if (key == null) {
            List<String> tried = prefixes.stream().map(p -> "'" + p + name + "'").toList();
            throw new LlmriException(weights.directory() + ": the weights have no tensor " + String.join(" or ", tried)
                    + " (config.json calls for it)");
        }
        Tensor t = weights.get(key);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new LlmriException(weights.fileOf(key) + ": tensor '" + weights.storedKey(key) + "' has shape "
                    + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape) + " from config.json");
        }
        return t;
    }

    /** A tensor config.json says may or may not exist: null when absent. */
    public Tensor optional(String name, long... shape) {
        return has(name) ? required(name, shape) : null;
    }

    /** A tensor the config says does not exist: present means config.json does not describe these weights. */
    public void absent(String name, String field) {
        String key = key(name);
        if (key != null) {
            throw new LlmriException(weights.fileOf(key) + ": tensor '" + weights.storedKey(key)
                    + "' is present but config.json says the model has none (" + field + ")");
        }
    }

    /** Refuses layer tensors beyond the config's layer count ({@code layers.} after any prefix, then a number). */
    public void refuseExtraLayers(String layersPrefix, int layers, String field) {
        for (String name : weights.names()) {
            for (String p : prefixes) {
                String prefix = p + layersPrefix;
                if (!name.startsWith(prefix)) continue;
                int dot = name.indexOf('.', prefix.length());
                String index = name.substring(prefix.length(), dot < 0 ? name.length() : dot);
                boolean inRange;
                try {
                    inRange = Integer.parseInt(index) < layers;
                } catch (NumberFormatException e) {
                    inRange = false;
                }
                if (!inRange) {
                    throw new LlmriException(weights.fileOf(name) + ": tensor '" + weights.storedKey(name) + "' lies beyond "
                            + field + "=" + layers + " in config.json");
                }
            }
        }
    }
}
