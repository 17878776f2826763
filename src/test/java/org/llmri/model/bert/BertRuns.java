package org.llmri.model.bert;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.llmri.model.ForwardHook;
import org.llmri.model.LanguageModel;
import org.llmri.model.Step;
import org.llmri.model.run.Reader;

/** Test helpers: an encoder run over ragged sequences through the model contract, as the reader runs it. */
public final class BertRuns {
    private BertRuns() {}

    /** The sequences as one step, as the reader builds it: sequence i in slot i at positions 0... */
    public static Step step(List<int[]> sequences) {
        return Reader.step(sequences, 0);
    }

    /** Where each sequence starts, then the row count. */
    public static int[] starts(List<int[]> sequences) {
        int[] starts = new int[sequences.size() + 1];
        for (int s = 0; s < sequences.size(); s++) starts[s + 1] = starts[s] + sequences.get(s).length;
        return starts;
    }

    /** Every tap's values over the step's rows: tap name -> [rows * width]. */
    public static Map<String, float[]> taps(LanguageModel model, List<int[]> sequences) {
        Step step = step(sequences);
        Map<String, float[]> out = new LinkedHashMap<>();
        model.forward(step, model.newCache(sequences.size()), (tap, values, width, st) ->
                out.put(tap.name(), Arrays.copyOf(values, st.rows() * width)), false);
        return out;
    }

    /** What BertModel(output_hidden_states=True) returns: [0] the embeddings after LayerNorm .. [L] last_hidden_state. */
    public static float[][] hidden(LanguageModel model, List<int[]> sequences) {
        float[][] out = new float[model.numLayers() + 1][];
        ForwardHook keep = (tap, values, width, st) -> {
            if (tap.kind().equals("embeddings")) out[0] = Arrays.copyOf(values, st.rows() * width);
            else if (tap.kind().equals("residual")) out[tap.layer() + 1] = Arrays.copyOf(values, st.rows() * width);
        };
        model.forward(step(sequences), model.newCache(sequences.size()), keep, false);
        return out;
    }
}
