package org.llmri.model;

/**
 * Called at every tap of a forward pass with that tap's values for all rows of the step
 * ({@code values[row * width + unit]}), before they flow on: a hook may read them (recording) or
 * change them in place (interventions). The tap is one of the model's own {@link LanguageModel#taps()}
 * records. A null hook costs one null check per tap and step.
 */
@FunctionalInterface
public interface ForwardHook {
    void at(Tap tap, float[] values, int width, Step step);
}
