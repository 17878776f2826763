package org.llmri.model;

/** One recordable module output: a tap point at a layer (-1 for model-level points) and its width. */
public record Tap(TapPoint point, int layer, int width) {
    public String name() {
        return point.name(layer);
    }

    public String kind() {
        return point.kind();
    }
}
