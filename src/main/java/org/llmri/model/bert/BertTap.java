package org.llmri.model.bert;

import java.util.ArrayList;
import java.util.List;

/**
 * One recordable module output of a BERT encoder, named by its Hugging Face {@code BertModel} module
 * path. {@code kind} is the short name units.tsv uses, {@code group} the preset that selects it
 * (residual, attention, mlp), {@code layer} -1 for the embeddings.
 */
public record BertTap(String name, String kind, String group, int layer, int width) {
    public static final String RESIDUAL = "residual", ATTENTION = "attention", MLP = "mlp";

    /** A layer's taps in forward order: module path suffix, kind, group, and whether it is intermediate_size wide. */
    private record Point(String suffix, String kind, String group, boolean wide) {}

    private static final List<Point> LAYER_POINTS = List.of(
            new Point(".attention.self.query", "query", ATTENTION, false),
            new Point(".attention.self.key", "key", ATTENTION, false),
            new Point(".attention.self.value", "value", ATTENTION, false),
            new Point(".attention.self", "context", ATTENTION, false),
            new Point(".attention.output.dense", "attention_dense", ATTENTION, false),
            new Point(".attention.output.LayerNorm", "attention_layernorm", ATTENTION, false),
            new Point(".intermediate.dense", "intermediate", MLP, true),
            new Point(".intermediate.intermediate_act_fn", "intermediate_act_fn", MLP, true),
            new Point(".output.dense", "output_dense", MLP, false),
            new Point("", "residual", RESIDUAL, false));

    /** How many taps each layer has. */
    public static final int PER_LAYER = LAYER_POINTS.size();

    /** Every tap of an encoder, in forward order: embeddings, then each layer's ten. */
    public static List<BertTap> all(BertConfig c) {
        List<BertTap> out = new ArrayList<>();
        out.add(new BertTap("embeddings", "embeddings", RESIDUAL, -1, c.hiddenSize()));
        for (int l = 0; l < c.numLayers(); l++) {
            for (Point p : LAYER_POINTS) {
                out.add(new BertTap("encoder.layer." + l + p.suffix, p.kind, p.group, l,
                        p.wide ? c.intermediateSize() : c.hiddenSize()));
            }
        }
        return out;
    }
}
