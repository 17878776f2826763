package org.llmri.model.run;

import java.util.LinkedHashMap;
import java.util.Map;
import org.llmri.model.ForwardHook;
import org.llmri.model.LanguageModel;
import org.llmri.model.Step;
import org.llmri.model.Tap;

/**
 * One full forward pass over a token sequence that keeps what Hugging Face returns with
 * {@code output_hidden_states=True}: {@code hidden.0} = token + position embeddings, {@code hidden.i} =
 * output of layer i, the last one after the final LayerNorm (and project_out); plus {@code logits}.
 */
public final class HiddenStates {
    private HiddenStates() {}

    /** Tensors by name, each [tokens, width] row-major. */
    public static Map<String, float[]> run(LanguageModel model, int[] ids) {
        int n = ids.length;
        int layers = model.numLayers();
        // the first tap of kind "embed" (GPT-2 taps wte and wpe before their sum)
        Tap embed = model.taps().stream().filter(t -> t.kind().equals("embed")).findFirst().orElse(model.taps().getFirst());
        int[] slots = new int[n], positions = new int[n], rows = new int[n], seq = new int[n], idx = new int[n];
        for (int i = 0; i < n; i++) {
            positions[i] = i;
            rows[i] = i;
            idx[i] = i;
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        // hidden.0 is the first tap (the embeddings); hidden.i is layer i-1's output (kind "residual")
        ForwardHook keep = (tap, values, width, step) -> {
            if (tap == embed) out.put("hidden.0", values.clone());
            else if (tap.kind().equals("residual") && tap.layer() >= 0 && tap.layer() < layers - 1) {
                out.put("hidden." + (tap.layer() + 1), values.clone());
            }
        };
        LanguageModel.Output o = model.forward(new Step(slots, ids.clone(), positions, rows, seq, idx), model.newCache(1), keep);
        out.put("hidden." + layers, o.finalHidden());
        out.put("logits", o.logits());
        return out;
    }
}
