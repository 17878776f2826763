package org.llmri.model;

/**
 * Called at every tap point of a forward pass with that point's values for all rows of the step
 * ({@code values[row * width + unit]}), before they flow on: a hook may read them (recording) or
 * change them in place (interventions). Passing no hook costs nothing.
 */
@FunctionalInterface
public interface ForwardHook {
    void at(TapPoint point, int layer, float[] values, int width, Step step);
}
