package org.llmri.model.run;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TransformerLens's hook names ({@code blocks.{i}.hook_resid_pre}, {@code blocks.{i}.attn.hook_z}, ...)
 * mapped onto a family's taps, so TransformerLens users can name units as they are used to. An alias
 * names the same tensor as its tap; where TransformerLens splits a fused module (GPT-2's and NeoX's
 * q, k and v), the alias names the fused tap.
 */
public final class TransformerLensNames {
    private TransformerLensNames() {}

    /**
     * @param embed    the tap holding hidden_states[0] ({@code blocks.0.hook_resid_pre})
     * @param layerOut the layer output tap's name with %d for the layer ({@code hook_resid_post})
     * @param perLayer TransformerLens suffix after {@code blocks.{i}.} to the tap name with %d for the layer
     * @param global   model-level names (hook_embed, ln_final.hook_normalized, ...) to tap names
     */
    public static Map<String, String> of(int layers, String embed, String layerOut, Map<String, String> perLayer,
                                         Map<String, String> global) {
        Map<String, String> m = new LinkedHashMap<>(global);
        for (int i = 0; i < layers; i++) {
            String b = "blocks." + i + ".";
            m.put(b + "hook_resid_pre", i == 0 ? embed : String.format(layerOut, i - 1));
            for (var e : perLayer.entrySet()) m.put(b + e.getKey(), String.format(e.getValue(), i));
            m.put(b + "hook_resid_post", String.format(layerOut, i));
        }
        return Map.copyOf(m);
    }
}
