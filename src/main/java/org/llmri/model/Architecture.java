package org.llmri.model;

import java.nio.file.Path;
import org.llmri.model.weights.ModelWeights;
import org.llmri.tensor.Threads;

/** One model family: the {@code model_type} it reads and how to build a runnable model from a folder. */
public interface Architecture {
    /** config.json's {@code model_type}, e.g. {@code opt}. */
    String modelType();

    /**
     * Reads and checks a folder's config.json (a bad one fails here, before any weights are opened) and
     * returns how to bind weights to it. Bad input is one {@link org.llmri.LlmriException} naming the file.
     */
    Binder read(Path configJson);

    /** Builds the runnable model from the opened weights; the caller closes the weights. */
    @FunctionalInterface
    interface Binder {
        LanguageModel bind(ModelWeights weights, Threads threads);
    }
}
