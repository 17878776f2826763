package org.llmri.model;

/**
 * One recordable module output of a model: its full name (the Hugging Face module path, e.g.
 * {@code layers.3.fc1}), its kind (the name without the layer, the y axis of the NIfTI layout), the
 * group that presets select by, its layer (-1 at model level) and its width in units. Each
 * architecture lists its taps in forward order; hooks receive these same records.
 */
public record Tap(String name, String kind, Group group, int layer, int width) {
    /** What the presets {@code residual}, {@code attention} and {@code mlp} select. */
    public enum Group {
        /** The residual stream: embeddings, layer outputs, final norms. */
        RESIDUAL,
        /** The attention block: its norm, projections, heads' context and output. */
        ATTENTION,
        /** The feed-forward block: its norm, both linears and the activation. */
        MLP;

        /** The preset name: {@code residual}, {@code attention}, {@code mlp}. */
        public String preset() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Tap {
        if (name == null || name.isEmpty() || kind == null || kind.isEmpty() || group == null) {
            throw new IllegalArgumentException("a tap needs a name, a kind and a group");
        }
        if (width < 1) throw new IllegalArgumentException("tap " + name + " has width " + width);
    }
}
